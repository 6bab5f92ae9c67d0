"""A Dask cluster of real processes on loopback: ``dask scheduler`` and ``dask worker``.

:class:`ProcessCluster` starts a scheduler and workers as subprocesses on 127.0.0.1
(free ports, no dashboard, bounded lifetimes) and stops them on exit, even when the
body raises. The tests and ``benchmarks/bench_dask.py`` use it; on a real cluster the
scheduler and workers are started by dask-jobqueue, Kubernetes or by hand (see the
README).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import TracebackType

LIFETIME = "600s"
"""Default bound on the processes: each worker shuts itself down after this long, and
the scheduler after as long idle (the tests' cluster never outlives a crashed run)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _dask() -> list[str]:
    """The ``dask`` command of this Python environment."""
    exe = Path(sys.executable).with_name("dask")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dask"]


class ProcessCluster:
    """A scheduler and ``n_workers`` single-threaded workers, each its own process.

    Parameters
    ----------
    n_workers
        Worker processes (no nanny: killing one loses the worker, as a lost machine).
    memory_limit
        ``--memory-limit`` of each worker (e.g. ``"4GB"``).
    cwd
        The processes' working folder (their scratch space goes there).
    timeout
        Seconds to wait for the workers to register.
    lifetime
        ``--lifetime`` of each worker and ``--idle-timeout`` of the scheduler (a run
        longer than this loses its workers: the benchmark passes hours).

    Examples
    --------
    >>> with ProcessCluster(2) as cluster:  # doctest: +SKIP
    ...     study.run(engine="dask", scheduler=cluster.address, ...)
    """

    def __init__(
        self,
        n_workers: int = 2,
        *,
        memory_limit: str = "2GB",
        cwd: str | Path | None = None,
        timeout: float = 60.0,
        lifetime: str = LIFETIME,
    ) -> None:
        self.n_workers = n_workers
        self.memory_limit = memory_limit
        self.cwd = str(cwd) if cwd is not None else None
        self.timeout = timeout
        self.lifetime = lifetime
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def _start(self, args: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*_dask(), *args],
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped whole
            env=os.environ | {"PYTHONWARNINGS": "ignore"},
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        """Start one more worker process (it registers with the scheduler)."""
        worker = self._start(
            [
                "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                "--no-nanny", "--no-dashboard", "--memory-limit", self.memory_limit,
                "--lifetime", self.lifetime, "--death-timeout", "30",
            ]
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def __enter__(self) -> ProcessCluster:
        try:
            self.scheduler = self._start(
                [
                    "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-dashboard", "--idle-timeout", self.lifetime,
                ]
            )  # fmt: skip
            for _ in range(self.n_workers):
                self.start_worker()
            self.wait_for_workers(self.n_workers)
        except BaseException:
            self.close()
            raise
        return self

    def wait_for_workers(self, n: int) -> None:
        """Block until ``n`` workers are connected (or raise TimeoutError)."""
        from distributed import Client

        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with Client(self.address, timeout="5s") as client:
                        client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
                        return
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{n} Dask workers did not start at {self.address}"
                    ) from None
                time.sleep(0.5)

    def kill_worker(self, index: int = 0) -> None:
        """Kill worker ``index`` at once (SIGKILL): a machine lost mid-run."""
        os.killpg(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait(timeout=10)

    def close(self) -> None:
        """Stop the workers, then the scheduler (SIGTERM; SIGKILL after 5 s)."""
        for group in (self.workers, [self.scheduler] if self.scheduler else []):
            for proc in group:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in group:
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
