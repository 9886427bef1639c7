"""Token and cost usage, summed by any of project, role, model and day (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from bot.api.errors import FieldError, NotFound, ValidationFailed
from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.schemas import UsageDimension, UsageQuery, UsageReport, UsageRow
from bot.api.types import Role
from storage.sql.models import Project, Usage

_SUMS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def _day(dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        # SQLite holds these timestamps as UTC text, so the date is its first ten characters.
        return func.strftime("%Y-%m-%d", Usage.created_at)
    return func.to_char(func.timezone("UTC", Usage.created_at), "YYYY-MM-DD")


def usage_report(call: Call) -> Reply:
    query: UsageQuery = call.query
    if query.since and query.until and query.since > query.until:
        raise ValidationFailed([FieldError("until", "query", "`until` must not precede `since`")])
    dims: list[UsageDimension] = list(dict.fromkeys(query.group_by.split(",")))  # type: ignore[arg-type]
    columns: dict[str, ColumnElement[Any]] = {
        "project": Project.name.expression,
        "role": Usage.role.expression,
        "model": Usage.model.expression,
        "day": _day(call.deps.database.dialect),
    }
    grouped = [columns[d].label(d) for d in dims]
    sums = [func.coalesce(func.sum(getattr(Usage, n)), 0).label(n) for n in _SUMS]
    statement = select(
        *grouped,
        func.count(Usage.id).label("calls"),
        *sums,
        func.coalesce(func.sum(Usage.cost_usd), 0).label("cost_usd"),
        func.coalesce(func.sum(case((Usage.cost_known.is_(False), 1), else_=0)), 0).label(
            "unpriced_calls"
        ),
    ).outerjoin(Project, Project.id == Usage.project_id)
    if call.principal.project_id is not None:
        statement = statement.where(Usage.project_id == call.principal.project_id)
    if query.project is not None:
        project = call.session.scalar(select(Project).where(Project.name == query.project))
        if project is None or call.principal.role_on(project.id) is None:
            raise NotFound(f"project {query.project!r} not found; check the owner/repo name")
        statement = statement.where(Usage.project_id == project.id)
    if query.since is not None:
        statement = statement.where(Usage.created_at >= datetime.combine(query.since, time(), UTC))
    if query.until is not None:
        end = datetime.combine(query.until + timedelta(days=1), time(), UTC)
        statement = statement.where(Usage.created_at < end)
    statement = statement.group_by(*grouped).order_by(*grouped)
    rows = [_row(dict(r._mapping)) for r in call.session.execute(statement)]
    calls, unpriced = sum(r.calls for r in rows), sum(r.unpriced_calls for r in rows)
    total = UsageRow(
        calls=calls,
        **{n: sum(getattr(r, n) for r in rows) for n in _SUMS},
        cost_usd=_known(sum((r.cost_usd or Decimal(0) for r in rows), Decimal(0)), calls, unpriced),
        unpriced_calls=unpriced,
    )
    return Reply(UsageReport(group_by=dims, rows=rows, total=total))


def _known(cost: Decimal, calls: int, unpriced: int) -> Decimal | None:
    """Null, not 0, when every call was to a model without a known price."""
    return None if calls and unpriced >= calls else cost


def _row(values: dict[str, Any]) -> UsageRow:
    cost = Decimal(str(values["cost_usd"])).quantize(Decimal("0.000001"))
    values["unpriced_calls"] = int(values["unpriced_calls"])
    values["cost_usd"] = _known(cost, int(values["calls"]), values["unpriced_calls"])
    return UsageRow.model_validate(values)


def operations() -> list[Operation]:
    return [
        Operation("GET", "/usage", "usage.report",
                  "Tokens and cost summed by project, role, model and/or day",
                  usage_report, Role.VIEWER, Scope.ANY, query=UsageQuery, response=UsageReport),
    ]  # fmt: skip
