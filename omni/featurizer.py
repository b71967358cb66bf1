"""The one featurization path: :class:`Featurizer`, architectures -> the columns of feature
groups, read from a benchmark table where it holds them and computed from the space where it
does not (encodings always; zero-cost scores on the real networks). Evaluation, tuning,
search, ``omni fit`` and ``omni predict`` all build their matrices through it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from features.errors import OmniError
from omni import spaces
from omni.data.benchmark import Benchmark
from omni.feature_groups import expand_groups, feature_matrix, is_encoding
from omni.spaces.base import SearchSpace

DEFAULT_GROUPS = ("onehot", "zc:*")
#: encodings read when none are named, those of them the space has (else its first one)
DEFAULT_ENCODINGS = ("onehot", "graph")


def default_encodings(space: SearchSpace) -> list[str]:
    """:data:`DEFAULT_ENCODINGS` that ``space`` offers, else its first encoding."""
    chosen = [e for e in DEFAULT_ENCODINGS if e in space.encodings]
    return chosen or list(space.encodings[:1])


class Featurizer(TransformerMixin, BaseEstimator):
    """``archs -> X`` for the feature ``groups`` of a ``space`` (scikit-learn transformer).

    Parameters
    ----------
    space : a registered space name or a :class:`~omni.spaces.base.SearchSpace`.
    groups : feature-group names (``onehot``, ``zc:synflow``, ``zc:*``, ``lc:sotl_e@3``, ...);
        wildcards resolve against ``table`` (``zc:*`` without a table: every proxy).
    table : a :class:`~omni.data.Benchmark` of this space, or None. Architectures it holds
        (matched by string, else by isomorphism class) are read from it; for the others,
        encodings are computed and zero-cost scores are computed as the table's own were
        (:func:`omni.zero_cost.score_like`), so they share its scale; so are weight-sharing
        scores, with the supernet the table records (read from the supernet cache, or trained
        again once). Groups that need training runs (learning curves, extra columns) cannot be
        computed: an architecture the table lacks is then an :class:`OmniError` naming them.
        A saved featurizer keeps no table: give it again with ``set_params(table=...)``.
    zc_options : keyword arguments of :func:`omni.zero_cost.score_architectures` for
        scores computed without a table (``data``, ``batch_size``, ``cache_dir``, ...); with a
        table only ``cache_dir`` and ``progress`` apply.

    Each architecture is scored once per featurizer (up to isomorphism).
    """

    def __init__(
        self,
        space: str | SearchSpace,
        groups: Sequence[str] = DEFAULT_GROUPS,
        table: Benchmark | None = None,
        zc_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.space = space
        self.groups = groups
        self.table = table
        self.zc_options = zc_options

    # ------------------------------------------------------------------ fitting
    def fit(self, archs: Sequence[Any] | None = None, y: Any = None) -> Featurizer:
        """Resolve and check the groups and the column names (nothing is learned from
        ``archs``: every statistic of these features is per architecture)."""
        table = self.table
        name = self.space if isinstance(self.space, str) else self.space.name
        if table is not None and table.space != name:
            raise OmniError(f"the table is of space {table.space!r}, the featurizer of {name!r}")
        if isinstance(self.groups, str):
            raise OmniError("groups: give a list of group names, not one string")
        if table is not None:
            groups = expand_groups(table, list(self.groups))
        else:
            groups = self._groups_without_table(self._space())
        if not groups:
            raise OmniError("no feature groups selected")
        self.groups_ = tuple(groups)
        self.fitted_on_table_ = table is not None
        self.columns_ = self._columns()
        self._scores: dict[str, np.ndarray] = {}
        self._ws: dict[str, dict[str, float]] = {}
        return self

    @classmethod
    def for_table(cls, table: Benchmark, groups: Sequence[str] = DEFAULT_GROUPS) -> Featurizer:
        """A fitted featurizer reading ``groups`` of ``table`` (and of its space)."""
        return cls(table.space, list(groups), table=table).fit()

    def _space(self) -> SearchSpace:
        return spaces.get(self.space) if isinstance(self.space, str) else self.space

    def _groups_without_table(self, space: SearchSpace) -> list[str]:
        from features.zero_cost import check_proxies

        out: list[str] = []
        for name in self.groups:
            if name == "zc:*":
                out.extend(f"zc:{p}" for p in check_proxies(None))
            elif is_encoding(name):
                if name not in space.encodings:
                    raise OmniError(
                        f"space {space.name!r} has no encoding {name!r}; it has "
                        f"{list(space.encodings)}"
                    )
                out.append(name)
            elif name.startswith("zc:"):
                check_proxies([name[3:]])
                out.append(name)
            else:
                raise OmniError(
                    f"group {name!r} needs a benchmark table (only encodings and zero-cost "
                    "scores can be computed from the space): pass table=..."
                )
        return list(dict.fromkeys(out))

    def _columns(self) -> list[str]:
        if self.table is not None:
            return feature_matrix(self.table, self.groups_, np.array([0]))[1]
        space = self._space()
        example = space.sample(1, 0)[0]
        columns: list[str] = []
        for name in self.groups_:
            if is_encoding(name):
                width = len(space.encode(example, name))
                columns.extend([name] if width == 1 else [f"{name}[{k}]" for k in range(width)])
            else:
                columns.append(name)
        return columns

    @property
    def columns(self) -> list[str] | None:
        """Column labels (``OmniPredictor(columns=...)`` routes by them); None before fit."""
        return list(self.columns_) if hasattr(self, "columns_") else None

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "columns_")
        return np.asarray(self.columns_, dtype=object)

    @property
    def proxies(self) -> list[str]:
        """The zero-cost proxies the groups read."""
        check_is_fitted(self, "groups_")
        return [g[3:] for g in self.groups_ if g.startswith("zc:")]

    # ------------------------------------------------------------------ features
    def transform(self, archs: Sequence[Any]) -> np.ndarray:
        """The ``(len(archs), n_columns)`` matrix: table rows where the table holds an
        architecture, computed features for the others."""
        check_is_fitted(self, "groups_")
        if isinstance(archs, str):
            raise OmniError("transform takes a list of architectures, not one string")
        archs = list(archs)
        if not archs:
            return np.empty((0, len(self.columns_)))
        rows = self.table_rows(archs)
        X = np.full((len(archs), len(self.columns_)), np.nan)
        held = [k for k, r in enumerate(rows) if r is not None]
        if held:
            X[held] = self.transform_rows([rows[k] for k in held])
        missing = [k for k, r in enumerate(rows) if r is None]
        if missing:
            space = self._space()
            X[missing] = self._computed([space.coerce(archs[k]) for k in missing])
        return X

    def __call__(self, archs: Sequence[Any]) -> np.ndarray:
        """:meth:`transform` (fitting first if needed): a featurizer is the ``archs -> X``
        callable of :class:`~omni.nas.Searcher` and :class:`~omni.integrations.OmniSampler`."""
        if not hasattr(self, "groups_"):
            self.fit()
        return self.transform(archs)

    def transform_rows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The matrix of table rows ``rows`` (the evaluation protocol's train/test indices)."""
        check_is_fitted(self, "groups_")
        if self.table is None:
            raise OmniError("transform_rows reads a table: this featurizer has none")
        return feature_matrix(self.table, self.groups_, np.asarray(rows, dtype=int))[0]

    def table_rows(self, archs: Sequence[Any]) -> list[int | None]:
        """The table row answering for each architecture (None: the table lacks it): the row
        of the same string, else of the same isomorphism class. A string the table holds
        verbatim is answered without parsing it (a search asks for thousands)."""
        if self.table is None:
            return [None] * len(archs)
        space = self._space()
        exact = self._index("exact", lambda text: text)
        out: list[int | None] = []
        for arch in archs:
            row = exact.get(arch) if isinstance(arch, str) else None
            if row is None:
                row = exact.get(space.to_str(space.coerce(arch)))
            if row is None:
                row = self._index("canonical", space.key).get(space.key(arch))
            out.append(row)
        return out

    def _index(self, kind: str, key: Any) -> dict[str, int]:
        """``key(table string) -> row`` of the table, built once per table and kind."""
        cache = getattr(self, "_table_index", None)
        if cache is None or cache[0] is not self.table:
            cache = self._table_index = (self.table, {})
        if kind not in cache[1]:
            index: dict[str, int] = {}
            for row, text in enumerate(self.table.archs):
                index.setdefault(key(text), row)
            cache[1][kind] = index
        return cache[1][kind]

    def _computed(self, archs: list[Any]) -> np.ndarray:
        """Features of architectures no table holds: encodings, zero-cost scores and, with a
        table that records its supernet, weight-sharing scores."""
        space = self._space()
        computable = ("zc:", "ws:") if self.table is not None else ("zc:",)
        needs_training = [g for g in self.groups_ if not is_encoding(g) and g[:3] not in computable]
        if needs_training:
            raise OmniError(
                f"{len(archs)} architectures are not in the benchmark (e.g. "
                f"{space.to_str(archs[0])}) and the features read {needs_training}, which need "
                "training runs: only encodings, zero-cost scores and the weight-sharing scores "
                "of a table's supernet can be computed for new architectures"
            )
        scores = self._proxy_scores(archs) if self.proxies else None
        columns = []
        for name in self.groups_:
            if is_encoding(name):
                columns.append(np.stack([space.encode(a, name) for a in archs]).astype(float))
            elif name.startswith("ws:"):
                columns.append(self._ws_scores(name[3:], archs)[:, None])
            else:
                k = self.proxies.index(name[3:])
                columns.append(scores[:, k : k + 1])
        return np.hstack(columns)

    def _ws_scores(self, name: str, archs: list[Any]) -> np.ndarray:
        """Weight-sharing scores with the table's supernet, each architecture scored once."""
        from omni.weight_sharing.scoring import ws_scores_like

        space = self._space()
        cache = self._ws.setdefault(name, {})
        keys = [space.key(a) for a in archs]
        todo = {k: a for k, a in zip(keys, archs, strict=True) if k not in cache}
        if todo:
            progress = bool((self.zc_options or {}).get("progress", False))
            scores, _ = ws_scores_like(self.table, name, list(todo.values()), progress=progress)
            cache.update(zip(todo, scores, strict=True))
        return np.array([cache[k] for k in keys], dtype=float)

    def _proxy_scores(self, archs: list[Any]) -> np.ndarray:
        from omni.zero_cost import score_architectures, score_like

        space = self._space()
        proxies = self.proxies
        keys = [space.key(a) for a in archs]
        todo = {k: a for k, a in zip(keys, archs, strict=True) if k not in self._scores}
        if todo and self.table is None and self.fitted_on_table_:
            raise OmniError(
                "this featurizer was fitted on a benchmark table: scores of new architectures "
                "must be computed as the table's were, so give it again with "
                "set_params(table=load_benchmark(...))"
            )
        if todo:
            options = {"progress": False, **(self.zc_options or {})}
            if self.table is not None:
                kept = {k: options[k] for k in ("cache_dir", "progress") if k in options}
                result = score_like(self.table, list(todo.values()), proxies, **kept)
            else:
                result = score_architectures(space, list(todo.values()), proxies, **options)
            for i, key in enumerate(todo):
                self._scores[key] = np.array([result.scores[p][i] for p in proxies])
        return np.stack([self._scores[k] for k in keys])

    def failed_proxies(self) -> dict[str, int]:
        """Computed scores that came out NaN, per proxy (the model imputes them)."""
        if not getattr(self, "_scores", None):
            return {}
        scores = np.stack(list(self._scores.values()))
        counts = {p: int(np.isnan(scores[:, k]).sum()) for k, p in enumerate(self.proxies)}
        return {p: n for p, n in counts.items() if n}

    # ------------------------------------------------------------------ persistence
    def __getstate__(self) -> dict:
        """What a model file keeps: the parameters and fitted names, never the table, the
        space object or the caches (a file holds data, not code or benchmarks)."""
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        state["table"] = None
        if not isinstance(state["space"], str):
            state["space"] = state["space"].name
        state["groups"] = list(state["groups"])
        if "groups_" in state:
            state["groups_"] = list(state["groups_"])
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "groups_" in state:
            self.groups_ = tuple(state["groups_"])
            self._scores, self._ws = {}, {}
