"""`omni predict` on architectures that no benchmark table holds: the proxies the model reads
are computed as the table's were."""

from __future__ import annotations

import numpy as np
import pytest

from features.errors import OmniError
from omni import spaces
from omni.cli import main
from omni.data import load_benchmark

NB201 = spaces.get("nb201")


def predictions(out: str) -> dict[str, float]:
    rows = [line.split() for line in out.splitlines()]
    return {r[0]: float(r[1]) for r in rows if len(r) == 3 and r[0].startswith("|")}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("predict-new")
    bench = load_benchmark("nb201-digits")
    keep = bench.subset(np.arange(200))
    keep.zc = {p: keep.zc[p] for p in ("synflow", "jacov", "nwot")}
    keep.curves, keep.epoch_seconds = {}, None  # a model of encodings and proxies only
    path = keep.save(tmp / "small.json.gz")
    model = tmp / "m.omni"
    assert main(["fit", str(path), "--train-size", "60", "--out", str(model)]) == 0
    return tmp, bench, path, model


def test_scores_computed_here_match_the_table(fitted, capsys):
    tmp, bench, path, model = fitted
    archs = bench.archs[150:153]  # in the table the model was fitted from
    listed = tmp / "archs.txt"
    listed.write_text("\n".join(archs) + "\n")
    capsys.readouterr()
    assert main(["predict", str(model), str(listed)]) == 0
    from_table = predictions(capsys.readouterr().out)
    lacking = load_benchmark(path).subset(np.r_[0:150, 153:200])  # a table without them
    other = lacking.save(tmp / "lacking.json.gz")
    assert main(["predict", str(model), str(listed), "--bench", str(other)]) == 0
    out = capsys.readouterr().out
    assert "computing jacov, nwot, synflow for 3 architectures" in out
    computed = predictions(out)
    assert computed.keys() == from_table.keys() and len(computed) == 3
    for arch in computed:
        assert computed[arch] == pytest.approx(from_table[arch], abs=1e-6)


def test_an_architecture_of_no_table(fitted, capsys):
    tmp, bench, _, model = fitted
    known = {NB201.key(a) for a in bench.archs}
    new = next(a for a in NB201.sample(200, 5) if NB201.key(a) not in known)
    listed = tmp / "new.txt"
    listed.write_text(NB201.to_str(new) + "\n")
    capsys.readouterr()
    assert main(["predict", str(model), str(listed)]) == 0
    values = predictions(capsys.readouterr().out)
    assert len(values) == 1 and np.isfinite(next(iter(values.values())))


def test_a_published_file_cannot_score_new_architectures(fitted, tmp_path):
    from omni.featurizer import Featurizer

    _, bench, _, _ = fitted
    published = bench.subset(np.arange(10))
    published.metadata = {}
    new = NB201.to_str(NB201.sample(1, 11)[0])
    with pytest.raises(OmniError, match="does not record how its zero-cost scores"):
        Featurizer.for_table(published, ["onehot", "zc:synflow"]).transform([new])
    with pytest.raises(OmniError, match="need training runs"):
        Featurizer.for_table(published, ["onehot", "lc:val_acc:last@3"]).transform([new])


def test_a_second_space_new_architectures(tmp_path, capsys):
    """NAS-Bench-101: a model of encodings scores cells that no table holds, and its ranking
    follows the rule the table was made from (a synthetic target: a weighted op count)."""
    from scipy import stats

    from omni.data import Benchmark

    space = spaces.get("nb101")
    archs = [space.to_str(space.coerce(a)) for a in dict.fromkeys(space.sample(300, 0))]
    archs = list({space.key(a): a for a in archs}.values())  # one per isomorphism class
    weights = np.arange(1, len(space.encode(archs[0], "opcount")) + 1)

    def rule(arch):
        return float(space.encode(arch, "opcount") @ weights)

    table = Benchmark("nb101", "synthetic", archs[:120], np.array([rule(a) for a in archs[:120]]))
    path = table.save(tmp_path / "nb101.json.gz")
    model = tmp_path / "m.omni"
    assert main(["fit", str(path), "--train-size", "100", "--out", str(model)]) == 0
    new = archs[150:190]
    listed = tmp_path / "new.txt"
    listed.write_text("\n".join(new) + "\n")
    capsys.readouterr()
    assert main(["predict", str(model), str(listed)]) == 0
    rows = [line.rsplit(None, 2) for line in capsys.readouterr().out.splitlines()]
    predicted = {r[0].strip(): float(r[1]) for r in rows if len(r) == 3 and r[0].startswith("(")}
    assert len(predicted) == len(new)
    pred = [predicted[a] for a in new]
    assert np.all(np.isfinite(pred))
    assert stats.spearmanr(pred, [rule(a) for a in new])[0] > 0.5
