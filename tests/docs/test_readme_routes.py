"""Every HTTP path README.md names is served, with the method it names, by `codemonkey serve`
started the way the README's first set-up command starts it: no settings at all, so on the
embedded defaults (SQLite, in-process queue and cache, embedded Chroma)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.docs import readme
from webhooks.comment_parsing import COMMANDS

README = readme.text()

# Paths the README names that are not this service's: GitHub's (the manifest flow, the
# Enterprise API root), a directory, and the slash commands (checked on their own below).
NOT_OURS = {"/settings/apps/new", "/app-manifests/{code}/conversions", "/api/v3", "/tmp"}
SLASH_COMMANDS = {f"/{name}" for name in COMMANDS}
# What a route we do not serve answers: Starlette's plain 404, or /api/v1's "no API route".
NOT_SERVED = re.compile(r"^Not Found$|no API route")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """`codemonkey serve` in an empty directory with no CodeMonkey or provider settings."""
    home = tmp_path_factory.mktemp("fresh")
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": str(readme.ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "codemonkey serve did not answer /healthz"
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=20)


def _example(path: str) -> str:
    """A concrete URL for a templated path: `{id}` -> 1."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_service_starts_on_the_embedded_defaults(served: httpx.Client) -> None:
    checks = served.get("/readyz").json()["checks"]
    assert checks["database"]["detail"].startswith("sqlite")
    assert checks["kv"]["detail"] == "in-process"
    assert checks["vectors"]["detail"].startswith("chroma embedded")


def test_the_readme_names_the_main_routes() -> None:
    named = {p.path for p in readme.http_paths(README)}
    assert {"/webhooks/github", "/v1/chat/completions", "/healthz", "/readyz"} <= named
    assert "/api/v1/tasks/{id}/trace" in named


def test_every_path_in_the_readme_is_served_with_its_method(served: httpx.Client) -> None:
    wrong: list[str] = []
    for named in readme.http_paths(README):
        if named.path in NOT_OURS | SLASH_COMMANDS or named.path in ("/v1", "/api/v1"):
            continue  # `/v1` and `/api/v1` are prefixes, checked below
        method = named.method or "GET"
        reply = served.request(method, _example(named.path))
        served_here = reply.status_code not in (404, 405) or not NOT_SERVED.search(reply.text)
        if reply.status_code == 405 or not served_here:
            wrong.append(f"{method} {named.path}: {reply.status_code} {reply.text[:120]}")
    assert wrong == []


def test_the_api_paths_in_the_readme_are_in_the_openapi_document(served: httpx.Client) -> None:
    document = served.get("/openapi.json").json()
    operations = {
        (method.upper(), _template(path))
        for path, item in document["paths"].items()
        for method in item
    }
    paths = {path for _, path in operations}
    for named in readme.http_paths(README):
        if not named.path.startswith(("/api/v1/", "/v1/")):
            continue
        if named.method is None:
            assert _template(named.path) in paths, named
        else:
            assert (named.method, _template(named.path)) in operations, named
    # "The internal API lives under `/api/v1` (projects, agents, ...)": each one is there.
    listed = re.search(r"lives under `/api/v1` \(([^)]*)\)", README)
    assert listed is not None
    for resource in re.split(r",\s*", listed[1]):
        word = {"context search": "search", "deliveries": "webhook-deliveries"}.get(
            resource, resource
        )
        assert any(f"/{word}" in path for path in paths if path.startswith("/api/v1")), resource


def test_the_slash_commands_in_the_readme_are_the_ones_understood() -> None:
    mention = next(line for line in README.splitlines() if line.startswith("| @-mention"))
    assert set(re.findall(r"`(/\w+)`", mention)) == SLASH_COMMANDS
    repo_example = readme.section(README, "Per-repository configuration")
    listed = re.search(r"commands: \[([^\]]*)\]", repo_example)
    assert listed is not None and {f"/{c.strip()}" for c in listed[1].split(",")} == SLASH_COMMANDS


def test_a_path_the_service_does_not_have_is_caught(served: httpx.Client) -> None:
    # What the README once named: the check above must see these as wrong.
    for path in ("/api/v1/deliveries", "/api/v1/agents", "/nothing-here"):
        reply = served.get(path)
        assert reply.status_code == 404 and NOT_SERVED.search(reply.text), path


def test_the_chat_example_uses_a_registered_project_and_the_cli_registers_it() -> None:
    chat = readme.section(README, "Chat API")
    project = re.search(r"codemonkey/architect@([\w.-]+/[\w.-]+)", chat)
    assert project is not None
    assert f"codemonkey projects add {project[1]}" in chat, "say how to register the project"
