"""A role agent answering on `/v1/chat/completions` with its project's context.

The agent gets its role prompt, the project's name and code found by semantic search for
the latest question. It may call its own tool (`search_code`) server-side; tools the client
declared are handed back to the client as `tool_calls`, as OpenAI clients expect. Each
exchange is stored in the project's conversation store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from agents.providers.types import (
    ChatMessage,
    ChatOptions,
    ChatResponse,
    StreamEnd,
    StreamEvent,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
)
from agents.roles.types import Role
from storage.conversations import add_message, get_or_create_conversation
from storage.sql.database import Database

log = logging.getLogger(__name__)

SEARCH_TOOL = ToolSpec(
    name="search_code",
    description="Semantic search over the project's indexed code and docs. Returns snippets.",
    parameters={
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "what to look for"},
            "n": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["query"],
    },
)
# Server-side tool rounds per request before the agent must answer.
MAX_TOOL_ROUNDS = 4
CONTEXT_SNIPPETS = 4

# (project, query, n) -> snippets as dicts with "text" and "metadata"
SearchFn = Callable[[str, str, int], Sequence[dict[str, Any]]]


class ChatModel(Protocol):
    async def chat(
        self, role_or_model: str, messages: list[ChatMessage], options: ChatOptions | None = None
    ) -> ChatResponse: ...

    def stream(
        self, role_or_model: str, messages: list[ChatMessage], options: ChatOptions | None = None
    ) -> AsyncIterator[StreamEvent]: ...


@dataclass(frozen=True)
class ChatScope:
    """Who is talking to which role about which project."""

    role: Role
    model_id: str
    project_id: int | None
    project_name: str | None
    conversation_ref: str
    author: str


class RoleChat:
    def __init__(
        self, model: ChatModel, database: Database, search: SearchFn | None, scope: ChatScope
    ) -> None:
        self._model = model
        self._database = database
        self._search = search
        self._scope = scope

    # ChatBackend

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        conversation = await self._prepare(messages)
        client_tools = {tool.name for tool in options.tools}
        usage = TokenUsage()
        cost = 0.0
        round_number = 0
        while True:
            last_round = round_number == MAX_TOOL_ROUNDS
            response = await self._model.chat(
                self._scope.model_id,
                conversation,
                self._options(options, offer_search=not last_round),
            )
            usage, cost = usage + response.usage, cost + response.cost_usd
            server_calls = [c for c in response.tool_calls if c.name not in client_tools]
            if last_round or not server_calls or _has_client_calls(response, client_tools):
                final = _for_client(response, client_tools, usage, cost)
                await self._remember(messages, final)
                return final
            conversation = [*conversation, response.as_message(), *self._run(server_calls)]
            round_number += 1

    async def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        conversation = await self._prepare(messages)
        client_tools = {tool.name for tool in options.tools}
        usage = TokenUsage()
        cost = 0.0
        for round_number in range(MAX_TOOL_ROUNDS + 1):
            last_round = round_number == MAX_TOOL_ROUNDS
            round_options = self._options(options, offer_search=not last_round)
            end: ChatResponse | None = None
            async for event in self._model.stream(
                self._scope.model_id, conversation, round_options
            ):
                if isinstance(event, TextDelta):
                    yield event
                elif isinstance(event, StreamEnd):
                    end = event.response
                # Tool-call deltas are held back: only client tools reach the client,
                # and which tool a delta belongs to is known only at the end.
            assert end is not None, "a provider stream always ends with StreamEnd"
            usage, cost = usage + end.usage, cost + end.cost_usd
            server_calls = [c for c in end.tool_calls if c.name not in client_tools]
            if last_round or not server_calls or _has_client_calls(end, client_tools):
                final = _for_client(end, client_tools, usage, cost)
                for index, call in enumerate(final.tool_calls):
                    yield ToolCallDelta(index, call.id, call.name, json.dumps(call.arguments))
                await self._remember(messages, final)
                yield StreamEnd(final)
                return
            conversation = [*conversation, end.as_message(), *self._run(server_calls)]

    # internals

    def _options(self, options: ChatOptions, *, offer_search: bool = True) -> ChatOptions:
        tools = options.tools
        if offer_search and self._search is not None and self._scope.project_name:
            tools = (*tools, SEARCH_TOOL)
        return replace(
            options,
            tools=tools,
            role=self._scope.role.name,
            project_id=self._scope.project_id,
        )

    async def _prepare(self, messages: list[ChatMessage]) -> list[ChatMessage]:
        question = next((m.content for m in reversed(messages) if m.role == "user"), "")
        system = [self._scope.role.system_prompt.strip()]
        if self._scope.project_name:
            system.append(f"You are working on the repository {self._scope.project_name}.")
            snippets = self._find(question, CONTEXT_SNIPPETS)
            if snippets:
                system.append("Code that may be relevant (from semantic search):\n" + snippets)
        client_system = [m.content for m in messages if m.role == "system"]
        rest = [m for m in messages if m.role != "system"]
        return [ChatMessage.system("\n\n".join(system + client_system)), *rest]

    def _find(self, query: str, n: int) -> str:
        if self._search is None or not self._scope.project_name or not query.strip():
            return ""
        try:
            hits = self._search(self._scope.project_name, query, n)
        except Exception as exc:  # search is an aid: the agent answers without it
            log.warning("context search failed: %s", exc)
            return ""
        parts = []
        for hit in hits:
            where = hit.get("metadata", {}).get("path", hit.get("id", ""))
            parts.append(f"--- {where}\n{hit.get('text', '')}")
        return "\n".join(parts)

    def _run(self, calls: list[ToolCall]) -> list[ChatMessage]:
        results = []
        for call in calls:
            if call.name != SEARCH_TOOL.name:
                results.append(
                    ChatMessage.tool(call.id, f"unknown tool {call.name!r}", is_error=True)
                )
                continue
            query = str(call.arguments.get("query", ""))
            n = int(call.arguments.get("n", 5) or 5)
            found = self._find(query, max(1, min(n, 10)))
            results.append(ChatMessage.tool(call.id, found or "no matches"))
        return results

    async def _remember(self, messages: list[ChatMessage], answer: ChatResponse) -> None:
        question = next((m.content for m in reversed(messages) if m.role == "user"), "")
        await run_in_threadpool(self._store, question, answer)

    def _store(self, question: str, answer: ChatResponse) -> None:
        scope = self._scope
        with self._database.session() as session:
            conversation = get_or_create_conversation(
                session,
                kind="chat",
                external_ref=scope.conversation_ref,
                project_id=scope.project_id,
                title=f"chat with {scope.role.title}",
            )
            add_message(session, conversation, role="user", content=question, author=scope.author)
            add_message(
                session,
                conversation,
                role="assistant",
                content=answer.content,
                author=scope.role.name,
                meta={
                    "model": answer.model,
                    "tool_calls": [c.name for c in answer.tool_calls],
                    "cost_usd": answer.cost_usd,
                },
            )


def _has_client_calls(response: ChatResponse, client_tools: set[str]) -> bool:
    return any(call.name in client_tools for call in response.tool_calls)


def _for_client(
    response: ChatResponse, client_tools: set[str], usage: TokenUsage, cost: float
) -> ChatResponse:
    calls = tuple(c for c in response.tool_calls if c.name in client_tools)
    finish = "tool_calls" if calls else response.finish_reason
    if finish == "tool_calls" and not calls:
        finish = "stop"
    return replace(response, tool_calls=calls, finish_reason=finish, usage=usage, cost_usd=cost)
