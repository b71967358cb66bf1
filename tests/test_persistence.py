"""Model files (``omni.persistence``): loading never runs code from the file, the manifest is
checked before anything is built, and a saved model predicts exactly as the fitted one."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio

import omni.persistence as persistence
import omni.predictor as predictor_module
from base_predictors import registry
from base_predictors.base import TRAINING_FREE_FAMILIES
from features.errors import OmniError
from omni.feature_groups import feature_matrix
from omni.persistence import load_model, read_manifest, save_model
from omni.predictor import BASE_KINDS, META_KINDS, OmniPredictor

GROUPS = ["onehot", "zc:*"]
TRAIN, TEST = np.arange(40), np.arange(100, 300)


@pytest.fixture(autouse=True)
def small_forests(monkeypatch):
    """Fewer trees in the ``rf``/``et`` kinds: same structure, smaller and faster files."""
    monkeypatch.setattr(
        predictor_module, "STACK_FOREST", {**predictor_module.STACK_FOREST, "n_estimators": 12}
    )


def _fit(bench, groups=GROUPS, **params) -> tuple[OmniPredictor, np.ndarray]:
    X, columns = feature_matrix(bench, groups, TRAIN)
    model = OmniPredictor(columns=columns, random_state=0, cv=3, **params)
    model.fit(X, bench.target[TRAIN])
    return model, feature_matrix(bench, groups, TEST)[0]


def _assert_same(model, loaded, X) -> None:
    assert type(loaded) is type(model)
    assert np.array_equal(loaded.predict(X), model.predict(X))
    if hasattr(model, "predict_dist"):
        for a, b in zip(model.predict_dist(X), loaded.predict_dist(X), strict=True):
            assert np.array_equal(a, b)


@pytest.fixture(scope="module")
def saved_bytes(tmp_path_factory) -> bytes:
    """A small saved composite (rank ensemble over proxies, an XGBoost ranker, ridge on top)."""
    rng = np.random.default_rng(0)
    X = np.hstack([rng.integers(0, 2, (40, 6)), rng.normal(size=(40, 2))])
    columns = [f"onehot[{k}]" for k in range(6)] + ["zc:good", "zc:noise"]
    model = OmniPredictor(
        columns=columns, base_predictors=("rank@zc", "xgb-small@all"), meta="ridge", cv=3
    ).fit(X, X[:, 6] + X[:, :6].sum(1))
    path = tmp_path_factory.mktemp("saved") / "m.omni"
    return save_model(path, model, groups=GROUPS, space="nb201").read_bytes()


@pytest.fixture
def saved(tmp_path, saved_bytes):
    path = tmp_path / "m.omni"
    path.write_bytes(saved_bytes)
    return path


def _rewrite(path, manifest=None, payload=None, drop=()) -> None:
    """Rewrite a model file with another manifest and/or payload (checksum kept consistent)."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n not in drop}
    if payload is not None:
        members[persistence.PAYLOAD] = payload
        meta = json.loads(members[persistence.MANIFEST])
        meta["payload"]["sha256"] = hashlib.sha256(payload).hexdigest()
        members[persistence.MANIFEST] = json.dumps(meta).encode()
    if manifest is not None:
        members[persistence.MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("meta", META_KINDS)
def test_every_meta_model_round_trips(tmp_path, toy_bench, meta):
    extra = {"meta_params": {"n_estimators": 40}} if meta in ("ngboost", "xgboost") else {}
    model, X = _fit(
        toy_bench, base_predictors=("xgb-rank@all", "rf@all", "rank@zc"), meta=meta, **extra
    )
    info = {
        "groups": GROUPS,
        "space": "nb201",
        "profile": {"params": {"meta": meta}},
        "n": np.int64(40),
    }
    loaded, got = load_model(save_model(tmp_path / "m.omni", model, **info))
    _assert_same(model, loaded, X)
    assert got == {**info, "n": 40}


def test_a_blended_meta_model_round_trips(tmp_path, toy_bench):
    model, X = _fit(toy_bench, base_predictors=("xgb-rank@all", "rf@all"), meta=("rank", "ridge"))
    loaded, _ = load_model(save_model(tmp_path / "m.omni", model))
    _assert_same(model, loaded, X)


def test_every_base_kind_round_trips(tmp_path, toy_bench):
    model, X = _fit(toy_bench, base_predictors=tuple(f"{k}@all" for k in BASE_KINDS), meta="mean")
    loaded, _ = load_model(save_model(tmp_path / "m.omni", model))
    _assert_same(model, loaded, X)
    for name, est in loaded.model_.named_estimators_.items():  # each base predictor alone too
        base = model.model_.named_estimators_[name]
        assert np.array_equal(est.predict(X), base.predict(X))


def test_zero_cost_model_round_trips(tmp_path, toy_bench):
    model, X = _fit(
        toy_bench,
        groups=["zc:*"],
        base_predictors=("rank@zc", "pairwise@zc", "xgb@zc"),
        meta="rank",
    )
    loaded, info = load_model(save_model(tmp_path / "m.omni", model, groups=["zc:*"]))
    _assert_same(model, loaded, X)
    assert info == {"groups": ["zc:*"]}


def test_registry_predictors_round_trip_or_are_refused(tmp_path):
    """Every registered predictor saves and loads, except the torch networks, which
    ``save_model`` refuses (so no file that cannot be loaded is ever written)."""
    rng = np.random.default_rng(0)
    X, Xt = rng.integers(0, 2, (30, 8)).astype(float), rng.integers(0, 2, (50, 8)).astype(float)
    y = X @ rng.normal(size=8) + rng.normal(0, 0.1, 30)
    torch_based = {"bananas", "gcn", "seminas"}
    for info in registry.all_predictors():
        if info.name in torch_based:
            continue
        est = info.make(random_state=0)
        if "n_estimators" in est.get_params():
            est.set_params(n_estimators=20)
        cols = slice(0, 1) if info.family in TRAINING_FREE_FAMILIES else slice(None)
        est.fit(X[:, cols], y)
        loaded, _ = load_model(save_model(tmp_path / f"{info.name}.omni", est))
        _assert_same(est, loaded, Xt[:, cols])
    bananas = registry.get("bananas").make(random_state=0).set_params(epochs=1).fit(X, y)
    with pytest.raises(OmniError, match="cannot save a BananasPredictor"):
        save_model(tmp_path / "b.omni", bananas)
    assert not (tmp_path / "b.omni").exists()


def test_save_refuses_untrusted_types(tmp_path):
    import os

    with pytest.raises(OmniError, match="may not contain.*system"):
        save_model(tmp_path / "f.omni", {"hook": os.system})
    with pytest.raises(OmniError, match="JSON data"):
        save_model(tmp_path / "f.omni", {"a": 1}, profile=object())
    assert not (tmp_path / "f.omni").exists()


def test_manifest_carries_versions_and_info(saved):
    manifest = read_manifest(saved)
    assert manifest["format"] == "omni-model"
    assert manifest["format_version"] == persistence.FORMAT_VERSION
    assert manifest["versions"] == persistence.versions()
    assert manifest["model_class"] == "omni.predictor.OmniPredictor"
    assert manifest["info"] == {"groups": GROUPS, "space": "nb201"}


# ---------------------------------------------------------------------- malicious files
class _Exploit:
    """Unpickling this opens (creates) ``path``: the old format ran whatever a file said."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_old_pickle_format_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "old.joblib"
    joblib.dump(
        {"format": "omni-model", "versions": {}, "model": _Exploit(marker), "info": {}}, path
    )
    with pytest.raises(OmniError, match=f"{path}.*pickle.*refit"):
        load_model(path)
    assert not marker.exists()
    for compress in (3, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
        joblib.dump({"model": _Exploit(marker)}, path, compress=compress)
        with pytest.raises(OmniError, match=f"{path}.*pickle"):
            load_model(path)
        assert not marker.exists()
    pickle.loads(pickle.dumps(_Exploit(marker)))  # control: the payload is live
    assert marker.exists()


def _node(obj) -> dict:
    """skops's schema node of ``obj`` as it writes it, without its memo ids (which could
    collide with those of the file it is put in)."""

    def strip(state):
        if isinstance(state, dict):
            return {k: strip(v) for k, v in state.items() if k != "__id__"}
        return [strip(v) for v in state] if isinstance(state, list) else state

    with zipfile.ZipFile(io.BytesIO(sio.dumps(obj))) as zf:
        schema = json.loads(zf.read("schema.json"))
    return strip({k: v for k, v in schema.items() if k not in ("protocol", "_skops_version")})


def _malicious_payload(saved_path, node: dict) -> bytes:
    """The saved model's skops payload with ``residual_std_`` replaced by ``node``."""
    with zipfile.ZipFile(saved_path) as outer:
        payload = outer.read(persistence.PAYLOAD)
    src = zipfile.ZipFile(io.BytesIO(payload))
    schema = json.loads(src.read("schema.json"))
    schema["content"]["content"]["residual_std_"] = node
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for name in src.namelist():
            data = json.dumps(schema).encode() if name == "schema.json" else src.read(name)
            dst.writestr(name, data)
    return buffer.getvalue()


