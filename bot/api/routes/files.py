"""A project's indexed files and semantic search over its context."""

from __future__ import annotations

from sqlalchemy import select

from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.pagination import fetch_page
from bot.api.schemas import FileOut, FilePage, FileQuery, SearchRequest, SearchResults
from bot.api.types import Role
from storage.sql.models import File


def list_files(call: Call) -> Reply:
    assert call.project is not None
    query: FileQuery = call.query
    statement = select(File).where(File.project_id == call.project.id)
    if query.prefix:
        escaped = query.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(File.path.like(escaped + "%", escape="\\"))
    rows, next_cursor = fetch_page(
        call.session, statement, File.path, limit=query.limit, cursor=query.cursor
    )
    return Reply(FilePage(items=[FileOut.model_validate(f) for f in rows], next_cursor=next_cursor))


def search(call: Call) -> Reply:
    assert call.project is not None
    body: SearchRequest = call.body
    hits = call.deps.search(call.project.name, body.kind, body.query, body.n)
    return Reply(
        SearchResults(hits=[dict(hit) for hit in hits][: body.n]),
        audit_target=f"project:{call.project.id}",
        # The query text may quote private code; the audit log records only its shape.
        audit_details={"kind": body.kind, "n": body.n, "query_length": len(body.query)},
    )


def operations() -> list[Operation]:
    project = "/projects/{project_id:int}"
    return [
        Operation("GET", project + "/files", "files.list",
                  "List the project's indexed files, by path",
                  list_files, Role.VIEWER, Scope.PROJECT, query=FileQuery, response=FilePage),
        Operation("POST", project + "/search", "search.run",
                  "Search the project's indexed context",
                  search, Role.VIEWER, Scope.PROJECT, body=SearchRequest,
                  response=SearchResults),
    ]  # fmt: skip
