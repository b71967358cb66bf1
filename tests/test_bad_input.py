"""The bad-input catalogue: every malformed input meets a clear error (an ``OmniError`` in the
library, exit status 2 and one ``omni CMD: error:`` line from the command), never a traceback,
a hang or a wrong number. The README lists these cases and their count."""

from __future__ import annotations

import gzip
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.errors import InvalidArchitectureError, OmniError
from omni import spaces
from omni.cli import main
from omni.data import load_benchmark

SPACES = [spaces.get(n) for n in spaces.names()]


def fails_cleanly(capsys, argv: list[str], *needles: str) -> str:
    """``omni argv`` exits with status 2 and a one-line error naming ``needles``."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    assert "Traceback" not in err and "error" in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


# ------------------------------------------------------------------ architecture strings
@pytest.mark.parametrize("space", SPACES, ids=lambda s: s.name)
@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=st.text(max_size=300))
def test_any_text_parses_or_names_its_fault(space, text):
    try:
        arch = space.parse(text)
    except InvalidArchitectureError as err:
        assert str(err)
    else:
        assert space.is_valid(arch)


@pytest.mark.parametrize("space", SPACES, ids=lambda s: s.name)
@settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_edited_architecture_strings_parse_or_name_their_fault(space, data):
    text = space.to_str(space.sample(1, data.draw(st.integers(0, 1000)))[0])
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        char = data.draw(st.characters(codec="utf-8"))
        if edit == "insert":
            text = text[:at] + char + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at + 1 :]
    try:
        arch = space.parse(text)
    except InvalidArchitectureError:
        return
    assert space.is_valid(arch) and space.parse(space.to_str(arch)) == arch


@pytest.mark.parametrize(
    ("space", "text", "needle"),
    [
        ("nb201", "|conv9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op"),
        ("nb201", "|none~0|+|none~0|", "node groups"),
        ("darts", "([(0, 0)], [(0, 0)])", "."),
        ("nb101", "(1, 2, 3)", "."),
        ("nlp", '{"h_new_0": {"op": "linear", "input": ["h_new_0"]}}', "."),
        ("nlp", '{"h_new_0": {"op": "warp", "input": ["x"]}}', "warp"),
        ("tnb101-macro", "64-99", "."),
    ],
)
def test_known_bad_architectures(space, text, needle):
    with pytest.raises(InvalidArchitectureError, match=needle):
        spaces.get(space).parse(text)


def test_unknown_space_and_unknown_op_from_the_command(capsys, tmp_path):
    archs = tmp_path / "a.txt"
    archs.write_text("|conv9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|\n")
    fails_cleanly(capsys, ["zc", "--space", "nope", "--sample", "2"], "nope")
    fails_cleanly(capsys, ["zc", "--space", "nb201", str(archs)], "conv9x9")
    fails_cleanly(
        capsys, ["zc", "--space", "nb201", "--sample", "2", "--proxies", "magic"], "magic"
    )


# ------------------------------------------------------------------ benchmark files
def _write(path, payload: bytes):
    path.write_bytes(payload)
    return path


@pytest.fixture
def good_file(toy_bench, tmp_path):
    return toy_bench.save(tmp_path / "good.json.gz")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("empty.json", lambda p, g: _write(p, b"")),
        ("garbage.json", lambda p, g: _write(p, bytes(range(256)) * 4)),
        ("list.json", lambda p, g: _write(p, b"[1, 2, 3]")),
        ("foreign.json", lambda p, g: _write(p, json.dumps({"hello": "world"}).encode())),
        ("nan.json", lambda p, g: _write(p, b"NaN")),
        ("truncated.json.gz", lambda p, g: _write(p, g.read_bytes()[: len(g.read_bytes()) // 2])),
        ("notgzip.json.gz", lambda p, g: _write(p, b"{}")),
        ("empty.csv", lambda p, g: _write(p, b"")),
        ("header.csv", lambda p, g: _write(p, b"arch,acc\n")),
        ("zc_nasbench201_cifar10.json", lambda p, g: _write(p, b'{"cifar10": {"x": 1}}')),
        ("zc_nasbench201_empty.json", lambda p, g: _write(p, b'{"cifar10": {}}')),
    ],
)
def test_broken_benchmark_files(capsys, tmp_path, good_file, name, make):
    path = make(tmp_path / name, good_file)
    with pytest.raises(OmniError):
        load_benchmark(path)
    fails_cleanly(capsys, ["evaluate", str(path), "--seeds", "1"], name)


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".json", ".json.gz", ".csv"]))
def test_random_bytes_are_refused_with_a_reason(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"bench{suffix}"
    path.write_bytes(gzip.compress(data) if suffix == ".json.gz" and data[:1] == b"g" else data)
    with pytest.raises(OmniError):
        load_benchmark(path)


def test_marker_values_and_tiny_benchmarks(capsys, toy_bench, tmp_path):
    bench = toy_bench.subset(np.arange(40))
    proxy = next(iter(bench.zc))
    bench.zc[proxy][:5] = [np.nan, np.inf, -np.inf, -1e9, 1e300]  # failure markers
    path = bench.save(tmp_path / "markers.json.gz")
    out = tmp_path / "r.json"
    argv = ["evaluate", str(path), "--predictors", "omni", "--train-sizes", "20"]
    assert main([*argv, "--test-size", "15", "--seeds", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["records"] and all(np.isfinite(r["kendall_tau"]) for r in result["records"])
    one = toy_bench.subset([0]).save(tmp_path / "one.json.gz")
    fails_cleanly(capsys, ["evaluate", str(one), "--predictors", "omni", "--seeds", "1"])
    small = toy_bench.subset(np.arange(30)).save(tmp_path / "small.json.gz")
    fails_cleanly(
        capsys,
        ["evaluate", str(small), "--predictors", "omni", "--train-sizes", "100", "--seeds", "1"],
        "100",
    )


# ------------------------------------------------------------------ budgets and CLI values
def test_impossible_budgets_and_non_numeric_values(capsys, good_file):
    bench = str(good_file)
    fails_cleanly(capsys, ["tune", bench, "--train-size", "40", "--query-budget", "-1"])
    fails_cleanly(capsys, ["tune", bench, "--train-size", "abc"], "abc")
    fails_cleanly(capsys, ["evaluate", bench, "--seeds", "many"], "many")
    fails_cleanly(capsys, ["evaluate", bench, "--query-budget", "-3", "--seeds", "1"])
    fails_cleanly(capsys, ["tune", bench, "--train-size", "40", "--trials", "0"], "trials")


# ------------------------------------------------------------------ model files
@pytest.fixture
def model_file(capsys, toy_bench, tmp_path):
    bench = toy_bench.save(tmp_path / "b.json.gz")
    model = tmp_path / "m.omni"
    assert main(["fit", str(bench), "--train-size", "40", "--out", str(model)]) == 0
    capsys.readouterr()
    return model


def test_broken_model_files(capsys, model_file, tmp_path, toy_bench):
    archs = tmp_path / "a.txt"
    archs.write_text(toy_bench.archs[0] + "\n")
    raw = model_file.read_bytes()
    cases = {
        "truncated.omni": raw[: len(raw) // 2],
        "empty.omni": b"",
        "text.omni": b"not a model",
    }
    for name, payload in cases.items():
        (tmp_path / name).write_bytes(payload)
        fails_cleanly(capsys, ["predict", str(tmp_path / name), str(archs)], name)
    flipped = bytearray(raw)
    middle = len(flipped) // 2
    flipped[middle : middle + 64] = bytes(64)  # corrupted inside the payload
    (tmp_path / "corrupt.omni").write_bytes(bytes(flipped))
    fails_cleanly(capsys, ["predict", str(tmp_path / "corrupt.omni"), str(archs)])
    other = tmp_path / "manifest.omni"  # a model made by another format version
    with zipfile.ZipFile(model_file) as src, zipfile.ZipFile(other, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["format_version"] = 999
                data = json.dumps(manifest).encode()
            dst.writestr(item, data)
    fails_cleanly(capsys, ["predict", str(other), str(archs)], "format")
    archs.write_text("")
    fails_cleanly(capsys, ["predict", str(model_file), str(archs)], "no architectures")
