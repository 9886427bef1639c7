"""`codemonkey chat`: send one message to a model and print the answer."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from agents.providers.errors import ProviderError
from agents.providers.llm import LLM
from agents.providers.model_ids import ModelIdError, check_model_id
from agents.providers.types import ChatMessage, ChatOptions, StreamEnd, TextDelta
from bot.llm_config import llm_config_with_stored_keys
from bot.settings import Settings, SettingsError


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "chat", help="send one message to a model and print its answer"
    )
    parser.add_argument(
        "--model",
        help="PROVIDER:MODEL, e.g. anthropic:claude-sonnet-4-6 or ollama:qwen2.5-coder:7b "
        "(default: CODEMONKEY_DEFAULT_MODEL)",
    )
    parser.add_argument("--system", help="a system prompt")
    parser.add_argument("--stream", action="store_true", help="print the answer as it arrives")
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("message", help="the message to send")
    parser.set_defaults(handler=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        config = llm_config_with_stored_keys(settings)
    except SettingsError as exc:
        print(f"codemonkey chat: {exc}", file=sys.stderr)
        return 2
    messages = [ChatMessage.system(args.system)] if args.system else []
    messages.append(ChatMessage.user(args.message))
    options = ChatOptions(model="", max_tokens=args.max_tokens)
    model = args.model or settings.default_model
    try:
        check_model_id(model)
    except ModelIdError as exc:
        print(f"codemonkey chat: --model: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_chat(LLM(config), model, messages, options, stream=args.stream))
    except ProviderError as exc:
        print(f"codemonkey chat: {exc}", file=sys.stderr)
        return 1


async def _chat(
    llm: LLM, model: str, messages: list[ChatMessage], options: ChatOptions, *, stream: bool
) -> int:
    try:
        if not stream:
            response = await llm.chat(model, messages, options)
            print(response.content)
            return 0
        async for event in llm.stream(model, messages, options):
            if isinstance(event, TextDelta):
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, StreamEnd):
                sys.stdout.write("\n")
        return 0
    finally:
        await llm.aclose()
