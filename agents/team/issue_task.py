"""The payload every task of an issue's flow carries (`plan`, `design`, `implement`,
`finalize`, `qa`, `review`, `fix`): the issue, its branch and its base, and the stage's
own fields (its brief, the pull request, the review round, the QA outcome, ...).

Versioned like the ingress payloads (`webhooks.task_payloads`), so a task queued by an
older release still loads:
- shape 1 (no `v`) named the issue's number `issue`; shape 2 names it `number`, as every
  ingress payload does;
- shapes 1 and 2 carried the stage's keys as untyped extras; shape 3 types them. Their
  names did not change, so an older payload's keys load into the typed fields. A key no
  release of the flow reads is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

ISSUE_TASK_VERSION: Literal[4] = 4
# Versions written before tasks carried their issue's admission (`AdmissionRecord`).
BEFORE_ADMISSIONS = (1, 2, 3)


class QaReport(BaseModel):
    """The QA check's outcome as the review task carries it (`review_brief.qa_outcome`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    command: str | None = None
    passed: bool = False
    # "passed", "failed" or "not_run" (the tests could not run: setup, sandbox).
    status: str = ""
    head_sha: str = ""
    output_tail: str = ""
    fix_rounds: int = 0


class AdmissionRecord(BaseModel):
    """Why an issue's tasks may run: the ingress task that was admitted (its author
    trusted, the repository's config wanting it) and the config it was checked against.
    Every task of the issue inherits it, so none checks again and each runs with the
    config that was checked (a later edit of the file applies to the next trigger)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: int
    reason: str
    # Where `.github/codemonkey.yml` was read and its git blob SHA ("" when absent).
    config_ref: str
    config_sha: str
    # The file's valid settings (the service's defaults fill in the rest).
    config: dict[str, Any] = {}


class IssueTaskPayload(BaseModel):
    # Every key is a field: a misspelt one fails where it is written.
    model_config = ConfigDict(extra="forbid", frozen=True)

    # 3: written by a release before admissions (kept, so the worker knows); 4: current.
    v: Literal[3, 4] = ISSUE_TASK_VERSION
    repo: str
    number: int
    issue_title: str
    issue_body: str
    branch: str
    base: str
    installation_id: int | None = None
    # The stage's brief: what this task is asked to do (never inherited by the next step).
    description: str = ""
    # The name a delegating task gave this one, for `depends_on` (`agents.team.tools`).
    label: str | None = None
    # The paths the task may edit, as planned.
    paths: tuple[str, ...] = ()
    # The issue's pull request, once opened (`finalize` onwards).
    pull_request: int | None = None
    # The review round this step belongs to (0 for the first review).
    round: int = 0
    # A fix's cause: a failing QA check or a review that requested changes.
    stage: Literal["qa", "review"] = "review"
    # A QA step after a fix: it runs the checks again and adds no tests.
    recheck: bool = False
    # The QA check's conclusion ("success", "failure", "neutral"); None: QA did not run.
    qa: str | None = None
    # Fix rounds the failing QA check has had so far.
    qa_fix_rounds: int = 0
    # What the reviewer is told of the QA check.
    qa_report: QaReport | None = None
    # A task redone on top of a branch it conflicted with: how many times, and which task.
    conflict_round: int = 0
    conflict_of: int | None = None
    # The admission every task of the issue inherits from the task that started it; None
    # only for tasks no worker admitted (local mode, a release before admissions).
    admission: AdmissionRecord | None = None

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("v", 1) in (1, 2):
            upgraded = dict(data)
            if "issue" in upgraded:
                upgraded.setdefault("number", upgraded.pop("issue"))
            known = {k: v for k, v in upgraded.items() if k in cls.model_fields}
            return {**known, "v": 3}
        return data

    @property
    def before_admissions(self) -> bool:
        """Queued by a release whose tasks did not carry their admission."""
        return self.v in BEFORE_ADMISSIONS

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def stage_of(payload: Mapping[str, Any]) -> IssueTaskPayload:
    """A team task's typed payload, whichever release wrote it."""
    return IssueTaskPayload.model_validate(payload)
