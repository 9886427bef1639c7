"""Embeddings from a service: the OpenAI embeddings API (and compatible servers) or Ollama.

Wire formats:
- OpenAI: POST {base}/v1/embeddings `{"model", "input": [...], "encoding_format": "float"}`
  -> `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model",
  "usage"}`; errors are `{"error": {"message", "type", "param", "code"}}`.
- Ollama: POST {host}/api/embed `{"model", "input": [...]}` -> `{"model", "embeddings"}`;
  errors are `{"error": "message"}`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from storage.vectors.base import EmbeddingError

OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
OLLAMA_DIMENSIONS = {
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
    "all-minilm": 384,
    "snowflake-arctic-embed": 1024,
    "bge-m3": 1024,
}


class _OpenAIEmbedding(BaseModel):
    index: int
    embedding: list[float]


class _OpenAIResponse(BaseModel):
    data: list[_OpenAIEmbedding]


class _OllamaResponse(BaseModel):
    embeddings: list[list[float]]


def _dimension(model: str, dimension: int | None, known: dict[str, int], setting: str) -> int:
    if dimension is not None:
        if dimension < 1:
            raise ValueError(f"dimension must be at least 1, got {dimension}")
        return dimension
    found = known.get(model.split(":", 1)[0])
    if found is None:
        raise EmbeddingError(
            f"the vector size of embedding model {model!r} is unknown; pass its dimension "
            f"({setting}) or use one of {', '.join(sorted(known))}"
        )
    return found


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", error))
    return str(error) if error is not None else response.text[:200]


class _HttpEmbedder(ABC):
    """Batching, transport errors and vector checks shared by the two services."""

    service = ""
    fixes: dict[int, str] = {}

    def __init__(
        self, url: str, model: str, dimension: int, batch_size: int, timeout: float
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.url = url
        self.model = model
        self._dimension = dimension
        self._batch_size = batch_size
        self._timeout = timeout

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            vectors = self._parse(self._post(self._body(batch)))
            if len(vectors) != len(batch):
                raise EmbeddingError(
                    f"{self.service} returned {len(vectors)} embeddings for {len(batch)} "
                    "texts; check that the server speaks the documented API"
                )
            for vector in vectors:
                if len(vector) != self._dimension:
                    raise EmbeddingError(
                        f"{self.service} model {self.model!r} returned vectors of size "
                        f"{len(vector)}, expected {self._dimension}; set the right dimension "
                        "or model"
                    )
            out.extend(vectors)
        return out

    def _post(self, body: dict[str, Any]) -> Any:
        try:
            with httpx.Client(timeout=self._timeout) as client:
                response = client.post(self.url, json=body, headers=self._headers())
        except httpx.HTTPError as exc:
            raise EmbeddingError(
                f"cannot reach {self.service} at {self.url} ({exc.__class__.__name__}); "
                "start the service or fix its URL setting"
            ) from exc
        if response.status_code != 200:
            fix = self.fixes.get(response.status_code) or (
                "the service is failing; retry later"
                if response.status_code >= 500
                else "check the embedding settings"
            )
            if response.status_code == 429 and "retry-after" in response.headers:
                fix += f" (Retry-After: {response.headers['retry-after']} s)"
            raise EmbeddingError(
                f"{self.service} embeddings failed with HTTP {response.status_code}: "
                f"{_error_text(response)}; {fix}"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise EmbeddingError(f"{self.service} answered with invalid JSON") from exc

    def _headers(self) -> dict[str, str]:
        return {}

    @abstractmethod
    def _body(self, texts: list[str]) -> dict[str, Any]: ...

    @abstractmethod
    def _parse(self, payload: Any) -> list[list[float]]: ...


class OpenAIEmbedder(_HttpEmbedder):
    service = "OpenAI"
    fixes = {
        401: "check OPENAI_API_KEY",
        403: "the API key may not use this model; check the project's permissions",
        404: "the model does not exist; fix CODEMONKEY_EMBEDDING_MODEL",
        429: "rate limited or out of quota; retry later or raise the account's limits",
    }

    def __init__(
        self,
        *,
        api_key: str | None,
        model: str = "text-embedding-3-small",
        base_url: str = "https://api.openai.com",
        dimension: int | None = None,
        batch_size: int = 512,
        timeout: float = 60.0,
    ) -> None:
        base = base_url.rstrip("/")
        # Accept the SDK convention of a base URL that already ends in /v1.
        url = f"{base}/embeddings" if base.endswith("/v1") else f"{base}/v1/embeddings"
        super().__init__(
            url,
            model,
            _dimension(model, dimension, OPENAI_DIMENSIONS, "dimension="),
            batch_size,
            timeout,
        )
        self._api_key = api_key
        # Only the text-embedding-3 models can shorten their vectors on request.
        self._send_dimensions = dimension is not None and model.startswith("text-embedding-3")

    @property
    def name(self) -> str:
        return f"openai:{self.model}:{self.dimension}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _body(self, texts: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "input": texts, "encoding_format": "float"}
        if self._send_dimensions:
            body["dimensions"] = self.dimension
        return body

    def _parse(self, payload: Any) -> list[list[float]]:
        try:
            parsed = _OpenAIResponse.model_validate(payload)
        except ValidationError as exc:
            raise EmbeddingError(
                f"OpenAI embeddings response has an unexpected shape: {exc}"
            ) from exc
        return [item.embedding for item in sorted(parsed.data, key=lambda item: item.index)]


class OllamaEmbedder(_HttpEmbedder):
    service = "Ollama"

    def __init__(
        self,
        *,
        model: str = "nomic-embed-text",
        host: str = "http://127.0.0.1:11434",
        dimension: int | None = None,
        batch_size: int = 64,
        timeout: float = 120.0,
    ) -> None:
        super().__init__(
            f"{ollama_base_url(host)}/api/embed",
            model,
            _dimension(model, dimension, OLLAMA_DIMENSIONS, "dimension="),
            batch_size,
            timeout,
        )
        self.fixes = {404: f"run `ollama pull {model}` or fix CODEMONKEY_EMBEDDING_MODEL"}

    @property
    def name(self) -> str:
        return f"ollama:{self.model}"

    def _body(self, texts: list[str]) -> dict[str, Any]:
        return {"model": self.model, "input": texts}

    def _parse(self, payload: Any) -> list[list[float]]:
        try:
            return _OllamaResponse.model_validate(payload).embeddings
        except ValidationError as exc:
            raise EmbeddingError(
                f"Ollama /api/embed response has an unexpected shape: {exc}"
            ) from exc


def ollama_base_url(host: str) -> str:
    """Read OLLAMA_HOST the way Ollama does: without a scheme it is http and the port
    defaults to 11434 (`0.0.0.0`, `gpu-box`); with a scheme the scheme's port applies."""
    host = host.strip().rstrip("/")
    if "://" in host:
        return host
    parts = urlsplit(f"http://{host}")
    netloc = parts.netloc if parts.port else f"{parts.netloc}:11434"
    return f"http://{netloc}{parts.path}"
