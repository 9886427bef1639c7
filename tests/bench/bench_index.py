"""Repository indexing with the local all-MiniLM-L6-v2 embedder.

1. Embedder efficiency: the same chunks embedded through `LocalMiniLMEmbedder.embed` (our
   path: tokenise, run, pool, normalise, to lists) and through a bare onnxruntime
   `session.run` over the same batches tokenised beforehand (the floor); both throughputs
   and their ratio, the better of two alternating rounds each.
2. A whole repository (generated, or the text files under --source) indexed by
   `bot.index_build.build_index` into embedded Chroma on the low-priority index lane,
   then indexed again unchanged (nothing is embedded the second time). Meanwhile a probe
   on the main thread times a fixed bit of Python work to show what indexing leaves to
   the rest of the process.

Run: python -m tests.bench.bench_index [--files 2000] [--chunks 256] [--source DIR]
[--nice 0] (the lane runs at nice 10 by default, so on a busy machine it waits for others)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.index_build import IndexProgress, build_index, chunks, skipped
from bot.index_lane import NICE, IndexLane
from storage.vectors import LocalMiniLMEmbedder, build_vector_store
from storage.vectors.minilm import MAX_TOKENS, find_minilm_model

WORDS = [
    "request", "response", "queue", "worker", "task", "retry", "lease", "branch", "commit",
    "review", "index", "vector", "token", "model", "client", "server", "handler", "config",
    "settings", "event", "payload", "user", "project", "file", "path", "line", "chunk",
    "error", "value", "result", "state", "cache", "lock", "session", "database", "table",
]  # fmt: skip


def _code_file(rng: random.Random, n: int) -> str:
    """Python-like text of a realistic length: most files short, a few long."""
    lines = max(5, min(1500, int(rng.lognormvariate(4.3, 0.9))))  # median ~75 lines
    out = [f'"""Module {n}: {" ".join(rng.choices(WORDS, k=8))}."""', "", "import os", ""]
    while len(out) < lines:
        name = "_".join(rng.choices(WORDS, k=2))
        args = ", ".join(rng.choices(WORDS, k=rng.randint(0, 3)))
        out += [
            "",
            f"def {name}_{len(out)}({args}):",
            f'    """{" ".join(rng.choices(WORDS, k=10))}."""',
        ]
        for _ in range(rng.randint(3, 25)):
            a, b, c = rng.choices(WORDS, k=3)
            out.append(f"    {a}_{b} = {c}.get({rng.randint(0, 999)!r}) or {a}({b}, {c}=None)")
        out.append(f"    return {rng.choice(WORDS)}")
    return "\n".join(out[:lines]) + "\n"


def make_repo(root: Path, files: int, source: Path | None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    if source is not None:
        picked = 0
        for path in sorted(source.rglob("*")):
            if picked == files:
                break
            if path.is_file() and path.suffix in {".py", ".md", ".js", ".ts", ".txt", ".rst"}:
                target = root / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                picked += 1
    else:
        rng = random.Random(15)
        for n in range(files):
            folder = root / f"pkg{n % 40}"
            folder.mkdir(exist_ok=True)
            (folder / f"mod_{n}.py").write_text(_code_file(rng, n))
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "bench"], cwd=root, check=True)


def tracked(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True)
    return [n for n in out.stdout.decode().split("\0") if n]


def embedder_vs_raw(texts: list[str], batch_size: int, threads: int) -> None:
    import onnxruntime
    from tokenizers import Tokenizer

    embedder = LocalMiniLMEmbedder(batch_size=batch_size, threads=threads)
    embedder.load()
    files = find_minilm_model(None)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(files.model), options, providers=["CPUExecutionProvider"]
    )
    tokenizer = Tokenizer.from_file(str(files.tokenizer))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    # The same batches the embedder makes: sorted by length, `batch_size` at a time.
    ordered = sorted(texts, key=len)
    feeds: list[dict[str, Any]] = []
    for start in range(0, len(ordered), batch_size):
        encoded = tokenizer.encode_batch(ordered[start : start + batch_size])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds.append(
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
    tokens = sum(int(f["attention_mask"].sum()) for f in feeds)

    def ours() -> None:
        embedder.embed(texts)

    def raw() -> None:
        for feed in feeds:
            session.run(None, feed)

    embedder.embed(texts[:batch_size])
    session.run(None, feeds[0])
    best = {"ours": float("inf"), "raw": float("inf")}
    cpu = {"ours": float("inf"), "raw": float("inf")}
    for _ in range(2):
        for label, action in (("ours", ours), ("raw", raw)):
            started, cpu_started = time.perf_counter(), time.process_time()
            action()
            best[label] = min(best[label], time.perf_counter() - started)
            cpu[label] = min(cpu[label], time.process_time() - cpu_started)
    ours_rate, raw_rate = len(texts) / best["ours"], len(texts) / best["raw"]
    print(
        f"{len(texts)} chunks ({tokens / len(texts):.0f} tokens each on average), "
        f"batch {batch_size}, {threads} onnxruntime thread(s)"
    )
    per_k = {label: seconds / len(texts) * 1000 for label, seconds in cpu.items()}
    for label, name, rate in (
        ("ours", "LocalMiniLMEmbedder.embed", ours_rate),
        ("raw", "raw onnxruntime session.run", raw_rate),
    ):
        print(f"  {name:<34} {rate:8.1f} chunks/s, {per_k[label]:.1f} CPU s per 1,000")
    print(f"  ratio (goal >= 80%)                {ours_rate / raw_rate:8.1%}")


def probe_ms() -> float:
    started = time.perf_counter()
    total = 0
    for i in range(200_000):
        total += i % 7
    return (time.perf_counter() - started) * 1000


def index_repo(root: Path, data: Path, lane_threads: int | None, nice: int) -> None:
    embedder = LocalMiniLMEmbedder()
    store = build_vector_store(None, data, embedder)
    lane = IndexLane(threads=lane_threads, nice=nice)
    names = tracked(root)
    idle = statistics.median(probe_ms() for _ in range(5))
    last: list[IndexProgress] = []
    busy: list[float] = []
    done = threading.Event()

    def build(pool: Any) -> Any:
        try:
            return build_index(
                store, "bench/repo", root, names, [], {},
                progress=last.append, embedders=pool, parallel=lane.threads,
            )  # fmt: skip
        finally:
            done.set()

    started, cpu_started = time.perf_counter(), time.process_time()
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(lane.run(build)))
    thread.start()
    shown = 0.0
    while not done.wait(0.5):
        busy.append(probe_ms())
        if last and time.perf_counter() - shown > 30:
            shown = time.perf_counter()
            p = last[-1]
            print(f"  ... {p.files_done}/{p.files_total} files, {p.chunks_embedded} chunks")
    thread.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    outcome = result[0]
    total = sum(1 for n in names if not skipped(n))
    print(
        f"indexed {total} files, {outcome.chunks} chunks in {elapsed:.1f} s "
        f"({outcome.chunks / elapsed:.1f} chunks/s; goal: 2,000 files < 300 s on 2 cores)"
    )
    print(
        f"  {cpu:.0f} CPU s on {lane.threads} embedding thread(s): {cpu / lane.threads:.0f} s "
        f"of wall time if those cores were idle"
    )
    print(
        f"  main-thread probe during indexing: p50 {statistics.median(busy or [idle]):.1f} ms "
        f"(idle {idle:.1f} ms)"
    )
    known = {path: f.sha for path, f in outcome.indexed.items()}
    started = time.perf_counter()
    again = lane.run(lambda _: build_index(store, "bench/repo", root, names, [], known))
    print(
        f"  re-index, nothing changed: {time.perf_counter() - started:.1f} s, "
        f"{again.chunks} chunks embedded, {again.unchanged} files unchanged"
    )
    lane.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--chunks", type=int, default=256, help="chunks for the ratio")
    parser.add_argument("--batch-size", type=int, default=LocalMiniLMEmbedder().batch_size)
    parser.add_argument("--lane-threads", type=int, default=None, help="default: the CPUs")
    parser.add_argument("--threads", type=int, default=None, help="default: the embedder's")
    parser.add_argument(
        "--nice",
        type=int,
        default=NICE,
        help="the lane's nice value (0: compete evenly with other work on a shared machine)",
    )
    parser.add_argument("--source", type=Path, help="take the text files of this directory")
    parser.add_argument("--skip-repo", action="store_true", help="only the ratio")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "repo")
        make_repo(root, args.files, args.source)
        texts = [
            item.text
            for name in tracked(root)
            for item in chunks(name, (root / name).read_text(errors="replace"))
        ][: args.chunks]
        threads = args.threads or LocalMiniLMEmbedder().threads
        embedder_vs_raw(texts, args.batch_size, threads)
        if not args.skip_repo:
            index_repo(root, Path(tmp, "chroma"), args.lane_threads, args.nice)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
