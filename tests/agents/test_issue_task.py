"""Team task payloads are typed and versioned: what the previous release queued loads."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agents.team.issue_task import IssueTaskPayload, QaReport, stage_of
from agents.team.test_fix import qa_line

ISSUE = {
    "repo": "octo/app",
    "issue_title": "Add a health check",
    "issue_body": "GET /health should answer 200.",
    "branch": "codemonkey/12-add-a-health-check",
    "base": "main",
    "installation_id": 5,
}

# A fix task after a failing QA check, as the previous release (shape 2) wrote it: the
# stage's keys were untyped extras.
V2_FIX = {
    "v": 2,
    "number": 12,
    **ISSUE,
    "pull_request": 7,
    "round": 1,
    "stage": "qa",
    "qa_fix_rounds": 2,
    "paths": ["app.py", "tests/test_app.py"],
    "description": "Fix the failing tests.",
}

# A review task of shape 2, carrying the QA outcome for the reviewer.
V2_REVIEW = {
    "v": 2,
    "number": 12,
    **ISSUE,
    "pull_request": 7,
    "round": 1,
    "recheck": True,
    "qa": "failure",
    "qa_fix_rounds": 2,
    "qa_report": {
        "command": "pytest -q",
        "passed": False,
        "status": "failed",
        "head_sha": "abc1234def",
        "output_tail": "1 failed",
        "fix_rounds": 2,
    },
}


def test_a_fix_task_of_the_previous_release_loads_into_typed_fields() -> None:
    stage = stage_of(V2_FIX)
    # Read as version 3: written before admissions, which the worker then gives it.
    assert stage.v == 3 and stage.before_admissions
    assert (stage.pull_request, stage.round, stage.stage, stage.qa_fix_rounds) == (7, 1, "qa", 2)
    assert stage.paths == ("app.py", "tests/test_app.py")
    assert stage.description == "Fix the failing tests."
    assert not stage.recheck and stage.qa is None and stage.qa_report is None


def test_a_review_task_of_the_previous_release_keeps_its_qa_outcome() -> None:
    stage = stage_of(V2_REVIEW)
    assert stage.recheck and stage.qa == "failure"
    assert stage.qa_report == QaReport(
        command="pytest -q",
        passed=False,
        status="failed",
        head_sha="abc1234def",
        output_tail="1 failed",
        fix_rounds=2,
    )
    assert qa_line(stage) == "QA: failing after 2 fix rounds."
    # Written again, it is the current shape and loads back unchanged.
    assert stage_of(stage.dump()) == stage and stage.dump()["v"] == 3


def test_shape_1_with_its_issue_key_and_extras_loads() -> None:
    v1: dict[str, Any] = {**ISSUE, "issue": 12, "description": "Write it", "round": 0}
    stage = stage_of(v1)
    assert (stage.number, stage.description, stage.stage) == (12, "Write it", "review")


def test_a_current_payload_with_a_misspelt_stage_field_is_refused() -> None:
    current = stage_of(V2_FIX).dump()
    with pytest.raises(ValidationError, match="qa_fix_round"):
        IssueTaskPayload.model_validate({**current, "qa_fix_round": 1})
