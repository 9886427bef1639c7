"""Start and stop the local services the gateway benchmark measures.

Each service is a subprocess in its own session on a free 127.0.0.1 port, logging to a
file; `ServiceError` carries the tail of that log so a failed start says why.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# Only what a process needs to run: no credentials or service URLs from the caller's
# environment reach the services under test (LiteLLM in particular reads many variables).
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


class ServiceError(RuntimeError):
    """A service did not start or a setup command failed; the message says how to fix it."""


@dataclass(frozen=True)
class Running:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_env(**extra: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update(extra)
    return env


def log_tail(path: Path, lines: int = 25) -> str:
    if not path.is_file():
        return "(no log)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:]) or "(empty log)"


def start(
    name: str,
    argv: list[str],
    *,
    env: dict[str, str],
    log_path: Path,
    port: int,
    ready_path: str,
    timeout: float,
    cwd: Path = REPO_ROOT,
) -> Running:
    """Start `argv` and wait until GET `ready_path` answers 200, or raise ServiceError."""
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Running(name, base_url, process, log_path)
    try:
        _wait_ready(running, ready_path, timeout)
    except BaseException:
        stop(running)
        raise
    return running


def _wait_ready(running: Running, ready_path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                raise ServiceError(
                    f"{running.name} exited with code {running.process.returncode} while "
                    f"starting. Its log ends with:\n{log_tail(running.log_path)}"
                )
            try:
                if client.get(running.base_url + ready_path).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise ServiceError(
        f"{running.name} did not answer GET {ready_path} with 200 within {timeout:.0f} s. "
        f"Its log ends with:\n{log_tail(running.log_path)}"
    )


def cpu_seconds(running: Running) -> float:
    """CPU time (user + system) the service's processes (its process group: uvicorn
    workers included) have used so far; NaN without Linux's /proc."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return float("nan")
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # After the command name: state, ppid, pgrp, ... utime (12th), stime (13th).
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == running.process.pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def stop(running: Running, grace: float = 10.0) -> None:
    """Stop the service's whole process group (uvicorn workers included)."""
    process = running.process
    if process.poll() is not None:
        return
    # The group id is the service's own pid (start_new_session), so this reaches only it
    # and the workers it forked.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(grace)


def run_checked(
    argv: list[str], *, env: dict[str, str], timeout: float, what: str, cwd: Path = REPO_ROOT
) -> str:
    """Run a setup command; return its stdout, or raise ServiceError with its output."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ServiceError(f"{what} did not finish within {timeout:.0f} s: {argv}") from None
    if done.returncode != 0:
        raise ServiceError(
            f"{what} failed with code {done.returncode}: {' '.join(argv)}\n"
            f"{(done.stdout + done.stderr).strip()[-3000:]}"
        )
    return done.stdout


def start_upstream(log_dir: Path, api_key: str, workers: int) -> Running:
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "tests.bench.fake_openai:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = base_env(BENCH_UPSTREAM_KEY=api_key, PYTHONPATH=str(REPO_ROOT))
    return start(
        "fake upstream",
        argv,
        env=env,
        log_path=log_dir / "upstream.log",
        port=port,
        ready_path="/health",
        timeout=30,
    )
