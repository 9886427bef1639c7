"""Conversations and their messages, as plain functions over a session.

Agents talk to each other (and the issue thread is mirrored) through these rows; the
caller owns the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.sql.models import Conversation, Message


def get_or_create_conversation(
    session: Session,
    *,
    kind: str,
    external_ref: str,
    project_id: int | None = None,
    title: str = "",
) -> int:
    """The id of the conversation for (project, kind, ref), created when missing."""
    existing = session.scalar(
        select(Conversation.id).where(
            Conversation.project_id.is_(None)
            if project_id is None
            else Conversation.project_id == project_id,
            Conversation.kind == kind,
            Conversation.external_ref == external_ref,
        )
    )
    if existing is not None:
        return existing
    conversation = Conversation(
        project_id=project_id, kind=kind, external_ref=external_ref, title=title[:512]
    )
    session.add(conversation)
    session.flush()
    return conversation.id


def add_message(
    session: Session,
    conversation_id: int,
    *,
    role: str,
    content: str,
    author: str = "",
    meta: dict[str, Any] | None = None,
) -> int:
    message = Message(
        conversation_id=conversation_id,
        role=role,
        author=author,
        content=content,
        meta=dict(meta or {}),
    )
    session.add(message)
    session.flush()
    return message.id


def list_messages(
    session: Session, conversation_id: int, *, limit: int | None = None
) -> list[dict[str, Any]]:
    """Messages oldest first; with `limit`, only the most recent `limit` of them."""
    query = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    rows = list(session.scalars(query).all())
    rows.reverse()
    return [
        {
            "id": m.id,
            "role": m.role,
            "author": m.author,
            "content": m.content,
            "meta": dict(m.meta),
            "created_at": m.created_at,
        }
        for m in rows
    ]


def find_message(session: Session, conversation_id: int, *, key: str) -> dict[str, Any] | None:
    """The message whose `meta["key"]` equals `key` (used to make agent questions idempotent)."""
    for message in list_messages(session, conversation_id):
        if message["meta"].get("key") == key:
            return message
    return None
