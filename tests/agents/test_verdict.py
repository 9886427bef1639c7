"""Honest check runs: "could not run the tests" is neutral; "failed" means tests failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.team.qa import TestReport as Report
from agents.team.qa import run_tests
from agents.team.verdict import classify, failing_tests
from agents.tools.base import SandboxSettings
from agents.tools.sandbox import SandboxRunner

PYTEST = "python3 -m pytest"
UNITTEST = "python3 -m unittest discover -v"
UNITTEST_IMPORT_ERROR = """\
test_app (unittest.loader._FailedTest.test_app) ... ERROR

======================================================================
ERROR: test_app (unittest.loader._FailedTest.test_app)
----------------------------------------------------------------------
ImportError: Failed to import test module: test_app
ModuleNotFoundError: No module named 'shoutkit'

Ran 1 test in 0.001s

FAILED (errors=1)
"""
UNITTEST_FAILED = """\
FAIL: test_greet (tests.test_app.GreetTest.test_greet)
----------------------------------------------------------------------
AssertionError: 'Hi' != 'Hello'
Ran 2 tests in 0.001s

FAILED (failures=1)
"""
PYTEST_FAILED = """\
tests/test_app.py F.                                                   [100%]
=========================== short test summary info ============================
FAILED tests/test_app.py::test_greet - AssertionError: assert 'Hi' == 'Hello'
1 failed, 1 passed in 0.02s
"""


@pytest.mark.parametrize(
    ("command", "code", "output", "status"),
    [
        (PYTEST, 0, "1 passed", "passed"),
        (PYTEST, 1, PYTEST_FAILED, "failed"),
        (PYTEST, 2, "ERROR collecting tests/test_app.py\nInterrupted: 1 error", "not_run"),
        (PYTEST, 4, "ERROR: usage", "not_run"),
        (PYTEST, 5, "no tests ran in 0.01s", "not_run"),
        (PYTEST, 1, "/usr/bin/python3: No module named pytest", "not_run"),
        ("make test", 2, "make: *** [test] Error 1", "failed"),  # 2 is make's failure
        ("npm test", 127, "sh: 1: jest: not found", "not_run"),
        (UNITTEST, 1, UNITTEST_IMPORT_ERROR, "not_run"),
        (UNITTEST, 1, UNITTEST_FAILED, "failed"),
        (UNITTEST, 1, UNITTEST_FAILED + UNITTEST_IMPORT_ERROR, "failed"),
        (UNITTEST, 0, "\nRan 0 tests in 0.000s\n\nOK\n", "not_run"),
    ],
)
def test_outcomes_are_classified(command: str, code: int, output: str, status: str) -> None:
    assert classify(command, code, output, timed_out=False).status == status


def test_failing_tests_are_named_for_each_runner() -> None:
    assert failing_tests(PYTEST_FAILED) == ("tests/test_app.py::test_greet",)
    assert failing_tests(UNITTEST_FAILED) == ("tests.test_app.GreetTest.test_greet",)
    assert failing_tests("--- FAIL: TestAdd (0.00s)\n") == ("TestAdd",)
    assert failing_tests("test math::adds ... FAILED\n") == ("math::adds",)


def test_a_missing_test_runner_is_neutral_not_a_failure(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    assert True\n")
    report = run_tests(
        SandboxRunner(), tmp_path, "python3 -m no_such_runner_xyz", SandboxSettings()
    )
    assert report.conclusion == "neutral"
    output = report.check_output()
    assert output.title == "Could not run the tests"
    assert "No module named no_such_runner_xyz" in output.text


def test_the_check_text_leads_with_the_failing_tests_and_keeps_the_whole_output() -> None:
    # Trimming to GitHub's limit is the git host's job (tests/github/test_size_limits.py).
    output = "x" * 100_000 + "\nTHE END"
    report = Report("cmd", "failed", output, failing=("tests/test_a.py::test_b",))
    text = report.check_output().text
    assert output in text
    assert text.startswith("Failing tests:\n- `tests/test_a.py::test_b`")
    assert report.check_output().title == "Tests failed"
    assert "1 failing test(s)" in report.check_output().summary
