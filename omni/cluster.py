"""Work that joblib spreads over processes, sent to a dask cluster instead: :func:`scheduler`.

``omni zc`` and ``omni build-bench`` take ``--scheduler ADDRESS`` (``tcp://host:8786``, what
``dask scheduler`` prints): their joblib work then runs on that cluster's workers, through
joblib's dask backend, with the same results as a local run. The workers need omni-nas
installed (and the same ``OMNI_SPACES`` plugins).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from features.errors import OmniError

#: seconds to wait for a scheduler before giving up
CONNECT_TIMEOUT = 30


@contextmanager
def scheduler(address: str | None) -> Iterator[object | None]:
    """Within the block, joblib's parallel work runs on the dask cluster at ``address``
    (``None``: locally, as before); yields the dask client (or None)."""
    if address is None:
        yield None
        return
    try:
        import joblib
        from distributed import Client
    except ImportError:
        raise OmniError(
            "--scheduler needs dask's distributed scheduler: pip install 'omni-nas[dask]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        raise OmniError(f"cannot reach the dask scheduler at {address!r}: {err}") from None
    with client, joblib.parallel_config(backend="dask"):
        yield client


def parallel_jobs(jobs: int, address: str | None) -> int:
    """``--jobs`` to hand joblib: on a cluster, every worker (-1) unless the user chose."""
    return -1 if address is not None and jobs == 1 else jobs
