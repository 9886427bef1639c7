"""Transport failures (a connection dropped before or during the answer) are retried like
5xx, for every provider, with and without streaming."""

from __future__ import annotations

from agents.providers.llm import LLM
from agents.providers.provider_config import LLMConfig
from agents.providers.types import ChatMessage, ChatOptions, StreamEnd
from tests.fakes.llm.fixtures import FAST_RETRY, Fake
from tests.fakes.llm.script import Cut, Hang, Text

MESSAGES = [ChatMessage.system("You are terse."), ChatMessage.user("Say hi.")]


async def test_a_dropped_connection_is_retried(fake: Fake) -> None:
    llm = fake.llm()
    fake.script.push(Cut(""), Text("after the drop"))
    response = await llm.chat(fake.model_id, MESSAGES, ChatOptions(model=fake.model))
    assert response.content == "after the drop"
    assert len(fake.script.accepted) == 2
    await llm.aclose()


async def test_a_stream_dropped_before_any_text_is_retried(fake: Fake) -> None:
    llm = fake.llm()
    fake.script.push(Cut(""), Text("streamed after the drop"))
    ends = [
        e
        async for e in llm.stream(fake.model_id, MESSAGES, ChatOptions(model=fake.model))
        if isinstance(e, StreamEnd)
    ]
    assert [e.response.content for e in ends] == ["streamed after the drop"]
    await llm.aclose()


async def test_a_timeout_is_retried(fake: Fake) -> None:
    config = LLMConfig(
        providers=(fake.config(timeout_seconds=0.2),),
        default_model=fake.model_id,
        retry=FAST_RETRY,
    )
    llm = LLM(config)
    fake.script.push(Hang(0.5, Text("too late")), Text("in time"))
    response = await llm.chat(fake.model_id, MESSAGES, ChatOptions(model=fake.model))
    assert response.content == "in time"
    await llm.aclose()
