"""``OmniPredictor``: the stacked composite of White et al. (2021), generalised.

Level 0: the raw feature columns (optionally passed through) and out-of-fold predictions of
base predictors, each reading only its own column groups. Level 1: a meta-regressor -- by
default a rank ensemble that weighs the base predictions and the raw low-fidelity columns by
their Kendall tau, sharpening the weights as far as cross-validation says (so with few architectures
it can lean on one dominant column, such as a late learning-curve statistic); or NGBoost for a
predictive distribution, XGBoost, ridge, or a plain mean.
Stacking, out-of-fold prediction and column selection are scikit-learn's own
(``StackingRegressor``, ``ColumnTransformer``); only the choice of pieces is ours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import StackingRegressor, VotingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from base_predictors.base import BasePredictor
from base_predictors.bnn import HybridBNNPredictor
from base_predictors.pairwise import PairwisePredictor
from base_predictors.random_forest import WIDE_FOREST, RandomForestPredictor
from base_predictors.rank_ensemble import RankEnsemblePredictor
from base_predictors.xgb import XGBPredictor
from base_predictors.xgb_rank import XGBRankPredictor
from features.errors import InvalidInputError, OmniError
from omni.feature_groups import parse_lc

#: forests inside the stack: WIDE_FOREST's shape with fewer trees, since every base predictor is
#: fitted cv + 1 times per fit (64 trees: the same Kendall tau as 300 on NB201 CIFAR-10 and
#: nb201-digits at n = 20 / 100 / 400, 10 seeds; ``benchmarks/fit_speed.py``)
STACK_FOREST = {**WIDE_FOREST, "n_estimators": 64}


def linear_model():
    """Ridge regression (alpha by leave-one-out) on median-imputed, standardised columns: the
    stack's one learner that extrapolates along a column instead of cutting it into steps."""
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        RidgeCV(alphas=np.logspace(-2, 3, 12)),
    )


#: base predictor kinds a plan can stack (name -> factory taking random_state); the stack's
#: members are lighter than the single predictors of the registry (fewer rounds at a higher
#: learning rate, fewer pairs and anchors), which keeps the default fit at n = 400 within 10 s
BASE_KINDS = {
    "rank": lambda rs: RankEnsemblePredictor(),
    "ridge": lambda rs: linear_model(),
    "xgb": lambda rs: XGBPredictor(random_state=rs),
    "xgb-rank": lambda rs: XGBRankPredictor(n_estimators=150, learning_rate=0.1, random_state=rs),
    "pairwise": lambda rs: PairwisePredictor(
        n_estimators=100,
        learning_rate=0.1,
        max_pairs=4000,
        max_anchors=64,
        with_second=False,
        random_state=rs,
    ),
    # the registry's full-strength pairwise predictor (about 2x the stack's fit time)
    "pairwise-full": lambda rs: PairwisePredictor(random_state=rs),
    "rf": lambda rs: RandomForestPredictor(random_state=rs, **STACK_FOREST),
    # the hybrid BNN; a proxy that failed on some architectures is imputed for it
    "bnn": lambda rs: make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        HybridBNNPredictor(random_state=rs),
    ),
    "et": lambda rs: RandomForestPredictor(
        random_state=rs, **{**STACK_FOREST, "bootstrap": False, "extra_trees": True}
    ),
    # shallow, column-subsampled trees: steadier with few training architectures
    "xgb-small": lambda rs: XGBPredictor(
        n_estimators=500,
        max_depth=3,
        learning_rate=0.05,
        subsample=0.8,
        colsample_bytree=0.5,
        random_state=rs,
    ),
}
#: which column groups a base predictor may read (by column-label prefix; "!": except these)
COLUMN_SETS = {
    "all": ("",),
    "zc": ("zc:",),
    "encoding": ("onehot", "path", "opcount", "graph", "padded"),
    "lc": ("lc:",),
    "extra": ("extra:",),
    "ws": ("ws:",),
    "scores": ("zc:", "lc:", "extra:", "ws:"),
    # learning-curve statistics and low-fidelity measurements, not hardware costs
    "fidelity": ("lc:", "extra:", "!extra:hw_"),
}
#: the meta-models the tuner chooses among; any kind of :data:`BASE_KINDS` may be one as well
META_KINDS = ("ngboost", "xgboost", "ridge", "mean", "rank")
#: the rank meta-model's power unless ``meta_params`` say otherwise: chosen by cross-validation
RANK_META_POWER = "auto"


