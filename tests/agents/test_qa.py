"""The QA check's conclusion comes from running the tests; failures become annotations."""

from __future__ import annotations

from pathlib import Path

from agents.team.qa import failure_annotations, run_tests
from agents.tools.base import SandboxSettings
from agents.tools.sandbox import SandboxRunner

FAILING = (
    "import unittest\n\n\nclass T(unittest.TestCase):\n"
    "    def test_sum(self):\n        self.assertEqual(1 + 1, 3)\n"
)


def test_a_failing_suite_fails_with_an_annotation_on_the_assertion(tmp_path: Path) -> None:
    (tmp_path / "test_math.py").write_text(FAILING)
    report = run_tests(
        SandboxRunner(), tmp_path, "python3 -m unittest discover -v", SandboxSettings()
    )
    assert not report.passed and report.conclusion == "failure"
    [annotation] = report.annotations
    assert annotation.path == "test_math.py" and annotation.start_line == 6
    assert annotation.message == "AssertionError: 2 != 3"
    output = report.check_output()
    assert output.title == "Tests failed" and "1 failure(s) annotated" in output.summary


def test_a_passing_suite_succeeds_without_annotations(tmp_path: Path) -> None:
    (tmp_path / "test_ok.py").write_text(FAILING.replace("3)", "2)"))
    report = run_tests(SandboxRunner(), tmp_path, "python3 -m unittest discover", SandboxSettings())
    assert report.passed and report.annotations == ()


def test_frames_outside_the_repository_are_not_annotated(tmp_path: Path) -> None:
    output = (
        'Traceback (most recent call last):\n  File "/usr/lib/python3.11/x.py", line 3, in f\n'
        "ValueError: bad\n"
    )
    assert failure_annotations(output, tmp_path) == ()
