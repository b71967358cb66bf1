"""Optuna storages for studies that several processes share, and that survive a killed one.

:func:`open_storage` takes a database URL (``sqlite:///studies.db``,
``postgresql://user@host/db``, any SQLAlchemy URL Optuna supports) or a journal file
(``journal:studies.log``, or a path ending in ``.log`` / ``.journal``; Optuna's
``JournalStorage``, for many processes on one machine or a shared file system without a
server). Database storages keep a heartbeat: a trial whose process died (SIGKILL, a lost node)
is marked FAIL once its heartbeat is ``grace`` seconds old, and is retried once with the same
parameters; so is a trial whose process died before its first heartbeat, once it has been
running for ``grace`` seconds (Optuna alone would leave it RUNNING forever). A journal has no
heartbeat: a killed worker's trial stays RUNNING, is not counted among the finished trials,
and the others finish the study.
"""

from __future__ import annotations

import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from features.errors import OmniError

#: seconds between a running trial's heartbeats (database storages)
HEARTBEAT_SECONDS = 10
#: a killed trial is retried this many times with the same parameters
MAX_RETRY = 1
JOURNAL_PREFIX = "journal:"
JOURNAL_SUFFIXES = (".log", ".journal")
_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql"}


def is_journal(url: str) -> bool:
    return url.startswith(JOURNAL_PREFIX) or url.endswith(JOURNAL_SUFFIXES)


def open_storage(
    url: str, heartbeat: float = HEARTBEAT_SECONDS, attempts: int = 5
) -> optuna.storages.BaseStorage:
    """The storage of ``url`` (see the module docstring); :class:`OmniError` for a URL it
    cannot open. ``heartbeat``: seconds between heartbeats; a trial silent for twice as long
    (at least 2 s) counts as dead.

    Several processes may create one new database at once: the one that loses the race to
    create the schema retries. SQLite connections wait for each other's locks.
    """
    if not isinstance(url, str) or not url:
        raise OmniError(f"storage must be a URL or a journal path, got {url!r}")
    if is_journal(url):
        return _journal(url.removeprefix(JOURNAL_PREFIX))
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if "://" not in url:
        raise OmniError(
            f"storage {url!r} is neither a database URL (sqlite:///studies.db, "
            "postgresql://user@host/db) nor a journal file (journal:studies.log)"
        )
    if scheme in _DRIVERS and "+" not in url.split("://", 1)[0]:
        _require_driver(scheme)
    if heartbeat <= 0:
        raise OmniError(f"heartbeat must be a positive number of seconds, got {heartbeat}")
    interval = max(1, round(heartbeat))
    kwargs = {"connect_args": {"timeout": 60}} if scheme == "sqlite" else {}
    from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():  # Optuna marks its heartbeat API experimental
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return HeartbeatStorage(
                    url,
                    engine_kwargs=kwargs,
                    heartbeat_interval=interval,
                    grace_period=max(2, 2 * interval),
                    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(MAX_RETRY),
                )
        except (ArgumentError, NoSuchModuleError) as err:
            raise OmniError(f"storage {url!r}: {err}") from None
        except (IntegrityError, OperationalError) as err:
            if attempt == attempts - 1:
                raise OmniError(f"storage {url!r} cannot be opened: {err}") from None
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


class HeartbeatStorage(optuna.storages.RDBStorage):
    """Optuna's database storage, whose stale trials include those that never sent a heartbeat.

    Optuna starts a trial's heartbeat thread just after the trial is created; a worker killed
    in between leaves a RUNNING trial with no heartbeat, which Optuna's check skips. Here such a
    trial counts as dead once its start is ``grace_period`` old on this machine's clock (the one
    Optuna stamps ``datetime_start`` with; worker clocks apart by more than the grace period
    could fail a trial in its first milliseconds).
    """

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        import sqlalchemy
        from optuna.storages._rdb import models

        stale = list(super()._get_stale_trial_ids(study_id))
        grace = timedelta(seconds=self.grace_period)  # open_storage always sets it
        running = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
        with self.engine.connect() as conn:
            beating = set(conn.scalars(sqlalchemy.select(models.TrialHeartbeatModel.trial_id)))
        now = datetime.now()
        for trial in running:
            started = trial.datetime_start
            unseen = trial._trial_id not in beating and trial._trial_id not in stale
            if unseen and started is not None and now - started > grace:
                stale.append(trial._trial_id)
        return stale


def _journal(path: str) -> optuna.storages.JournalStorage:
    from optuna.storages.journal import JournalFileBackend

    file = Path(path)
    if not file.parent.is_dir():
        raise OmniError(f"journal {path!r}: folder {str(file.parent)!r} does not exist")
    return optuna.storages.JournalStorage(JournalFileBackend(str(file)))


def _require_driver(scheme: str) -> None:
    import importlib.util

    module = _DRIVERS[scheme]
    if importlib.util.find_spec(module) is None:
        extra = "postgres" if scheme == "postgresql" else scheme
        raise OmniError(
            f"a {scheme} storage needs the {module} driver: pip install 'omni-nas[{extra}]'"
        )
