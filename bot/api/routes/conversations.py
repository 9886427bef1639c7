"""A project's conversations (issue threads, PRs, chats, task runs) and their messages."""

from __future__ import annotations

from sqlalchemy import select

from bot.api.errors import NotFound
from bot.api.operations import Call, Operation, Reply, Scope
from bot.api.pagination import fetch_page
from bot.api.schemas import (
    ConversationOut,
    ConversationPage,
    MessageCreate,
    MessageOut,
    MessagePage,
    PageQuery,
)
from bot.api.types import Role
from storage.sql.models import Conversation, Message


def _conversation(call: Call) -> Conversation:
    assert call.project is not None
    conversation = call.session.get(Conversation, call.path["conversation_id"])
    if conversation is None or conversation.project_id != call.project.id:
        raise NotFound(
            f"conversation {call.path['conversation_id']} not found in this project; "
            "list the project's conversations"
        )
    return conversation


def list_conversations(call: Call) -> Reply:
    assert call.project is not None
    query: PageQuery = call.query
    statement = select(Conversation).where(Conversation.project_id == call.project.id)
    rows, next_cursor = fetch_page(
        call.session,
        statement,
        Conversation.id,
        limit=query.limit,
        cursor=query.cursor,
        descending=True,
    )
    return Reply(
        ConversationPage(
            items=[ConversationOut.model_validate(c) for c in rows], next_cursor=next_cursor
        )
    )


def get_conversation(call: Call) -> Reply:
    return Reply(ConversationOut.model_validate(_conversation(call)))


def list_messages(call: Call) -> Reply:
    conversation = _conversation(call)
    query: PageQuery = call.query
    statement = select(Message).where(Message.conversation_id == conversation.id)
    # Oldest first: a conversation is read in the order it happened.
    rows, next_cursor = fetch_page(
        call.session, statement, Message.id, limit=query.limit, cursor=query.cursor
    )
    return Reply(
        MessagePage(items=[MessageOut.model_validate(m) for m in rows], next_cursor=next_cursor)
    )


def create_message(call: Call) -> Reply:
    conversation = _conversation(call)
    body: MessageCreate = call.body
    message = Message(
        conversation_id=conversation.id,
        role=body.role,
        author=body.author or call.principal.name,
        content=body.content,
        meta=body.meta,
    )
    call.session.add(message)
    call.session.flush()
    return Reply(
        MessageOut.model_validate(message),
        audit_target=f"conversation:{conversation.id}/message:{message.id}",
        audit_details={"role": body.role, "length": len(body.content)},
    )


def operations() -> list[Operation]:
    base = "/projects/{project_id:int}/conversations"
    one = base + "/{conversation_id:int}"
    return [
        Operation("GET", base, "conversations.list", "List the project's conversations",
                  list_conversations, Role.VIEWER, Scope.PROJECT, query=PageQuery,
                  response=ConversationPage),
        Operation("GET", one, "conversations.get", "Get a conversation",
                  get_conversation, Role.VIEWER, Scope.PROJECT, response=ConversationOut),
        Operation("GET", one + "/messages", "messages.list",
                  "List a conversation's messages, oldest first",
                  list_messages, Role.VIEWER, Scope.PROJECT, query=PageQuery,
                  response=MessagePage),
        Operation("POST", one + "/messages", "messages.create", "Add a message",
                  create_message, Role.MEMBER, Scope.PROJECT, body=MessageCreate,
                  response=MessageOut, status=201),
    ]  # fmt: skip
