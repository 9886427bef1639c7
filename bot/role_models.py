"""The model each role talks to: a `ModelClient` over the `LLM` facade, one per model ref."""

from __future__ import annotations

from collections.abc import Callable

from agents.providers.llm import LLM
from agents.providers.types import ChatMessage, ChatOptions, ChatResponse
from agents.roles import Role
from agents.roles.types import ModelLayers
from agents.team.ports import ModelResolver


class LLMModel:
    """A `ModelClient` that sends every call through the `LLM` facade with one model ref
    (fallbacks, retries, usage and cost recording included)."""

    def __init__(self, llm: LLM, ref: str) -> None:
        self._llm = llm
        self._ref = ref

    async def chat(self, messages: list[ChatMessage], options: ChatOptions) -> ChatResponse:
        return await self._llm.chat(self._ref, messages, options)


# The model resolver for one task, given what decides each role's model there.
ModelResolvers = Callable[[ModelLayers], ModelResolver]


def llm_models(llm: LLM) -> ModelResolvers:
    def for_layers(layers: ModelLayers) -> ModelResolver:
        def resolve(role: Role) -> tuple[LLMModel, str]:
            ref = layers.choose(role).ref
            return LLMModel(llm, ref), ref

        return resolve

    return for_layers
