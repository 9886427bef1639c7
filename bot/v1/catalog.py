"""Which `model` names `/v1` answers to, and what each one talks to.

- `codemonkey/<role>` (e.g. `codemonkey/architect`): that role agent;
- `codemonkey/team`: the project manager, who leads the team;
- `<provider>/<model>` in gateway mode (e.g. `openai/gpt-4.1`): passed straight through to
  the provider, with our retries, fallbacks and usage accounting.

A model name may end in `@owner/repo` to choose the project (or use the
`X-CodeMonkey-Project` header).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from agents.providers.errors import ConfigurationError
from agents.providers.llm import LLM
from agents.providers.model_ids import ModelId
from agents.providers.provider_config import PROVIDER_NAMES
from agents.providers.types import ChatMessage, ChatOptions, ChatResponse, StreamEvent
from agents.roles.types import ModelLayers, Role
from bot.agent_models import agent_rows
from bot.api.auth import resolve_chat_project
from bot.api.errors import ApiError
from bot.api.types import Principal
from bot.v1.agent_chat import ChatScope, RoleChat, SearchFn
from bot.v1.auth import to_openai_error
from bot.v1.errors import model_not_found
from bot.v1.json_members import JsonObject
from bot.v1.passthrough import Passthrough, RawRequest
from bot.v1.routes import ChatTarget, ModelInfo
from bot.v1.upstream_errors import RAW_PROVIDERS
from storage.sql.database import Database

AGENT_PREFIX = "codemonkey/"
TEAM_MODEL = "codemonkey/team"
TEAM_ROLE = "project_manager"


class GatewayChat:
    """A provider model, passed through the LLM facade."""

    def __init__(self, llm: LLM, model_id: str) -> None:
        self._llm = llm
        self._model_id = model_id

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        return await self._llm.chat(self._model_id, messages, options)

    def stream(
        self, messages: list[ChatMessage], options: ChatOptions
    ) -> AsyncIterator[StreamEvent]:
        return self._llm.stream(self._model_id, messages, options)


class RawGatewayRoute:
    """A provider model whose whole fallback chain speaks OpenAI's wire format: served by
    the raw pass-through, without the SDK."""

    def __init__(self, passthrough: Passthrough, chain: list[ModelId]) -> None:
        self._passthrough = passthrough
        self._raw_chains: dict[str, list[ModelId] | None] = {}
        self._chain = chain

    async def respond(self, body: JsonObject, public_model: str) -> Response:
        return await self._passthrough.respond(self._chain, RawRequest.of(body, public_model))


@dataclass(frozen=True)
class CatalogConfig:
    default_model: str
    role_models: Mapping[str, str]
    gateway_mode: bool
    # Provider models to list in gateway mode (any `<provider>/<model>` is still accepted).
    gateway_models: tuple[str, ...]


class Catalog:
    def __init__(
        self,
        llm: LLM,
        database: Database,
        roles: Mapping[str, Role],
        config: CatalogConfig,
        search: SearchFn | None,
        passthrough: Passthrough | None = None,
    ) -> None:
        self._passthrough = passthrough
        self._raw_chains: dict[str, list[ModelId] | None] = {}
        self._llm = llm
        self._database = database
        self._roles = roles
        self._config = config
        self._search = search

    def list_models(self, caller: object) -> list[ModelInfo]:
        models = [ModelInfo(f"{AGENT_PREFIX}{name}", "codemonkey") for name in sorted(self._roles)]
        models.append(ModelInfo(TEAM_MODEL, "codemonkey"))
        if self._config.gateway_mode:
            for model_id in self._config.gateway_models:
                provider, _, name = model_id.partition(":")
                models.append(ModelInfo(f"{provider}/{name}", provider))
        return models

    async def raw_route(
        self, model: str, project: str | None, caller: object
    ) -> RawGatewayRoute | None:
        """The raw pass-through for a gateway model, or None when `resolve` decides."""
        if self._passthrough is None or not self._config.gateway_mode:
            return None
        provider, slash, name = model.partition("/")
        if provider not in RAW_PROVIDERS or not slash or not name:
            return None
        _, _, base = await self._scope(model, project, caller)
        provider, _, name = base.partition("/")
        if provider not in RAW_PROVIDERS or not name:
            return None
        chain = self._raw_chain(f"{provider}:{name}")
        return None if chain is None else RawGatewayRoute(self._passthrough, chain)

    def _raw_chain(self, model_id: str) -> list[ModelId] | None:
        """The fallback chain when every model in it speaks OpenAI's wire format; worked
        out once per model (the configuration does not change while serving)."""
        if model_id in self._raw_chains:
            return self._raw_chains[model_id]
        try:
            chain: list[ModelId] | None = self._llm.registry.chain(model_id)
        except ConfigurationError:
            chain = None
        # A fallback to Anthropic or Ollama needs the facade's translation: the SDK path.
        if chain is not None and any(m.provider not in RAW_PROVIDERS for m in chain):
            chain = None
        if len(self._raw_chains) >= 1024:  # callers choose model names: stay bounded
            self._raw_chains.clear()
        self._raw_chains[model_id] = chain
        return chain

    async def _scope(
        self, model: str, project: str | None, caller: object
    ) -> tuple[int | None, str | None, str]:
        assert isinstance(caller, Principal)
        if caller.project_id is None and not project and "@" not in model:
            # A global key naming no project: nothing to look up.
            return None, None, model
        return await run_in_threadpool(self._project, caller, project, model)

    async def resolve(self, model: str, project: str | None, caller: object) -> ChatTarget:
        assert isinstance(caller, Principal)
        project_id, project_name, base = await self._scope(model, project, caller)
        if base.startswith(AGENT_PREFIX):
            role_name = base.removeprefix(AGENT_PREFIX)
            role_name = TEAM_ROLE if base == TEAM_MODEL else role_name
            role = self._roles.get(role_name)
            if role is None:
                raise model_not_found(model)
            model_id = (await run_in_threadpool(self._layers, project_id)).choose(role).ref
            scope = ChatScope(
                role=role,
                model_id=model_id,
                project_id=project_id,
                project_name=project_name,
                conversation_ref=f"{role.name}:key-{caller.key_id}",
                author=caller.actor,
            )
            backend = RoleChat(self._llm, self._database, self._search, scope)
            return ChatTarget(backend, model, model_id.partition(":")[2])
        provider, slash, name = base.partition("/")
        if self._config.gateway_mode and slash and name and provider in PROVIDER_NAMES:
            return ChatTarget(GatewayChat(self._llm, f"{provider}:{name}"), model, name)
        raise model_not_found(model)

    def _layers(self, project_id: int | None) -> ModelLayers:
        """What decides a role's model for this chat: the same choice a task makes."""
        with self._database.session() as session:
            rows = agent_rows(session, project_id)
        return rows.layers(self._config.default_model, self._config.role_models)

    def _project(
        self, caller: Principal, header: str | None, model: str
    ) -> tuple[int | None, str | None, str]:
        try:
            with self._database.session() as session:
                project, base = resolve_chat_project(session, caller, header=header, model=model)
                if project is None:
                    return None, None, base
                return project.id, project.name, base
        except ApiError as exc:
            raise to_openai_error(exc) from None
