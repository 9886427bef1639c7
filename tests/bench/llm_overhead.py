"""Per-call overhead of the provider layer: the LLM facade over the scripted model (pure
overhead) and over each live fake (SDK + HTTP on loopback + our translation).

Run: python -m tests.bench.llm_overhead [calls]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from types import MappingProxyType

from agents.providers.llm import LLM
from agents.providers.provider_config import LLMConfig, ProviderConfig, RetryConfig
from agents.providers.registry import ProviderRegistry
from agents.providers.scripted import ScriptedModel
from agents.providers.types import ChatMessage, StreamEnd
from agents.providers.usage_sinks import MemoryUsageSink
from tests.fakes.llm import anthropic, ollama, openai
from tests.fakes.llm.script import Script, Text
from tests.fakes.llm.server import serve

HI = [ChatMessage.system("Be brief."), ChatMessage.user("hello")]
MODELS = {
    "anthropic": "claude-sonnet-4-6",
    "openai": "gpt-4.1",
    "openrouter": "openai/gpt-4.1",
    "ollama": "qwen2.5-coder:7b",
}
PATHS = {"anthropic": "", "openai": "/v1", "openrouter": "/api/v1", "ollama": ""}


async def measure(llm: LLM, model: str, calls: int, *, stream: bool) -> list[float]:
    latencies = []
    for _ in range(calls):
        started = time.perf_counter()
        if stream:
            async for event in llm.stream(model, HI):
                if isinstance(event, StreamEnd):
                    break
        else:
            await llm.chat(model, HI)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def report(label: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(f"{label:<28} p50 {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms")


async def scripted(calls: int) -> None:
    model = ScriptedModel(["hello there"] * (2 * calls))
    config = LLMConfig(default_model="scripted:m")
    registry = ProviderRegistry(config, factories={}, providers={"scripted": model})
    llm = LLM(config, registry=registry, usage=MemoryUsageSink())
    report("scripted chat", await measure(llm, "scripted:m", calls, stream=False))
    report("scripted stream", await measure(llm, "scripted:m", calls, stream=True))


async def live(name: str, base_url: str, script: Script, calls: int) -> None:
    script.push(*[Text("hello there, this is a short answer")] * (2 * calls))
    key = None if name == "ollama" else script.api_key
    config = LLMConfig(
        providers=(ProviderConfig(name, api_key=key, base_url=base_url),),
        default_model=f"{name}:{MODELS[name]}",
        fallback_models=MappingProxyType({}),
        retry=RetryConfig(max_retries=0),
    )
    llm = LLM(config, usage=MemoryUsageSink())
    model_id = f"{name}:{MODELS[name]}"
    await measure(llm, model_id, 3, stream=False)  # warm up the connection pool
    script.replies.extend([Text("warm")] * 3)
    report(f"{name} chat", await measure(llm, model_id, calls, stream=False))
    report(f"{name} stream", await measure(llm, model_id, calls, stream=True))
    await llm.aclose()


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(f"{calls} sequential calls each, fakes on 127.0.0.1")
    asyncio.run(scripted(calls))
    for name in MODELS:
        script = Script()
        if name == "anthropic":
            app = anthropic.create_app(script)
        elif name == "ollama":
            app = ollama.create_app(script)
        else:
            app = openai.create_app(script, openrouter=name == "openrouter")
        with serve(app) as root:
            asyncio.run(live(name, root + PATHS[name], script, calls))


if __name__ == "__main__":
    main()
