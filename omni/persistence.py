"""Model files: a fitted predictor saved as data, never as code.

A model file is a zip archive of two members:

- ``manifest.json`` -- the format name and version, the library and dependency versions, the
  fitted class and the caller's ``info`` (space, dataset, feature groups, profile, training
  summary) plus a SHA-256 of the payload. It is read and checked before any model object is
  built.
- ``model.skops`` -- the estimator in skops's format (``skops.io``): a JSON tree of the objects
  and their attributes, with numpy arrays as ``.npy`` (never pickled) and XGBoost boosters as
  XGBoost's own UBJSON buffers. skops builds only the types of :func:`trusted_types` (plus its
  own defaults: builtins containers, numpy arrays and scikit-learn estimators) and refuses a file
  that names anything else, before constructing anything.

Nothing from the file is unpickled or imported unless its type is on the code-side list, so
loading a file from someone else runs none of its code. Decision-tree node arrays (which
scikit-learn indexes without bounds checks) are checked after loading.
"""

from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from features.errors import OmniError

FORMAT = "omni-model"
#: bumped whenever the layout of the manifest or of the payload changes; files of another
#: format version are refused (1: zip of manifest.json + skops payload; 2: `omni fit` saves
#: the pipeline featurizer + composite, not the bare composite; the pickle files of omni-nas
#: before 1 had no version and are never loaded)
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
PAYLOAD = "model.skops"
#: distributions recorded in the manifest (name -> distributions that provide it)
RECORDED = {
    "omni-nas": ("omni-nas",),
    "scikit-learn": ("scikit-learn",),
    "xgboost": ("xgboost-cpu", "xgboost"),
    "ngboost": ("ngboost",),
    "numpy": ("numpy",),
    "scipy": ("scipy",),
    "skops": ("skops",),
}
#: versions that must match the installed ones (they decide what the saved attributes mean);
#: skops and scipy are only recorded: skops reads the payloads of its older versions
CHECKED = ("omni-nas", "scikit-learn", "xgboost", "ngboost", "numpy")
#: a manifest larger than this is not ours (it holds a few thousand architecture strings)
MAX_MANIFEST_BYTES = 64 << 20


def versions() -> dict[str, str]:
    """Installed version of each :data:`RECORDED` distribution (``"absent"`` if missing)."""
    out = {}
    for name, dists in RECORDED.items():
        out[name] = "absent"
        for dist in dists:
            try:
                out[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return out


def trusted_types() -> list[type]:
    """The types a model file may hold beyond skops's defaults (builtins, numpy arrays,
    scikit-learn estimators): our estimators and what they keep from XGBoost, NGBoost and
    scikit-learn. A new predictor class, or one that keeps a new kind of object, must be added
    here; :func:`save_model` refuses a model holding anything else, so no unloadable file is
    ever written. Never extended from a file's own list of types."""
    from ngboost import NGBRegressor
    from ngboost.distns import Normal
    from ngboost.scores import LogScore
    from sklearn.model_selection import KFold
    from sklearn.pipeline import Pipeline
    from sklearn.tree._tree import Tree
    from sklearn.utils import Bunch
    from xgboost import Booster, XGBClassifier, XGBRanker, XGBRegressor

    from base_predictors.bnn import HybridBNNPredictor
    from base_predictors.column import ColumnPredictor
    from base_predictors.gp import GPPredictor
    from base_predictors.lcsvr import LcSVRPredictor
    from base_predictors.learning_curve import (
        EarlyStopPredictor,
        LCExtrapolationPredictor,
        SoTLEPredictor,
    )
    from base_predictors.ngb import NGBPredictor
    from base_predictors.pairwise import PairwisePredictor
    from base_predictors.proxy import ProxyPredictor
    from base_predictors.random_forest import RandomForestPredictor
    from base_predictors.rank_ensemble import RankEnsemblePredictor
    from base_predictors.weight_sharing import WeightSharingPredictor
    from base_predictors.xgb import XGBPredictor
    from base_predictors.xgb_rank import XGBRankPredictor
    from omni.featurizer import Featurizer
    from omni.predictor import NGBoostMeta, OmniPredictor

    return [
        # ours
        Featurizer,
        OmniPredictor,
        NGBoostMeta,
        XGBPredictor,
        XGBRankPredictor,
        PairwisePredictor,
        RandomForestPredictor,
        RankEnsemblePredictor,
        NGBPredictor,
        GPPredictor,
        LcSVRPredictor,
        HybridBNNPredictor,
        ColumnPredictor,
        ProxyPredictor,
        WeightSharingPredictor,
        EarlyStopPredictor,
        SoTLEPredictor,
        LCExtrapolationPredictor,
        # XGBoost: the wrappers and their booster, rebuilt from XGBoost's own UBJSON buffer
        XGBRegressor,
        XGBRanker,
        XGBClassifier,
        Booster,
        # NGBoost: the model, and the distribution and score it names (classes, not instances)
        NGBRegressor,
        Normal,
        LogScore,
        # scikit-learn pieces that are not estimators; Tree's node arrays are checked on load
        Tree,
        Bunch,
        Pipeline,
        KFold,
        np.dtype,
    ]


def _type_name(t: type) -> str:
    return f"{t.__module__}.{t.__name__}"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path | set | frozenset):
        return str(obj) if isinstance(obj, Path) else sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON data")


