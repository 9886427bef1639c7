"""The package's scripted model: strict conversations, responders, and JSON script files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.providers import errors
from agents.providers.script_file import ScriptFileError, load_script
from agents.providers.scripted import ScriptedModel, call
from agents.providers.types import ChatMessage, ChatOptions, ToolSpec

OFFERED = ChatOptions(model="m", tools=(ToolSpec("read_file", "Read.", {"type": "object"}),))


async def test_strict_mode_rejects_what_chat_apis_reject() -> None:
    model = ScriptedModel([call("write_file", path="x")], strict=True)
    with pytest.raises(errors.InvalidRequestError, match="first message must be the system"):
        await model.chat([ChatMessage.user("hi")], OFFERED)
    with pytest.raises(errors.InvalidRequestError, match="did not offer"):
        await model.chat([ChatMessage.system("s"), ChatMessage.user("hi")], OFFERED)


async def test_a_repeated_call_gets_a_fresh_id_and_responders_see_the_request() -> None:
    same = call("read_file", path="a")
    model = ScriptedModel([same, same])
    first = await model.chat([ChatMessage.system("s"), ChatMessage.user("u")], OFFERED)
    second = await model.chat([ChatMessage.system("s"), ChatMessage.user("u")], OFFERED)
    assert first.tool_calls[0].id != second.tool_calls[0].id
    by_role = ScriptedModel(lambda messages, options: f"I am {options.role}", cost_usd=0.5)
    answer = await by_role.chat([ChatMessage.user("u")], ChatOptions(model="m", role="qa"))
    assert answer.content == "I am qa" and answer.cost_usd == 0.5


async def test_a_script_file_by_role(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"qa": [{"tool": "read_file", "arguments": {"path": "a"}}, "ok"]}))
    model = load_script(path)
    messages = [ChatMessage.system("s"), ChatMessage.user("u")]
    options = ChatOptions(model="m", role="qa", tools=OFFERED.tools)
    assert (await model.chat(messages, options)).tool_calls[0].name == "read_file"
    assert (await model.chat(messages, options)).content == "ok"
    with pytest.raises(errors.ScriptExhaustedError, match="role 'qa'"):
        await model.chat(messages, options)
    path.write_text("[1]")
    with pytest.raises(ScriptFileError, match=r"\[0\]: a reply is a string"):
        load_script(path)
