"""A real Dask scheduler and worker processes on loopback, for the cluster tests.

Started with Dask's own command-line programs (``python -m distributed.cli.dask_scheduler``
and ``dask_worker``), on 127.0.0.1 with ephemeral ports, each worker one process with
one task thread and one Numba thread, and no nanny (so that a killed worker stays dead).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Connection attempts give up after this: a lost scheduler must end a run quickly here.
DASK_ENV = {
    "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s",
    "NUMBA_NUM_THREADS": "1",
    "PYTHONUNBUFFERED": "1",
}


def _env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(DASK_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra or {})
    return env


class LoopbackCluster:
    """A scheduler and ``workers`` worker processes; ``address`` is the scheduler's."""

    def __init__(self, folder: Path, workers: int = 2, preload: Path | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.scheduler_file = self.folder / "scheduler.json"
        self.log = open(self.folder / "cluster.log", "ab")
        self.scheduler = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(self.scheduler_file),
            ],
            env=_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.address = self._wait_for_address()
        self.workers: list[subprocess.Popen] = []
        for _ in range(workers):
            self.add_worker(preload=preload)
        if workers:
            self.wait_for_workers(workers)

    def _wait_for_address(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.scheduler.poll() is not None:
                raise RuntimeError(f"the scheduler exited: see {self.folder / 'cluster.log'}")
            try:
                return json.loads(self.scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        raise RuntimeError("the scheduler did not start")

    def add_worker(self, preload: Path | None = None) -> subprocess.Popen:
        cmd = [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            self.address,
            "--host",
            "127.0.0.1",
            "--nthreads",
            "1",
            "--nworkers",
            "1",
            "--no-nanny",
            "--no-dashboard",
            "--death-timeout",
            "20",
        ]
        if preload is not None:
            cmd += ["--preload", str(preload)]
        worker = subprocess.Popen(cmd, env=_env(), stdout=self.log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker

    def worker_addresses(self) -> dict:
        """{address: pid} of the workers the scheduler knows."""
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            info = client.scheduler_info(n_workers=-1)["workers"]
            pids = client.run(os.getpid)
        return {address: pids.get(address) for address in info}

    def wait_for_workers(self, count: int, timeout: float = 60.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill_worker(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    def kill_scheduler(self) -> None:
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait(timeout=10)

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()


def holopack_cli(
    args: list[str], extra_env: dict | None = None, timeout: float = 180.0, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """The holopack command in a fresh interpreter (as a user runs it)."""
    return subprocess.run(
        [sys.executable, "-m", "holopack", *args],
        env=_env(extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def holopack_popen(args: list[str]) -> subprocess.Popen:
    """The holopack command started in the background; its stderr is piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "holopack", *args], env=_env(), stderr=subprocess.PIPE, text=True
    )
