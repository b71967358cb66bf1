"""Progress reports: plain, few lines when standard error is not a terminal."""

from __future__ import annotations

import io

from omni.progress import PlainProgress, progress_bar


def test_plain_progress_writes_a_few_lines_without_carriage_returns():
    out = io.StringIO()
    with PlainProgress(total=200, desc="evaluate", unit="fit", stream=out) as bar:
        for k in range(200):
            bar.set_postfix_str(f"seed {k}")
            bar.update()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 5  # start, three quarters, done
    assert lines[0] == "evaluate: 0/200 fits" and "200/200 fits done" in lines[-1]
    assert "50/200" in lines[1] and "seed 49" in lines[1]


def test_plain_progress_wraps_an_iterable_and_can_be_silenced():
    out = io.StringIO()
    assert list(PlainProgress(range(8), desc="training", unit="run", stream=out)) == list(range(8))
    assert "8/8 runs done" in out.getvalue().splitlines()[-1]
    quiet = io.StringIO()
    with PlainProgress(total=3, disable=True, stream=quiet) as bar:
        bar.update(3)
    assert quiet.getvalue() == ""


def test_not_a_terminal_gets_plain_lines(capsys):
    with progress_bar(total=4, desc="search", unit="run") as bar:
        for _ in range(4):
            bar.update()
    err = capsys.readouterr().err
    assert "\r" not in err and err.count("\n") <= 5 and "4/4 runs done" in err


def test_small_totals_write_each_milestone_once():
    out = io.StringIO()
    with PlainProgress(total=2, unit="run", stream=out) as bar:
        bar.update()
        bar.update()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[0] == "0/2 runs" and "2/2 runs done" in lines[2]
    assert out.getvalue().count("1/2 runs") == 1
