"""The vector contract suite runs on embedded Chroma and on a real Chroma server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storage.vectors import KINDS, ChromaVectorStore, LocalMiniLMEmbedder, build_vector_store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def embedder() -> LocalMiniLMEmbedder:
    model = LocalMiniLMEmbedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server for the session; its URL."""
    chroma = Path(sys.executable).parent / "chroma"
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data.parent / "chroma-server.log").open("wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not answer within 30 s; see {log.name}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def project() -> str:
    """A project name that needs sanitising, unique per test (the server is shared)."""
    return f"Owner-{uuid.uuid4().hex[:8]}/Repo.Name"


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None for embedded Chroma, else the server URL."""
    if request.param == "embedded":
        return None
    url: str = request.getfixturevalue("chroma_server")
    return url


@pytest.fixture
def store(
    backend: str | None, tmp_path: Path, embedder: LocalMiniLMEmbedder, project: str
) -> Iterator[ChromaVectorStore]:
    built = build_vector_store(backend, tmp_path / "chroma", embedder)
    yield built
    for kind in KINDS:
        built.drop(project, kind)
