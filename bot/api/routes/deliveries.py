"""Webhook deliveries as received, newest first, with what became of each."""

from __future__ import annotations

from sqlalchemy import select

from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.pagination import fetch_page
from bot.api.schemas import DeliveryOut, DeliveryPage, PageQuery
from bot.api.types import Role
from storage.sql.models import Project, WebhookDelivery


def list_deliveries(call: Call) -> Reply:
    query: PageQuery = call.query
    statement = select(WebhookDelivery)
    if call.principal.project_id is not None:
        # A project key sees the deliveries about its own repository only.
        name = select(Project.name).where(Project.id == call.principal.project_id)
        statement = statement.where(WebhookDelivery.repository == name.scalar_subquery())
    rows, next_cursor = fetch_page(
        call.session,
        statement,
        WebhookDelivery.id,
        limit=query.limit,
        cursor=query.cursor,
        descending=True,
    )
    return Reply(
        DeliveryPage(items=[DeliveryOut.model_validate(d) for d in rows], next_cursor=next_cursor)
    )


def operations() -> list[Operation]:
    return [
        Operation("GET", "/webhook-deliveries", "deliveries.list",
                  "List webhook deliveries, newest first",
                  list_deliveries, Role.VIEWER, Scope.ANY, query=PageQuery,
                  response=DeliveryPage),
    ]  # fmt: skip
