"""Model calls from many event loops, threads and processes share one `LLM` safely.

Each agent task runs its loop on a fresh event loop (`asyncio.run`), `ask` answers on
another thread, and `/v1` calls come from the server's loop. Provider clients must
survive all of them: these tests call one `LLM` over HTTP (the real provider classes
against the strict fakes) from each of those shapes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from agents.providers.types import ChatMessage, ChatOptions, StreamEnd
from tests.fakes.llm.fixtures import Fake
from tests.fakes.llm.script import Text

MESSAGES = [ChatMessage.system("You are terse."), ChatMessage.user("Say hi.")]


def _options(fake: Fake) -> ChatOptions:
    return ChatOptions(model=fake.model, max_tokens=64)


def test_sequential_event_loops_share_one_llm(fake: Fake) -> None:
    """Two agent tasks in one process, each on its own `asyncio.run`: the second used
    to die with "Event loop is closed" on a client bound to the first loop."""
    llm = fake.llm()
    fake.script.push(Text("one"), Text("two"), Text("three"))
    answers = [
        asyncio.run(llm.chat(fake.model_id, MESSAGES, _options(fake))).content for _ in range(3)
    ]
    assert answers == ["one", "two", "three"]
    asyncio.run(llm.aclose())


def test_threads_with_their_own_loops_call_in_parallel(fake: Fake) -> None:
    llm = fake.llm()
    count = 8
    fake.script.push(*[Text(f"answer {n}") for n in range(count)])

    def one_task(_: int) -> str:
        return asyncio.run(llm.chat(fake.model_id, MESSAGES, _options(fake))).content

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = sorted(pool.map(one_task, range(count)))
    assert answers == sorted(f"answer {n}" for n in range(count))
    asyncio.run(llm.aclose())


def test_streams_from_sequential_loops(fake: Fake) -> None:
    llm = fake.llm()
    fake.script.push(Text("first stream"), Text("second stream"))

    async def stream_once() -> str:
        text = ""
        async for event in llm.stream(fake.model_id, MESSAGES, _options(fake)):
            if isinstance(event, StreamEnd):
                text = event.response.content
        return text

    assert asyncio.run(stream_once()) == "first stream"
    assert asyncio.run(stream_once()) == "second stream"
    asyncio.run(llm.aclose())


def test_no_loop_errors_are_logged(fake: Fake, caplog: pytest.LogCaptureFixture) -> None:
    llm = fake.llm()
    fake.script.push(Text("a"), Text("b"))
    with caplog.at_level(logging.DEBUG):
        for _ in range(2):
            asyncio.run(llm.chat(fake.model_id, MESSAGES, _options(fake)))
        asyncio.run(llm.aclose())
    noise = [
        r.getMessage()
        for r in caplog.records
        if "Event loop is closed" in r.getMessage() or "different loop" in r.getMessage()
    ]
    assert noise == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_forked_child_calls_after_the_parent_did(fake: Fake) -> None:
    """RQ's fork mode: the parent has used the LLM; the work-horse child uses it again."""
    llm = fake.llm()
    fake.script.push(Text("parent"), Text("child"))
    assert asyncio.run(llm.chat(fake.model_id, MESSAGES, _options(fake))).content == "parent"
    read, write = os.pipe()
    # Forking with a live helper thread is what RQ does too; the child uses only the LLM.
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        try:
            answer = asyncio.run(llm.chat(fake.model_id, MESSAGES, _options(fake))).content
            os.write(write, answer.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        received = pipe.read().decode()
    os.waitpid(pid, 0)
    assert received == "child"
    assert threading.active_count() >= 1
    asyncio.run(llm.aclose())
