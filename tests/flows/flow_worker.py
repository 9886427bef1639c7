"""A worker process running the real flows with a scripted model, for the crash test.

Usage: python -m tests.flows.flow_worker   (settings from CODEMONKEY_* variables)

The script is chosen by role and turn, so a second process resuming a task answers the
turns the first one did not reach. QA blocks in `run_command` (sleep) on its second turn,
after it has commented: that is where the test kills the process.
"""

from __future__ import annotations

import signal
import threading

from agents.providers.llm import LLM
from agents.providers.provider_config import LLMConfig
from agents.providers.registry import ProviderRegistry
from agents.providers.scripted import ScriptedModel, ScriptedReply, call
from agents.providers.types import ChatMessage, ChatOptions, TokenUsage
from bot.flows.flow_table import register_flows
from bot.metrics import Metrics
from bot.queue.handlers import HandlerRegistry
from bot.queue.wiring import build_inprocess_queue
from bot.services import Services
from bot.settings import load_settings
from storage.kv import build_kv
from storage.sql.database import Database
from storage.usage import SqlUsageSink
from storage.vectors import build_vector_store
from tests.fakes.embedder import HashEmbedder
from tests.flows.harness import turn
from tests.flows.scripts import team

BLOCKING_COMMAND = "sleep 120"


def crash_script(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    if options.role == "qa":
        return [
            call("comment", body="Testing now."),
            call("run_command", command=BLOCKING_COMMAND),
            call("finish", summary="Checked after the restart."),
        ][min(turn(messages), 2)]
    return team()(messages, options)


def main() -> None:
    settings = load_settings()
    database = Database(settings.effective_database_url)
    model = ScriptedModel(
        crash_script,
        strict=True,
        usage=TokenUsage(input_tokens=100, output_tokens=20),
        cost_usd=0.001,
    )
    config = LLMConfig(default_model="scripted:team")
    llm = LLM(
        config,
        registry=ProviderRegistry(config, providers={"scripted": model}),
        usage=SqlUsageSink(database),
    )
    registry = HandlerRegistry()
    queue = build_inprocess_queue(settings, database, registry)
    embedder = HashEmbedder()
    services = Services(
        settings=settings,
        database=database,
        kv=build_kv(None),
        embedder=embedder,
        vectors=build_vector_store(None, settings.data_dir / "chroma", embedder),
        llm=llm,
        metrics=Metrics(),
        queue=queue,
        handlers=registry,
    )
    register_flows(services, registry)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    queue.start()
    stop.wait()
    queue.stop(drain=False)


if __name__ == "__main__":
    main()
