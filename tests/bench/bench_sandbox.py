"""What a per-command cgroup costs: latency of a trivial command with and without one.

Run: python -m tests.bench.bench_sandbox [--runs N]
Prints the median and p95 wall time of `true` through bubblewrap for each cgroup mode.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from agents.tools.base import SandboxSettings
from agents.tools.cgroupfs import CgroupMode
from agents.tools.sandbox import SandboxRunner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings = SandboxSettings(backend="bwrap", timeout_seconds=30)
    modes: tuple[CgroupMode, ...] = ("auto", "off")
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch)
        for mode in modes:
            runner = SandboxRunner(cgroup=mode)
            runner.run(["true"], workspace=workspace, cwd=workspace, settings=settings)
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                runner.run(["true"], workspace=workspace, cwd=workspace, settings=settings)
                times.append(time.perf_counter() - started)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(
                f"cgroup={mode:<5} median {statistics.median(times) * 1000:6.1f} ms   "
                f"p95 {p95 * 1000:6.1f} ms   ({runner.limits()})"
            )


if __name__ == "__main__":
    main()