def _group_of(label: str) -> str:
    return label.split("[", 1)[0]


def column_indices(columns: Sequence[str], column_set: str) -> list[int]:
    """Indices of the columns whose group falls in ``column_set``."""
    try:
        prefixes = COLUMN_SETS[column_set]
    except KeyError:
        raise OmniError(
            f"unknown column set {column_set!r}; use one of {sorted(COLUMN_SETS)}"
        ) from None
    include = tuple(p for p in prefixes if not p.startswith("!"))
    exclude = tuple(p[1:] for p in prefixes if p.startswith("!"))
    return [
        k
        for k, c in enumerate(columns)
        if _group_of(c).startswith(include) and not (exclude and _group_of(c).startswith(exclude))
    ]


def _latest_fidelity(labels: Sequence[str], idx: Sequence[int]) -> list[int]:
    """``idx`` without the learning-curve columns that a later epoch of the same statistic
    supersedes (``lc:sotl@3`` when ``lc:sotl@6`` is there); other columns are all kept."""
    curve = {
        k: parse_lc(_group_of(labels[k])) for k in idx if _group_of(labels[k]).startswith("lc:")
    }
    latest: dict[str, int] = {}
    for stat, epochs in curve.values():
        latest[stat] = max(latest.get(stat, 0), epochs)
    return [k for k in idx if k not in curve or curve[k][1] == latest[curve[k][0]]]


