"""Shared tuning studies: storages, `--trials` as a total, workers killed with SIGKILL, and a
real PostgreSQL server started by the test."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from subprocess import PIPE

import numpy as np
import optuna
import pytest
from subprocesses import kill_when, omni

from features.errors import OmniError
from omni.budget import Budget
from omni.storage import open_storage
from omni.tuning import tune

DONE = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


@pytest.fixture
def bench_file(toy_bench, tmp_path):
    n = len(toy_bench)
    toy_bench.zc_seconds["good"] = np.full(n, 2.0)
    toy_bench.zc_seconds["noise"] = np.full(n, 0.1)
    return toy_bench.save(tmp_path / "toy.json.gz")


def tune_cmd(bench: Path, storage: str, trials: int, out: Path, study: str = "s1") -> list[str]:
    return omni(
        "tune",
        str(bench),
        "--train-size",
        "40",
        "--trials",
        str(trials),
        "--storage",
        storage,
        "--study",
        study,
        "--heartbeat",
        "1",
        "--folds",
        "2",  # the storage is under test, not the CV: half the cost of the default 5
        "--out",
        str(out),
    )


_OPENED: dict[str, optuna.storages.BaseStorage] = {}


def opened(storage: str) -> optuna.storages.BaseStorage:
    """One storage (one connection pool) per URL for the whole module: a poll that opened a
    new engine each time would run a server out of connections before the engines are freed."""
    if storage not in _OPENED:
        _OPENED[storage] = open_storage(storage)
    return _OPENED[storage]


def trials_of(storage: str, study: str = "s1") -> list[optuna.trial.FrozenTrial]:
    try:
        return optuna.load_study(study_name=study, storage=opened(storage)).trials
    except KeyError:  # not created yet
        return []


def kill_during_a_trial(proc: subprocess.Popen, storage: str, running: int = 1) -> None:
    """SIGKILL ``proc`` once a trial has finished and ``running`` trials are in flight (maybe
    before their first heartbeat: the storage must fail those too)."""

    def ready() -> bool:
        states = [t.state for t in trials_of(storage)]
        done = states.count(optuna.trial.TrialState.COMPLETE)
        return done >= 1 and states.count(optuna.trial.TrialState.RUNNING) >= running

    kill_when(proc, ready, f"{running} running trials")


def check_consistent(trials: list[optuna.trial.FrozenTrial], total: int) -> None:
    assert sum(t.state in DONE for t in trials) >= total
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert failed, "the killed worker's trial was not failed by the heartbeat"
    retried = {t.system_attrs.get("failed_trial") for t in trials}
    assert all(t.number in retried for t in failed)  # each killed trial ran again
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]


def test_open_storage_kinds_and_errors(tmp_path):
    rdb = open_storage(f"sqlite:///{tmp_path / 'a.db'}", heartbeat=3)
    assert isinstance(rdb, optuna.storages.RDBStorage) and rdb.get_heartbeat_interval() == 3
    for url in (f"journal:{tmp_path / 'a'}", str(tmp_path / "b.log")):
        assert isinstance(open_storage(url), optuna.storages.JournalStorage)
    with pytest.raises(OmniError, match="neither a database URL"):
        open_storage("studies.db")
    with pytest.raises(OmniError, match="does not exist"):
        open_storage(f"journal:{tmp_path / 'no' / 'such.log'}")
    with pytest.raises(OmniError, match="heartbeat"):
        open_storage(f"sqlite:///{tmp_path / 'a.db'}", heartbeat=0)
    with pytest.raises(OmniError, match="storage"):
        open_storage("nosuchdialect://x/y")


@pytest.mark.filterwarnings(
    "ignore:Heartbeat of storage", "ignore::optuna.exceptions.ExperimentalWarning"
)
def test_a_trial_killed_before_its_first_heartbeat_is_failed_and_retried(tmp_path):
    storage = open_storage(f"sqlite:///{tmp_path / 'h.db'}", heartbeat=1)  # grace: 2 s
    study = optuna.create_study(study_name="s", storage=storage)
    study.enqueue_trial({"x": 0.25})
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})  # no heartbeat thread
    optuna.storages.fail_stale_trials(study)
    assert study.trials[0].state == optuna.trial.TrialState.RUNNING  # young: maybe alive
    time.sleep(2.3)
    optuna.storages.fail_stale_trials(study)
    first, retry = study.trials
    assert first.number == trial.number and first.state == optuna.trial.TrialState.FAIL
    assert retry.state == optuna.trial.TrialState.WAITING and retry.params == {"x": 0.25}
    assert retry.system_attrs["failed_trial"] == first.number


def test_trials_is_a_total_for_the_study(toy_bench, tmp_path):
    storage = f"sqlite:///{tmp_path / 't.db'}"
    train = np.arange(40)

    def run(n_trials: int):
        return tune(toy_bench, train, Budget(), n_trials, storage=storage, study_name="s", folds=2)

    _, study = run(3)
    assert len(study.trials) == 3
    profile, study = run(5)
    assert len(study.trials) == 5 and profile.trials == 5
    _, study = run(4)
    assert len(study.trials) == 5  # already holds more: nothing to add
    with pytest.raises(OmniError, match="n_trials"):
        tune(toy_bench, train, Budget(), n_trials=0)
    with pytest.raises(OmniError, match="folds must be >= 2"):
        tune(toy_bench, train, Budget(), n_trials=1, folds=1)


def test_two_workers_share_the_total(bench_file, tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    procs = [
        subprocess.Popen(tune_cmd(bench_file, storage, 4, tmp_path / f"p{k}.json"), stderr=PIPE)
        for k in range(2)
    ]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read().decode()[-2000:]
    done = [t for t in trials_of(storage) if t.state in DONE]
    assert 4 <= len(done) <= 5  # the study's total, not 4 per worker
    assert all((tmp_path / f"p{k}.json").exists() for k in range(2))


def test_a_killed_tune_resumes_and_its_trial_fails(bench_file, tmp_path):
    storage = f"sqlite:///{tmp_path / 'k.db'}"
    proc = subprocess.Popen(
        tune_cmd(bench_file, storage, 4, tmp_path / "p0.json"), stderr=subprocess.PIPE
    )
    kill_during_a_trial(proc, storage)
    assert optuna.trial.TrialState.RUNNING in [t.state for t in trials_of(storage)]
    time.sleep(2.5)  # two missed heartbeats
    again = subprocess.run(
        tune_cmd(bench_file, storage, 4, tmp_path / "p1.json"), capture_output=True, timeout=300
    )
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    check_consistent(trials_of(storage), 4)
    assert json.loads((tmp_path / "p1.json").read_text())["trials"] >= 4


def test_journal_workers_finish_when_one_is_killed(bench_file, tmp_path):
    storage = f"journal:{tmp_path / 'j.log'}"
    procs = [
        subprocess.Popen(
            tune_cmd(bench_file, storage, 4, tmp_path / f"p{k}.json"), stderr=subprocess.PIPE
        )
        for k in range(2)
    ]
    kill_during_a_trial(procs[0], storage)
    assert procs[1].wait(timeout=300) == 0, procs[1].stderr.read().decode()[-2000:]
    trials = trials_of(storage)  # the journal still loads after a SIGKILL
    assert sum(t.state in DONE for t in trials) >= 4
    assert json.loads((tmp_path / "p1.json").read_text())["cv_kendall_tau"] > 0


# ---------------------------------------------------------------------- PostgreSQL
def _postgres_bin() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL server of the OS package, in a temporary folder, on a Unix socket."""
    pytest.importorskip("psycopg", reason="psycopg absent: pip install 'omni-nas[postgres]'")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries absent (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="omni-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no 'postgres' user to run the server as")
        os.chown(root, user.pw_uid, user.pw_gid)
        root.chmod(0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "omni", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    options = f"-k {root} -p {port} -c listen_addresses='' -c max_connections=100"
    subprocess.run(
        [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w"]
        + ["-l", str(root / "server.log"), "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://omni@/postgres?host={root}&port={port}"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def test_three_workers_on_postgres_one_killed(bench_file, tmp_path, postgres_url):
    procs = [
        subprocess.Popen(
            tune_cmd(bench_file, postgres_url, 8, tmp_path / f"p{k}.json"),
            stderr=subprocess.PIPE,
        )
        for k in range(3)
    ]
    kill_during_a_trial(procs[0], postgres_url, running=3)
    for p in procs[1:]:
        assert p.wait(timeout=400) == 0, p.stderr.read().decode()[-2000:]
    check_consistent(trials_of(postgres_url), 8)
    study = optuna.load_study(study_name="s1", storage=opened(postgres_url))
    assert np.isfinite(study.best_value)
    for k in (1, 2):
        assert json.loads((tmp_path / f"p{k}.json").read_text())["trials"] >= 8
