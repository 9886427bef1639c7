"""Request and response bodies of `/api/v1`: pydantic at the boundary, nothing deeper."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.providers.model_ids import check_model_id
from agents.roles.types import ModelSource

PROJECT_NAME_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"


class Strict(BaseModel):
    """Input models reject unknown fields, so a typo is an error rather than a no-op."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorField(BaseModel):
    field: str
    in_: str = Field(alias="in")
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[ErrorField] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class PageQuery(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page")


class ProjectOut(Out):
    id: int
    name: str
    default_branch: str
    active: bool
    config: dict[str, Any]
    installation_id: int | None
    created_at: datetime


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None


class ProjectCreate(Strict):
    name: str = Field(pattern=PROJECT_NAME_PATTERN, max_length=255, examples=["octo/app"])
    default_branch: str = Field(default="main", min_length=1, max_length=255)
    config: dict[str, Any] = Field(default_factory=dict)


class ProjectUpdate(Strict):
    default_branch: str | None = Field(default=None, min_length=1, max_length=255)
    active: bool | None = None
    config: dict[str, Any] | None = None


class AgentOut(BaseModel):
    role: str = Field(description="the role file's name, e.g. `code_reviewer`")
    model: str = Field(description="the model the role runs on in this project")
    source: ModelSource = Field(
        description=(
            "where `model` comes from, highest precedence first: `project` (set on this "
            "project), `global` (set for every project), `role_file` (the role's own file or "
            "the repository's config), `settings` (CODEMONKEY_ROLE_MODELS), `default` "
            "(CODEMONKEY_DEFAULT_MODEL)"
        )
    )
    settings: dict[str, Any]
    inherited: bool = Field(description="true when the project sets nothing of its own")


class AgentList(BaseModel):
    items: list[AgentOut]


class AgentUpdate(Strict):
    model: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="`provider:model`; null goes back to what the project would inherit",
        examples=["openai:gpt-4.1"],
    )
    settings: dict[str, Any] | None = None

    @field_validator("model")
    @classmethod
    def _model_id(cls, value: str | None) -> str | None:
        # A bare `gpt-4o` would fail only when a task calls it: refuse it here.
        return None if value is None else check_model_id(value)


TaskStateName = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class TaskQuery(PageQuery):
    state: TaskStateName | None = None
    kind: str | None = Field(default=None, max_length=64)
    project: str | None = Field(default=None, pattern=PROJECT_NAME_PATTERN)
    # An issue's or pull request's tasks: `owner/repo#12`, `owner/repo!pr-7`.
    group: str | None = Field(default=None, max_length=255)


class TaskOut(Out):
    id: int
    project_id: int | None
    parent_id: int | None
    kind: str
    role: str | None
    title: str
    state: str
    attempts: int
    max_attempts: int
    cancel_requested: bool
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class TraceStepOut(BaseModel):
    step: int
    kind: str
    at: datetime
    seconds: float
    text: str
    tokens: int | None
    cost_usd: float | None
    # False on a model call whose price is unknown (its cost_usd is null, not 0).
    cost_known: bool


class TaskTraceOut(BaseModel):
    task: TaskOut
    steps: list[TraceStepOut]
    tokens: int
    # The known part of the cost; null when no model call had a known price.
    cost_usd: float | None
    unpriced_calls: int


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None


class ConversationOut(Out):
    id: int
    project_id: int | None
    kind: str
    external_ref: str
    title: str
    created_at: datetime


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class MessageOut(Out):
    id: int
    conversation_id: int
    role: str
    author: str
    content: str
    meta: dict[str, Any]
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class MessageCreate(Strict):
    role: Literal["user", "assistant", "system"] = "user"
    content: str = Field(min_length=1, max_length=200_000)
    author: str | None = Field(default=None, max_length=255)
    meta: dict[str, Any] = Field(default_factory=dict)


class FileOut(Out):
    id: int
    path: str
    sha: str
    language: str
    size: int
    indexed_at: datetime


class FileQuery(PageQuery):
    prefix: str | None = Field(default=None, max_length=1024)


class FilePage(BaseModel):
    items: list[FileOut]
    next_cursor: str | None


class SearchRequest(Strict):
    query: str = Field(min_length=1, max_length=4000)
    kind: Literal["code", "docs", "conversations", "issues"] = "code"
    n: int = Field(default=10, ge=1, le=50)


class SearchResults(BaseModel):
    hits: list[dict[str, Any]]


UsageDimension = Literal["project", "role", "model", "day"]


class UsageQuery(Strict):
    project: str | None = Field(default=None, pattern=PROJECT_NAME_PATTERN)
    since: date | None = Field(default=None, description="first day included (UTC)")
    until: date | None = Field(default=None, description="last day included (UTC)")
    group_by: str = Field(
        default="project,role,model,day",
        pattern=r"^(project|role|model|day)(,(project|role|model|day))*$",
        description="comma-separated dimensions among project, role, model, day",
    )


class UsageRow(BaseModel):
    project: str | None = None
    role: str | None = None
    model: str | None = None
    day: str | None = None
    calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    # What the priced calls cost; null when no call in the row had a known price.
    cost_usd: Decimal | None
    # Calls to models without a known price: their cost is not in `cost_usd`.
    unpriced_calls: int


class UsageReport(BaseModel):
    group_by: list[UsageDimension]
    rows: list[UsageRow]
    total: UsageRow


class DeliveryOut(Out):
    id: int
    delivery_id: str
    event: str
    action: str | None
    repository: str | None
    sender: str | None
    installation_id: int | None
    outcome: str
    reason: str
    task_ids: list[Any]
    received_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class ApiKeyOut(Out):
    id: int
    name: str
    prefix: str
    role: str
    project_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=255)
    role: Literal["admin", "member", "viewer"]
    project_id: int | None = Field(default=None, description="null for a global key")


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the secret; shown only in this response")
