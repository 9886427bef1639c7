"""OpenAI and Ollama embedders against strict fakes of their documented wire formats."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from storage.vectors import EmbeddingError, OllamaEmbedder, OpenAIEmbedder
from storage.vectors.remote_embedders import ollama_base_url

OPENAI = "https://api.openai.com/v1/embeddings"
OLLAMA = "http://127.0.0.1:11434/api/embed"
OPENAI_FIELDS = {"model", "input", "encoding_format", "dimensions", "user"}
OLLAMA_FIELDS = {"model", "input", "truncate", "options", "keep_alive", "dimensions"}


def _vector(text: str, size: int) -> list[float]:
    return [float(len(text) + i) for i in range(size)]


def _openai_error(status: int, message: str, kind: str, code: str | None) -> httpx.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return httpx.Response(status, json=body)


class FakeOpenAI:
    """Validates requests as the embeddings endpoint does and answers in its format;
    `data` is returned in reverse order, which the API does not promise against."""

    def __init__(self, size: int = 1536, key: str = "sk-test") -> None:
        self.size, self.key = size, key
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _openai_error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        self.requests.append(body)
        texts = body.get("input")
        unknown = set(body) - OPENAI_FIELDS
        if unknown or not isinstance(body.get("model"), str) or not isinstance(texts, list):
            return _openai_error(
                400, f"Invalid request: {sorted(unknown)}", "invalid_request_error", None
            )
        if not texts or len(texts) > 2048 or any(not isinstance(t, str) or not t for t in texts):
            return _openai_error(400, "'$.input' is invalid.", "invalid_request_error", None)
        if body["model"] not in {"text-embedding-3-small", "text-embedding-3-large"}:
            return _openai_error(
                404,
                f"The model `{body['model']}` does not exist",
                "invalid_request_error",
                "model_not_found",
            )
        size = body.get("dimensions", self.size)
        data = [
            {"object": "embedding", "index": i, "embedding": _vector(t, size)}
            for i, t in enumerate(texts)
        ]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": data[::-1],
                "model": body["model"],
                "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
            },
        )


class FakeOllama:
    def __init__(self, size: int = 768) -> None:
        self.size = size
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if set(body) - OLLAMA_FIELDS or not isinstance(body.get("input"), list | str):
            return httpx.Response(400, json={"error": "invalid request body"})
        if body.get("model") != "nomic-embed-text":
            return httpx.Response(
                404, json={"error": f'model "{body.get("model")}" not found, try pulling it first'}
            )
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return httpx.Response(
            200,
            json={
                "model": body["model"],
                "embeddings": [_vector(t, self.size) for t in texts],
                "total_duration": 14143917,
                "load_duration": 1019500,
                "prompt_eval_count": len(texts),
            },
        )


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_openai_request_and_response(mock: respx.MockRouter) -> None:
    fake = FakeOpenAI()
    mock.post(OPENAI).mock(side_effect=fake)
    embedder = OpenAIEmbedder(api_key="sk-test")
    vectors = embedder.embed(["a", "bbb", "cc"])
    assert [v[0] for v in vectors] == [1.0, 3.0, 2.0]  # put back in input order
    assert all(len(v) == 1536 for v in vectors)
    assert fake.requests == [
        {"model": "text-embedding-3-small", "input": ["a", "bbb", "cc"], "encoding_format": "float"}
    ]
    assert embedder.name == "openai:text-embedding-3-small:1536"
    assert embedder.embed([]) == []
    assert len(fake.requests) == 1


def test_openai_batches_and_dimensions(mock: respx.MockRouter) -> None:
    fake = FakeOpenAI()
    mock.post("http://gateway.local:4000/v1/embeddings").mock(side_effect=fake)
    embedder = OpenAIEmbedder(
        api_key="sk-test",
        model="text-embedding-3-large",
        base_url="http://gateway.local:4000/v1/",
        dimension=256,
        batch_size=2,
    )
    vectors = embedder.embed(["one", "two", "three", "four", "five"])
    assert [len(r["input"]) for r in fake.requests] == [2, 2, 1]
    assert all(r["dimensions"] == 256 for r in fake.requests)
    assert [v[0] for v in vectors] == [3.0, 3.0, 5.0, 4.0, 4.0]
    assert all(len(v) == 256 for v in vectors)


@pytest.mark.parametrize(
    ("embedder", "status", "fix"),
    [
        (OpenAIEmbedder(api_key="sk-wrong"), 401, "check OPENAI_API_KEY"),
        (
            OpenAIEmbedder(api_key="sk-test", model="text-embedding-3-huge", dimension=8),
            404,
            "fix CODEMONKEY_EMBEDDING_MODEL",
        ),
        (OpenAIEmbedder(api_key=None), 401, "check OPENAI_API_KEY"),
    ],
)
def test_openai_client_errors(
    mock: respx.MockRouter, embedder: OpenAIEmbedder, status: int, fix: str
) -> None:
    mock.post(OPENAI).mock(side_effect=FakeOpenAI())
    with pytest.raises(EmbeddingError, match=f"HTTP {status}") as caught:
        embedder.embed(["x"])
    assert fix in str(caught.value)
    assert "sk-wrong" not in str(caught.value)


def test_openai_empty_string_is_refused_like_the_api(mock: respx.MockRouter) -> None:
    mock.post(OPENAI).mock(side_effect=FakeOpenAI())
    with pytest.raises(EmbeddingError, match=r"HTTP 400: '\$.input' is invalid"):
        OpenAIEmbedder(api_key="sk-test").embed([""])


def test_openai_rate_limit_and_server_error(mock: respx.MockRouter) -> None:
    route = mock.post(OPENAI)
    route.mock(
        return_value=httpx.Response(
            429,
            headers={"retry-after": "20"},
            json={
                "error": {
                    "message": "Rate limit reached",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            },
        )
    )
    embedder = OpenAIEmbedder(api_key="sk-test")
    with pytest.raises(EmbeddingError, match=r"HTTP 429: Rate limit reached.*Retry-After: 20"):
        embedder.embed(["x"])
    route.mock(return_value=httpx.Response(503, text="upstream unavailable"))
    with pytest.raises(EmbeddingError, match=r"HTTP 503: upstream unavailable; .*retry later"):
        embedder.embed(["x"])


def test_openai_malformed_answers(mock: respx.MockRouter) -> None:
    route = mock.post(OPENAI)
    embedder = OpenAIEmbedder(api_key="sk-test")
    route.mock(return_value=httpx.Response(200, json={"object": "list", "data": [{"x": 1}]}))
    with pytest.raises(EmbeddingError, match="unexpected shape"):
        embedder.embed(["x"])
    route.mock(return_value=httpx.Response(200, text="<html>proxy</html>"))
    with pytest.raises(EmbeddingError, match="invalid JSON"):
        embedder.embed(["x"])
    route.mock(side_effect=FakeOpenAI(size=10))
    with pytest.raises(EmbeddingError, match="vectors of size 10, expected 1536"):
        embedder.embed(["x"])
    route.mock(return_value=httpx.Response(200, json={"object": "list", "data": []}))
    with pytest.raises(EmbeddingError, match="0 embeddings for 1 texts"):
        embedder.embed(["x"])


def test_openai_unreachable(mock: respx.MockRouter) -> None:
    mock.post(OPENAI).mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(
        EmbeddingError, match=re.escape("cannot reach OpenAI at https://api.openai.com")
    ):
        OpenAIEmbedder(api_key="sk-test").embed(["x"])


def test_unknown_model_needs_a_dimension() -> None:
    with pytest.raises(EmbeddingError, match="pass its dimension"):
        OpenAIEmbedder(api_key="k", model="my-embedder")
    with pytest.raises(EmbeddingError, match="nomic-embed-text"):
        OllamaEmbedder(model="custom-embed")
    assert OllamaEmbedder(model="custom-embed", dimension=12).dimension == 12
    assert OllamaEmbedder(model="nomic-embed-text:v1.5").dimension == 768


def test_ollama_request_and_response(mock: respx.MockRouter) -> None:
    fake = FakeOllama()
    mock.post(OLLAMA).mock(side_effect=fake)
    embedder = OllamaEmbedder(batch_size=2)
    vectors = embedder.embed(["a", "bb", "ccc"])
    assert [v[0] for v in vectors] == [1.0, 2.0, 3.0]
    assert fake.requests == [
        {"model": "nomic-embed-text", "input": ["a", "bb"]},
        {"model": "nomic-embed-text", "input": ["ccc"]},
    ]
    assert embedder.name == "ollama:nomic-embed-text"


def test_ollama_model_not_pulled(mock: respx.MockRouter) -> None:
    mock.post(OLLAMA).mock(side_effect=FakeOllama())
    embedder = OllamaEmbedder(model="mxbai-embed-large")
    with pytest.raises(EmbeddingError, match="HTTP 404") as caught:
        embedder.embed(["x"])
    assert 'model "mxbai-embed-large" not found' in str(caught.value)
    assert "ollama pull mxbai-embed-large" in str(caught.value)


def test_ollama_errors(mock: respx.MockRouter) -> None:
    route = mock.post("http://gpu-box:11434/api/embed")
    embedder = OllamaEmbedder(host="gpu-box")
    route.mock(return_value=httpx.Response(500, json={"error": "llama runner process died"}))
    with pytest.raises(EmbeddingError, match="HTTP 500: llama runner process died"):
        embedder.embed(["x"])
    route.mock(return_value=httpx.Response(200, json={"embedding": [0.1]}))
    with pytest.raises(EmbeddingError, match="unexpected shape"):
        embedder.embed(["x"])
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(EmbeddingError, match="cannot reach Ollama"):
        embedder.embed(["x"])


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://0.0.0.0:11434"),
        ("gpu-box:8080", "http://gpu-box:8080"),
        ("https://ollama.example.com/", "https://ollama.example.com"),
        (" gpu-box ", "http://gpu-box:11434"),
        ("[::1]", "http://[::1]:11434"),
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434"),
    ],
)
def test_ollama_host_forms(host: str, url: str) -> None:
    assert ollama_base_url(host) == url
