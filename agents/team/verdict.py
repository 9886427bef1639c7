"""Telling "the tests failed" from "the tests could not run", and naming the failing tests.

A check run that says "Tests failed" must mean tests ran and some failed: a missing test
runner, a command that does not exist, or test modules that cannot even be imported are
"could not run the tests" (a `neutral` conclusion), never a verdict on the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TestStatus = Literal["passed", "failed", "not_run"]
MAX_FAILING = 100
# pytest's exit codes that mean no test ran: interrupted (collection errors), internal
# error, usage error, nothing collected.
PYTEST_NOT_RUN = {
    2: "pytest stopped before running tests (errors while collecting or importing them)",
    3: "pytest hit an internal error",
    4: "pytest was called wrongly (a usage error)",
    5: "pytest collected no tests",
}
# The interpreter itself saying `python3 -m X` found no X (not a traceback from a test).
_NO_RUNNER = re.compile(r"^\S*python[\d.]*: No module named (\S+)", re.M)
_RAN_ZERO = re.compile(r"^Ran 0 tests? in", re.M)
_UNITTEST_PROBLEM = re.compile(r"^(?:FAIL|ERROR): (\S+) \(([^)]*)\)", re.M)
_FAILING = (
    re.compile(r"^(?:FAILED|ERROR) (\S+::\S+|\S+\.py)", re.M),  # pytest's short summary
    re.compile(r"^--- FAIL: (\S+)", re.M),  # go test
    re.compile(r"^test (\S+) \.\.\. FAILED", re.M),  # cargo test
)


@dataclass(frozen=True)
class Verdict:
    status: TestStatus
    # Why the tests could not run ('' when they ran).
    reason: str = ""


def _unittest_import_only(output: str) -> bool:
    problems = _UNITTEST_PROBLEM.findall(output)
    return bool(problems) and all("_FailedTest" in where for _, where in problems)


def classify(command: str, exit_code: int | None, output: str, *, timed_out: bool) -> Verdict:
    """The outcome of a test command from its exit code and output."""
    if timed_out or exit_code is None:
        return Verdict("failed")
    if exit_code == 127:
        return Verdict("not_run", "a command was not found (exit code 127)")
    if exit_code == 126:
        return Verdict("not_run", "a command could not be executed (exit code 126)")
    runner = _NO_RUNNER.search(output)
    if runner is not None and exit_code != 0:
        return Verdict("not_run", f"{runner.group(1)} is not installed in the environment")
    if "pytest" in command and exit_code in PYTEST_NOT_RUN:
        return Verdict("not_run", PYTEST_NOT_RUN[exit_code])
    if "unittest" in command:
        if _RAN_ZERO.search(output):
            return Verdict("not_run", "unittest found no tests (Ran 0 tests)")
        if exit_code != 0 and _unittest_import_only(output):
            return Verdict("not_run", "the test modules could not be imported (ImportError)")
    return Verdict("passed" if exit_code == 0 else "failed")


def failing_tests(output: str) -> tuple[str, ...]:
    """The failing tests' names as the runner printed them (pytest, unittest, go, cargo)."""
    found: list[str] = []
    for name, where in _UNITTEST_PROBLEM.findall(output):
        found.append(where if where.endswith(f".{name}") else f"{where}.{name}")
    for pattern in _FAILING:
        found += pattern.findall(output)
    return tuple(dict.fromkeys(found))[:MAX_FAILING]