def _call_node(module: str, name: str, args: tuple) -> dict:
    """A node that makes skops call ``module.name(*args)`` while building the model."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            k: v for k, v in _node(args).items() if k not in ("protocol", "_skops_version")
        },
    }


@pytest.mark.parametrize("kind", ["open", "system", "object"])
def test_payload_naming_untrusted_types_is_refused(tmp_path, saved, kind):
    marker = tmp_path / "pwned"
    node = {
        "open": _call_node("builtins", "open", (str(marker), "w")),
        "system": _call_node("os", "system", (f"touch {marker}",)),
        "object": {"__class__": "Popen", "__module__": "subprocess", "__loader__": "ObjectNode"},
    }[kind]
    payload = _malicious_payload(saved, node)
    _rewrite(saved, payload=payload)  # a consistent checksum: only the type audit stops it
    with pytest.raises(OmniError, match=f"{saved}: refused.*(open|system|Popen)"):
        load_model(saved)
    assert not marker.exists()
    if kind == "open":  # control: trusting the type would have run it
        sio.loads(payload, trusted=persistence.trusted_types() + ["builtins.open"])
        assert marker.exists()


def test_tampered_tree_is_refused(tmp_path, toy_bench):
    from sklearn.tree import DecisionTreeRegressor

    X, y = feature_matrix(toy_bench, GROUPS, TRAIN)[0], toy_bench.target[TRAIN]
    tree = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    model = OmniPredictor(columns=None, base_predictors=("rf@all",), meta="mean").fit(X, y)
    state = tree.tree_.__getstate__()
    state["nodes"]["left_child"][0] = 10**6  # would read far out of bounds at predict time
    tree.tree_.__setstate__(state)
    model.model_.estimators_[0].named_steps["model"].model_.estimators_[0] = tree
    path = save_model(tmp_path / "t.omni", model)
    with pytest.raises(OmniError, match="refused: a decision tree"):
        load_model(path)


# ---------------------------------------------------------------------- versions and damage
class _Reached(BaseException):
    """Raised by a stand-in for skops's loader: the payload was about to be built."""


