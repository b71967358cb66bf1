"""The one featurization path: a Featurizer reads table rows, finds isomorphs, computes what
no table holds, behaves as a scikit-learn transformer and is saved inside the model file."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from features.errors import OmniError
from omni import spaces
from omni.feature_groups import feature_matrix
from omni.featurizer import Featurizer
from omni.persistence import load_model, save_model
from omni.predictor import OmniPredictor

NB201 = spaces.get("nb201")


def test_archs_and_rows_give_the_table_matrix(toy_bench):
    featurizer = Featurizer.for_table(toy_bench, ["onehot", "zc:*"])
    rows = np.array([3, 0, len(toy_bench) - 1, 42])
    expected, columns = feature_matrix(toy_bench, ["onehot", "zc:*"], rows)
    assert featurizer.columns == columns
    assert list(featurizer.get_feature_names_out()) == columns
    np.testing.assert_array_equal(featurizer.transform_rows(rows), expected)
    np.testing.assert_array_equal(
        featurizer.transform([toy_bench.archs[r] for r in rows]), expected
    )
    assert featurizer.groups_ == ("onehot", "zc:good", "zc:noise")


def test_an_isomorphic_spelling_reads_its_class_row(toy_bench):
    featurizer = Featurizer.for_table(toy_bench, ["zc:good"])
    twins = (
        (row, nb)
        for row, arch in enumerate(toy_bench.archs)
        for nb in NB201.neighbours(arch)
        if NB201.key(nb) == NB201.key(arch) and NB201.to_str(nb) != arch
    )
    found = next(twins, None)
    assert found is not None, "no isomorphic neighbour in the toy table"
    row, twin = found
    assert featurizer.table_rows([twin]) == [row]
    assert featurizer.transform([twin])[0, 0] == toy_bench.zc["good"][row]


def test_architectures_no_table_holds(toy_bench):
    known = {NB201.key(a) for a in toy_bench.archs}
    new = next(a for a in NB201.sample(400, 3) if NB201.key(a) not in known)
    encodings = Featurizer.for_table(toy_bench, ["onehot", "graph"])
    np.testing.assert_array_equal(
        encodings.transform([new])[0],
        np.concatenate([NB201.encode(new, "onehot"), NB201.encode(new, "graph")]),
    )
    with pytest.raises(OmniError, match="does not record how its zero-cost scores"):
        Featurizer.for_table(toy_bench, ["onehot", "zc:good"]).transform([new])
    toy_bench.curves = {"val_acc": np.ones((len(toy_bench), 4))}
    with pytest.raises(OmniError, match="need training runs"):
        Featurizer.for_table(toy_bench, ["lc:val_acc:last@2"]).transform([new])
    # a table arch alone never needs a computation
    row = Featurizer.for_table(toy_bench, ["lc:val_acc:last@2"]).transform(toy_bench.archs[:1])
    assert row.shape == (1, 1)


def test_without_a_table_only_computable_groups():
    featurizer = Featurizer("nb201", ["onehot"]).fit()
    assert featurizer.columns[:2] == ["onehot[0]", "onehot[1]"]
    with pytest.raises(OmniError, match="needs a benchmark table"):
        Featurizer("nb201", ["lc:sotl@3"]).fit()
    with pytest.raises(OmniError, match="no encoding 'nope'"):
        Featurizer("nb201", ["nope"]).fit()
    with pytest.raises(OmniError, match="not one string"):
        Featurizer("nb201", "onehot").fit()
    with pytest.raises(OmniError, match="unknown"):
        Featurizer("nb201", ["zc:nope"]).fit()


def test_a_scikit_learn_transformer_in_a_pipeline(toy_bench, tmp_path):
    featurizer = Featurizer("nb201", ["onehot", "zc:*"], table=toy_bench)
    assert clone(featurizer).get_params()["groups"] == ["onehot", "zc:*"]
    train, test = toy_bench.archs[:150], toy_bench.archs[150:190]
    columns = Featurizer.for_table(toy_bench, ["onehot", "zc:*"]).columns
    pipe = Pipeline(
        [("features", featurizer), ("predictor", OmniPredictor(columns=columns, random_state=0))]
    )
    pipe.fit(train, toy_bench.target[:150])
    before = pipe.predict(test)
    path = save_model(tmp_path / "pipe.omni", pipe, space="nb201")
    loaded, _ = load_model(path)
    assert loaded[0].table is None  # a model file never holds the benchmark
    with pytest.raises(OmniError, match="fitted on a benchmark table"):
        loaded[0].transform([NB201.to_str(NB201.sample(1, 99)[0])])
    loaded.set_params(features__table=toy_bench)
    np.testing.assert_array_equal(loaded.predict(test), before)


def test_a_table_of_another_space_is_refused(toy_bench):
    with pytest.raises(OmniError, match="table is of space 'nb201'"):
        Featurizer("nb101", ["onehot"], table=toy_bench).fit()