def save_model(path: str | Path, model: Any, **info: Any) -> Path:
    """Write ``model`` and ``info`` (groups, space, dataset, benchmark, profile, training
    summary: JSON data) with the versions they were made with; see the module docstring."""
    import skops.io as sio

    path = Path(path)
    try:
        info_json = json.loads(json.dumps(info, default=_jsonable))
    except (TypeError, ValueError) as err:
        raise OmniError(f"model info must be JSON data: {err}") from None
    try:
        payload = sio.dumps(model, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    except Exception as err:  # skops raises several kinds for what it cannot represent
        raise OmniError(
            f"cannot save a {type(model).__name__} as a model file ({type(err).__name__}: "
            f"{err}); model files hold the predictors of omni.persistence.trusted_types, "
            "which has no torch networks"
        ) from None
    allowed = {_type_name(t) for t in trusted_types()}
    extra = sorted(set(sio.get_untrusted_types(data=payload)) - allowed)
    if extra:
        raise OmniError(
            f"cannot save a {type(model).__name__} as a model file: it holds types that model "
            f"files may not contain ({', '.join(extra)}); see omni.persistence.trusted_types"
        )
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "versions": versions(),
        "model_class": _type_name(type(model)),
        "payload": {
            "member": PAYLOAD,
            "serializer": "skops",
            "bytes": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        },
        "info": info_json,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=1), compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(PAYLOAD, payload, compress_type=zipfile.ZIP_STORED)
    tmp.replace(path)
    return path


#: how pickles and joblib's compressed pickles begin (protocol 2+, zlib, gzip, bz2, xz, lzma, lz4)
_PICKLE_HEADS = (
    b"\x80",
    b"\x78",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x5d\x00",
    b"\x04\x22\x4d\x18",
)


