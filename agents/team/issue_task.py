"""The payload every task of an issue's flow carries (`plan`, `design`, `implement`,
`finalize`, `qa`, `review`, `fix`): the issue, its branch and its base.

Versioned like the ingress payloads (`webhooks.task_payloads`): shape 1 (no `v`, written by
the previous release) named the issue's number `issue`; shape 2 names it `number`, as
every ingress payload does. The stages add their own keys (`description`, `pull_request`,
`round`, `qa_report`, ...), which this model keeps as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

ISSUE_TASK_VERSION: Literal[2] = 2


class IssueTaskPayload(BaseModel):
    # The stages' own keys ride along (see the module docstring).
    model_config = ConfigDict(extra="allow", frozen=True)

    v: Literal[2] = ISSUE_TASK_VERSION
    repo: str
    number: int
    issue_title: str
    issue_body: str
    branch: str
    base: str
    installation_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("v", 1) == 1:
            upgraded = dict(data)
            if "issue" in upgraded:
                upgraded.setdefault("number", upgraded.pop("issue"))
            return {**upgraded, "v": ISSUE_TASK_VERSION}
        return data

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