class NGBoostMeta(RegressorMixin, BaseEstimator):
    """NGBoost (Normal) behind median imputation with missing indicators, fitted together.

    NGBoost rejects NaN, so imputation is part of the model (fitted on its training rows only).
    """

    def __init__(
        self,
        n_estimators: int = 400,
        learning_rate: float = 0.03,
        max_depth: int = 3,
        min_samples_leaf: int = 1,
        minibatch_frac: float = 1.0,
        col_sample: float = 1.0,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.minibatch_frac = minibatch_frac
        self.col_sample = col_sample
        self.random_state = random_state

    def fit(self, X, y) -> NGBoostMeta:
        self.imputer_ = SimpleImputer(
            strategy="median", add_indicator=True, keep_empty_features=True
        )
        Z = self.imputer_.fit_transform(np.asarray(X, dtype=float))
        tree = DecisionTreeRegressor(
            criterion="friedman_mse",
            max_depth=int(self.max_depth),
            min_samples_leaf=int(self.min_samples_leaf),
            random_state=self.random_state,
        )
        from ngboost import NGBRegressor  # imported when fitted: its import costs 1.5 s (sympy)
        from ngboost.distns import Normal

        self.model_ = NGBRegressor(
            Dist=Normal,
            Base=tree,
            n_estimators=int(self.n_estimators),
            learning_rate=float(self.learning_rate),
            minibatch_frac=float(self.minibatch_frac),
            col_sample=float(self.col_sample),
            verbose=False,
            random_state=self.random_state,
        ).fit(Z, np.asarray(y, dtype=float))
        return self

    def pred_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        dist = self.model_.pred_dist(self.imputer_.transform(np.asarray(X, dtype=float)))
        return np.asarray(dist.loc, dtype=float), np.asarray(dist.scale, dtype=float)

    def predict(self, X) -> np.ndarray:
        return self.pred_dist(X)[0]


class OmniPredictor(BasePredictor):
    """Stacked composite predictor; a scikit-learn regressor.

    Parameters
    ----------
    columns : one label per column of X (feature-group names such as ``"onehot[3]"``,
        ``"zc:jacov"``, ``"lc:sotl_e@12"``). ``None``: every column is treated as ``"all"``.
    base_predictors : ``"kind@column_set"`` entries, e.g. ``("xgb-rank@all", "rank@scores")``;
        kinds :data:`BASE_KINDS`, column sets :data:`COLUMN_SETS`. Empty: the meta-model alone.
    passthrough : give the raw columns to the meta-model as well (the rank meta-model takes
        only the low-fidelity columns, ``lc:`` and ``extra:``; see :meth:`_rank_meta`).
    meta : ``"rank"`` (:class:`RankEnsemblePredictor` over the out-of-fold predictions; its
        ``power`` defaults to ``"auto"``; predictions are a rank score on the target's scale),
        ``"ngboost"`` (mean and std), ``"xgboost"``, ``"ridge"``, or ``"mean"`` (the plain
        average of the base predictors, no level-1 fit; ``passthrough`` does not apply), or any
        base kind of :data:`BASE_KINDS` with its own defaults (``"pairwise-full"``: a relation
        predictor over the out-of-fold predictions and, passed through, the raw columns).
        A sequence of two or more of these (not ``"mean"``), e.g. ``("rank", "pairwise-full")``:
        a blend, each member fitted on the same out-of-fold predictions, its predictions the
        mean of the members' (all on the target's scale).
    meta_params : hyper-parameters of the meta-model (see :meth:`_make_level1`); for a blend,
        a dict per member kind, e.g. ``{"rank": {"power": 4.0}}``.
    cv : folds of the out-of-fold level-0 predictions.
    n_jobs : processes fitting the base predictors side by side (joblib; ``None``: one).
        Predictions do not depend on it.
    """

    #: feature groups of the untuned composite in ``omni evaluate`` (what the benchmark has of them)
    default_groups = ("graph", "zc:*")
    allow_nan = True

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        base_predictors: Sequence[str] = ("xgb-rank@all", "rf@all", "et@all", "pairwise@all"),
        passthrough: bool = True,
        meta: str | Sequence[str] = "rank",
        meta_params: dict | None = None,
        cv: int = 5,
        random_state: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.columns = columns
        self.base_predictors = base_predictors
        self.passthrough = passthrough
        self.meta = meta
        self.meta_params = meta_params
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ building
    def _labels(self, n_features: int) -> list[str]:
        if self.columns is None:
            return ["all"] * n_features
        if len(self.columns) != n_features:
            raise OmniError(
                f"columns names {len(self.columns)} labels but X has {n_features} columns"
            )
        return list(self.columns)

    def _make_meta(self, labels: list[str], n_base: int):
        """The level-1 model of ``meta`` (a blend: the mean of its members' target-scale
        predictions) and the ``meta_params`` it did not use."""
        if isinstance(self.meta, str):
            return self._make_level1(self.meta, dict(self.meta_params or {}), labels, n_base)
        kinds = list(self.meta)
        if len(kinds) < 2 or "mean" in kinds or len(set(kinds)) < len(kinds):
            raise OmniError(
                f"a blended meta-model needs two or more distinct level-1 models other than "
                f"'mean', got {kinds}"
            )
        params = dict(self.meta_params or {})
        members, unused = [], {}
        for kind in kinds:
            model, left = self._make_level1(
                kind, dict(params.pop(kind, None) or {}), labels, n_base
            )
            members.append((kind, model))
            unused.update({f"{kind}.{k}": v for k, v in left.items()})
        unused.update(params)
        return VotingRegressor(members), unused

    def _make_level1(self, kind: str, params: dict, labels: list[str], n_base: int):
        rs = self.random_state
        if kind == "ngboost":
            keys = (
                "max_depth",
                "min_samples_leaf",
                "n_estimators",
                "learning_rate",
                "minibatch_frac",
                "col_sample",
            )
            chosen = {k: params.pop(k) for k in keys if k in params}
            return NGBoostMeta(random_state=rs, **chosen), params
        if kind == "xgboost":
            return XGBPredictor(random_state=rs, **params), {}
        if kind == "mean":
            return None, params
        if kind == "rank":
            chosen = {"power": params.pop("power", RANK_META_POWER)}
            if "powers" in params:
                chosen["powers"] = tuple(params.pop("powers"))
            if "select" in params:
                chosen["select"] = params.pop("select")
            rank = RankEnsemblePredictor(random_state=rs, **chosen)
            return self._rank_meta(rank, labels, n_base), params
        if kind in BASE_KINDS:
            return BASE_KINDS[kind](rs), params
        raise OmniError(
            f"unknown meta-model {kind!r}; use one of {list(META_KINDS)} "
            f"or a base kind ({', '.join(sorted(BASE_KINDS))})"
        )

    def _make_base(self, labels: list[str]) -> list[tuple[str, object]]:
        estimators = []
        for k, entry in enumerate(self.base_predictors):
            kind, _, column_set = entry.partition("@")
            if kind not in BASE_KINDS:
                raise OmniError(
                    f"unknown base predictor kind {kind!r}; use one of {sorted(BASE_KINDS)}"
                )
            idx = column_indices(labels, column_set or "all")
            if not idx:
                continue
            select = ColumnTransformer([("cols", "passthrough", idx)], remainder="drop")
            estimators.append(
                (
                    f"{k}_{kind}",
                    Pipeline([("select", select), ("model", BASE_KINDS[kind](self.random_state))]),
                )
            )
        return estimators

    def _rank_meta(self, meta, labels: list[str], n_base: int) -> Pipeline:
        """The rank meta-model's inputs: the base predictions and, passed through, only the
        low-fidelity columns (``lc:``, ``extra:``), each curve statistic at its latest epoch.

        Those measure the target itself, so one of them may deserve most of the weight. Zero-cost
        proxies are left to the base predictors: with 20 architectures a weak proxy's Kendall tau
        can look like the best column by luck (measured: grasp, tau 0.34 on all of NB201, scored
        0.77 on one 20-architecture sample), and the meta-model would follow it. Earlier epochs
        of a statistic are left to the trees for the same reason (nb201-digits, n=20: reading
        every epoch scored 0.726, the latest only 0.737, 10 seeds).
        """
        direct = column_indices(labels, "fidelity") if self.passthrough or not n_base else []
        direct = _latest_fidelity(labels, direct)
        keep = list(range(n_base)) + [n_base + i for i in direct]
        if not keep:
            raise OmniError(
                "meta='rank' weighs base predictors and low-fidelity columns (lc:, extra:); "
                "there are neither"
            )
        select = ColumnTransformer([("cols", "passthrough", keep)], remainder="drop")
        meta.set_params(nonnegative=tuple(range(n_base)))  # never invert a base predictor
        return Pipeline([("select", select), ("model", meta)])

    # ------------------------------------------------------------------ estimator API
    def fit(self, X, y) -> OmniPredictor:
        X, y = self._validate_fit(X, y)
        if len(y) < 4:
            raise InvalidInputError(
                f"OmniPredictor needs at least 4 training architectures, got n_samples={len(y)}"
            )
        labels = self._labels(X.shape[1])
        base = self._make_base(labels)
        meta, unused = self._make_meta(labels, len(base))
        if unused:
            raise OmniError(f"unknown {self.meta} hyper-parameters: {sorted(unused)}")
        if self.meta == "mean":
            if not base:
                raise OmniError("meta='mean' averages base predictors; give at least one")
            self.model_ = VotingRegressor(base, n_jobs=self.n_jobs)
        elif base:
            folds = KFold(min(self.cv, len(y)), shuffle=True, random_state=self.random_state or 0)
            self.model_ = StackingRegressor(
                base,
                final_estimator=meta,
                cv=folds,
                passthrough=self.passthrough,
                n_jobs=self.n_jobs,
            )
        else:
            self.model_ = clone(meta)
        self.model_.fit(X, y)
        residual = y - self.model_.predict(X)
        self.residual_std_ = float(np.std(residual)) or 1e-6
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return self.model_.predict(X).astype(float)

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation per architecture.

        NGBoost gives a real predictive distribution; the other meta-models give the training
        residuals' standard deviation for every architecture (a crude, constant width).
        """
        X = self._validate_predict(X)
        if self.meta != "ngboost":
            mean = self.model_.predict(X).astype(float)
            return mean, np.full(len(mean), self.residual_std_)
        if isinstance(self.model_, StackingRegressor):
            Z = self.model_.transform(X)
            final = self.model_.final_estimator_
        else:
            Z, final = X, self.model_
        return final.pred_dist(Z)