def _not_zip_reason(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        return "the file is empty"
    if head.startswith(b"PK\x03\x04"):
        return "a damaged or truncated zip archive"
    if head.startswith(_PICKLE_HEADS):
        return (
            "it looks like a pickle, the format of omni-nas before model format 1: pickles can "
            "run code when loaded, so they are never loaded; refit the model with `omni fit`"
        )
    return "not a zip archive"


def read_manifest(path: str | Path) -> dict:
    """The checked manifest of a model file, without building the model (``info`` included)."""
    path = Path(path)
    with _open(path) as zf:
        return _checked_manifest(path, zf)


def _open(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise OmniError(f"{path}: no such model file")
    if not path.is_file():
        raise OmniError(f"{path}: not a model file (not a regular file)")
    try:
        if not zipfile.is_zipfile(path):
            raise OmniError(f"{path}: not an omni model file ({_not_zip_reason(path)})")
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise OmniError(
            f"{path}: not a readable omni model file, damaged or truncated ({err})"
        ) from None


def _checked_manifest(path: Path, zf: zipfile.ZipFile) -> dict:
    try:
        entry = zf.getinfo(MANIFEST)
    except KeyError:
        raise OmniError(f"{path}: not an omni model file (no {MANIFEST} in the archive)") from None
    if entry.file_size > MAX_MANIFEST_BYTES:
        raise OmniError(f"{path}: not an omni model file ({MANIFEST} is too large)")
    try:
        manifest = json.loads(zf.read(entry).decode("utf-8"))
    except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError, ValueError) as err:
        raise OmniError(f"{path}: damaged model file (its {MANIFEST}: {err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OmniError(f"{path}: not an omni model file (its {MANIFEST} is not an omni one)")
    fv = manifest.get("format_version")
    if isinstance(fv, bool) or not isinstance(fv, int):
        raise OmniError(f"{path}: damaged model file (format_version {fv!r} is not an integer)")
    if fv > FORMAT_VERSION:
        raise OmniError(
            f"{path} is model format {fv}, newer than this omni-nas reads ({FORMAT_VERSION}): "
            "upgrade omni-nas, or refit the model with this install (`omni fit`)"
        )
    if fv < FORMAT_VERSION:
        raise OmniError(
            f"{path} is model format {fv}, older than this omni-nas reads ({FORMAT_VERSION}): "
            "refit the model with this install (`omni fit`)"
        )
    saved, payload, info = manifest.get("versions"), manifest.get("payload"), manifest.get("info")
    if not (isinstance(saved, dict) and isinstance(payload, dict) and isinstance(info, dict)):
        raise OmniError(f"{path}: damaged model file ({MANIFEST} lacks versions/payload/info)")
    here = versions()
    diff = {k: (saved.get(k, "absent"), here[k]) for k in CHECKED if saved.get(k) != here[k]}
    if diff:
        detail = ", ".join(f"{k} {a} (file) vs {b} (installed)" for k, (a, b) in diff.items())
        raise OmniError(
            f"{path} was saved with other versions: {detail}; refit it with this install "
            "(`omni fit`), or load it where those versions are installed"
        )
    return manifest


def load_model(path: str | Path) -> tuple[Any, dict]:
    """(model, info) from a file of :func:`save_model`.

    Raises :class:`OmniError` naming the file, before any model object is built, for a file
    that is missing, not a model file (pickles of older omni-nas included), damaged, of another
    format version or made with other versions of the library or its dependencies; and for
    a payload that names a type outside :func:`trusted_types` (refused, never built).
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    path = Path(path)
    with _open(path) as zf:
        manifest = _checked_manifest(path, zf)
        member = PAYLOAD  # never a name from the file
        try:
            payload = zf.read(member)
        except KeyError:
            raise OmniError(f"{path}: damaged model file (no {member} in the archive)") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            raise OmniError(f"{path}: damaged model file ({member}: {err})") from None
    if hashlib.sha256(payload).hexdigest() != manifest["payload"].get("sha256"):
        raise OmniError(f"{path}: damaged model file (the checksum of {member} does not match)")
    try:
        model = sio.loads(payload, trusted=trusted_types())
    except UntrustedTypesFoundException as err:
        allowed = {_type_name(t) for t in trusted_types()}
        names = sorted(set(sio.get_untrusted_types(data=payload)) - allowed) or [str(err)]
        raise OmniError(
            f"{path}: refused: the model names types that model files may not hold "
            f"({', '.join(names)}); nothing of it was loaded. Files from `omni fit` never do: "
            "this one was altered or made by other software"
        ) from None
    except Exception as err:  # a damaged payload: skops, numpy, zip and XGBoost errors
        raise OmniError(
            f"{path}: damaged model file ({member}: {type(err).__name__}: {err})"
        ) from None
    if _type_name(type(model)) != manifest.get("model_class"):
        raise OmniError(
            f"{path}: damaged model file (holds a {_type_name(type(model))}, its manifest "
            f"says {manifest.get('model_class')})"
        )
    _check_trees(path, model)
    return model, manifest["info"]


# ---------------------------------------------------------------------- post-load checks
def _objects(root: Any) -> Iterator[Any]:
    """Every object reachable from ``root`` through containers and instance attributes."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, str | bytes | bytearray | type):
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())


def _tree_ok(tree: Any) -> bool:
    """The node arrays of a scikit-learn ``Tree`` describe a tree: children after their parent
    and inside the array (so traversal ends), features inside the input, one value per node."""
    n = int(tree.node_count)
    left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    if n < 1 or not (len(left) == len(right) == len(feature) == n) or tree.value.shape[0] != n:
        return False
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        return False
    parent = np.arange(n)[~leaf]
    for child in (left[~leaf], right[~leaf]):
        if np.any(child <= parent) or np.any(child >= n):
            return False
    inner = feature[~leaf]
    return bool(np.all((inner >= 0) & (inner < int(tree.n_features))))


def _check_trees(path: Path, model: Any) -> None:
    from sklearn.tree import BaseDecisionTree
    from sklearn.tree._tree import Tree

    for obj in _objects(model):
        bad = None
        if isinstance(obj, Tree) and not _tree_ok(obj):
            bad = "a decision tree's node arrays are inconsistent"
        elif (
            isinstance(obj, BaseDecisionTree)
            and hasattr(obj, "tree_")
            and int(obj.tree_.n_features) != int(getattr(obj, "n_features_in_", -1))
        ):
            bad = "a decision tree reads more features than it was fitted on"
        if bad:
            raise OmniError(f"{path}: refused: {bad}; the file was altered or is damaged")