def _reached(*args, **kwargs):
    raise _Reached


def test_other_versions_are_refused_before_loading(saved, monkeypatch):
    here = persistence.versions()
    monkeypatch.setattr(persistence, "versions", lambda: {**here, "scikit-learn": "9.9"})
    monkeypatch.setattr(sio, "loads", _reached)
    with pytest.raises(
        OmniError,
        match=rf"{saved} was saved with other versions: scikit-learn {here['scikit-learn']} \(file\) vs 9.9 \(installed\); refit",
    ):
        load_model(saved)
    monkeypatch.setattr(persistence, "versions", lambda: {**here, "skops": "9.9"})
    with pytest.raises(_Reached):  # skops is recorded, not checked: it got to the payload
        load_model(saved)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (persistence.FORMAT_VERSION + 1, "newer than this omni-nas reads.*upgrade"),
        (persistence.FORMAT_VERSION - 1, "older than.*refit"),
    ],
)
def test_other_format_versions_are_refused(saved, version, message):
    manifest = read_manifest(saved)
    _rewrite(saved, manifest={**manifest, "format_version": version})
    with pytest.raises(OmniError, match=f"{saved} is model format {version}, {message}"):
        load_model(saved)


DAMAGE = {
    "missing": "no such model file",
    "directory": "not a regular file",
    "empty": "the file is empty",
    "random": "not a zip archive",
    "json": "not a zip archive",
    "truncated": "damaged or truncated",
    "no-manifest": "no manifest.json",
    "bad-manifest": "damaged model file .its manifest.json",
    "foreign-manifest": "not an omni one",
    "string-version": "not an integer",
    "no-payload": "no model.skops",
    "flipped-payload": "damaged model file .model.skops",
    "garbage-payload": "damaged model file .model.skops",
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_files_give_an_error_naming_the_file(tmp_path, saved, damage):
    path = saved
    manifest = read_manifest(saved)
    if damage == "missing":
        path = tmp_path / "nothing.omni"
    elif damage == "directory":
        path = tmp_path
    elif damage == "empty":
        saved.write_bytes(b"")
    elif damage == "random":
        saved.write_bytes(np.random.default_rng(0).bytes(5000))
    elif damage == "json":
        saved.write_text(json.dumps(manifest))
    elif damage == "truncated":
        saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    elif damage == "no-manifest":
        _rewrite(saved, drop=(persistence.MANIFEST,))
    elif damage == "bad-manifest":
        _rewrite(saved, drop=(persistence.MANIFEST,))
        with zipfile.ZipFile(saved, "a") as zf:
            zf.writestr(persistence.MANIFEST, b"{not json")
    elif damage == "foreign-manifest":
        _rewrite(saved, manifest={"format": "something-else"})
    elif damage == "string-version":
        _rewrite(saved, manifest={**manifest, "format_version": "1"})
    elif damage == "no-payload":
        _rewrite(saved, drop=(persistence.PAYLOAD,))
    elif damage == "flipped-payload":
        data = bytearray(saved.read_bytes())
        data[len(data) // 2] ^= 0xFF
        saved.write_bytes(bytes(data))
    elif damage == "garbage-payload":
        _rewrite(saved, payload=b"PK\x03\x04 not really a zip")
    with pytest.raises(OmniError, match=DAMAGE[damage]) as err:
        load_model(path)
    assert str(err.value).startswith(str(path))
    assert "Traceback" not in str(err.value)


def test_cli_predict_refuses_a_pickle(tmp_path, toy_bench, capsys):
    from omni.cli import main

    marker = tmp_path / "pwned"
    model = tmp_path / "m.joblib"
    joblib.dump({"format": "omni-model", "model": _Exploit(marker)}, model)
    archs = tmp_path / "archs.txt"
    archs.write_text(toy_bench.archs[0] + "\n")
    assert main(["predict", str(model), str(archs)]) == 2
    assert "pickle" in capsys.readouterr().err
    assert not marker.exists()
