"""A cheaper copy of the MiniLM ONNX graph, made once per machine and cached.

The shipped export spends its time in plain MatMuls and in an attention written out op by
op (PyTorch's scaled-dot-product export: Transposes, a mask Add, Softmax, and an
IsNaN/Where guard that costs a fifth of a run). The copy made here:
1. folds the weights to float32 constants (onnxruntime's basic level, saved to a file);
2. replaces each layer's written-out attention with onnxruntime's fused
   `MultiHeadAttention` kernel, the key padding mask taken from the model's
   `attention_mask` input (same arithmetic, in one kernel), and the written-out GELU
   with its `Gelu` kernel;
3. quantizes the MatMul weights to int8, one scale per output channel, the activations
   quantized on the fly (`quantize_dynamic`): integer products on CPUs with VNNI.

The result is checked against the original on padded batches of code-like text before
it is used; a model this code does not recognise is not rewritten.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

VARIANT = "int8-fused"
# The attention rewrite runs only where the graph has this many attention blocks.
_LAYERS = 6
_HEADS = 12
# A copy whose vectors drift further than this from the original's is not used.
MIN_COSINE = 0.98


class UnrecognisedGraphError(Exception):
    """The ONNX graph does not have the shape this rewrite expects."""


def model_digest(model: Path) -> str:
    digest = hashlib.sha256()
    with model.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def cached_fast_model(model: Path, cache_dir: Path, *, check: Callable[[Path], None]) -> Path:
    """The fast copy of `model` under `cache_dir`, made now if it is not there yet (a few
    seconds; keyed on the source file's digest, so a new model makes a new copy). `check`
    gets the new copy before it is kept and raises if it is not good enough."""
    target = cache_dir / f"minilm-{model_digest(model)}-{VARIANT}.onnx"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        work = Path(tmp)
        folded = work / "folded.onnx"
        _fold_constants(model, folded)
        fused = work / "fused.onnx"
        _fuse_attention(folded, fused)
        quantized = work / "quantized.onnx"
        _quantize(fused, quantized)
        check(quantized)
        # Another process may have finished first; both copies are identical.
        os.replace(quantized, target)
    return target


def _fold_constants(model: Path, out: Path) -> None:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(out)
    onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


class _OnnxruntimeChatter(logging.Filter):
    """onnxruntime's quantizer logs its progress on the root logger, so every command that
    first makes the copy (`doctor`, say) would print dozens of lines about tensors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}onnxruntime{os.sep}" not in record.pathname


def _quantize(model: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    chatter = _OnnxruntimeChatter()
    logging.getLogger().addFilter(chatter)
    try:
        quantize_dynamic(
            model,
            out,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        logging.getLogger().removeFilter(chatter)


def _fuse_attention(model_path: Path, out: Path) -> None:
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(model_path))
    graph = model.graph
    producers = {output: node for node in graph.node for output in node.output}
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only_consumer(name: str) -> Any:
        found = consumers.get(name, [])
        if len(found) != 1:
            raise UnrecognisedGraphError(f"{name} has {len(found)} consumers")
        return found[0]

    def projection(name: str, scale: list[float]) -> str:
        """Walk up from an attention operand to its `x @ W + b`, collecting scalar
        multipliers on the way; returns the projection's output name."""
        for _ in range(12):
            node = producers.get(name)
            if node is None:
                break
            if node.op_type == "Add" and any(
                producers.get(i) is not None and producers[i].op_type == "MatMul"
                for i in node.input
            ):
                return str(node.output[0])
            if node.op_type == "Mul":
                factor = [constants[i] for i in node.input if i in constants]
                if len(factor) != 1 or factor[0].size != 1:
                    raise UnrecognisedGraphError(f"{node.name} is not a scalar scale")
                scale.append(float(factor[0].reshape(())))
                name = next(i for i in node.input if i not in constants)
                continue
            if node.op_type in {"Transpose", "Reshape"}:
                name = node.input[0]
                continue
            break
        raise UnrecognisedGraphError(f"no projection above {name}")

    mask = "attention_mask_int32"
    replaced: list[Any] = []
    for softmax in [n for n in graph.node if n.op_type == "Softmax"]:
        add = producers.get(softmax.input[0])
        if add is None or add.op_type != "Add":
            raise UnrecognisedGraphError("softmax without a mask add")
        matmuls = [producers[i] for i in add.input if i in producers]
        scores = next((n for n in matmuls if n.op_type == "MatMul"), None)
        if scores is None:
            raise UnrecognisedGraphError("softmax input is not a MatMul of q and k")
        scale: list[float] = []
        query = projection(scores.input[0], scale)
        key = projection(scores.input[1], scale)
        probs = softmax.output[0]
        guard = consumers.get(probs, [])
        if len(guard) == 2 and {n.op_type for n in guard} == {"IsNaN", "Where"}:
            probs = next(n for n in guard if n.op_type == "Where").output[0]
        context = only_consumer(probs)
        if context.op_type != "MatMul" or context.input[0] != probs:
            raise UnrecognisedGraphError("attention probabilities not multiplied by values")
        value = projection(context.input[1], [])
        transpose = only_consumer(context.output[0])
        reshape = only_consumer(transpose.output[0])
        if (transpose.op_type, reshape.op_type) != ("Transpose", "Reshape"):
            raise UnrecognisedGraphError("attention output is not merged back by heads")
        product = 1.0
        for factor in scale:
            product *= factor
        replaced.append(
            helper.make_node(
                "MultiHeadAttention",
                [query, key, value, "", mask],
                [reshape.output[0]],
                name=f"MultiHeadAttention_{len(replaced)}",
                domain="com.microsoft",
                num_heads=_HEADS,
                scale=product,
            )
        )
        # Detach the old output so the written-out attention becomes dead code.
        reshape.output[0] = f"{reshape.output[0]}_unused"
    if len(replaced) != _LAYERS:
        raise UnrecognisedGraphError(f"found {len(replaced)} attention blocks, not {_LAYERS}")
    replaced.extend(_gelus(graph.node, producers, consumers, constants))
    cast = helper.make_node("Cast", ["attention_mask"], [mask], to=onnx.TensorProto.INT32)
    nodes = [cast, *graph.node, *replaced]
    kept = _live_nodes(nodes, [o.name for o in graph.output])
    del graph.node[:]
    graph.node.extend(_topological(kept, {i.name for i in graph.input} | set(constants)))
    used = {name for node in graph.node for name in node.input}
    keep_inits = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep_inits)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(out))


def _gelus(
    nodes: Iterable[Any],
    producers: dict[str, Any],
    consumers: dict[str, list[Any]],
    constants: dict[str, Any],
) -> list[Any]:
    """The exact GELU written out, x * 0.5 * (1 + erf(x / sqrt 2)), as one `Gelu` kernel
    each (onnxruntime leaves it unfused once the MatMuls before it are quantized)."""
    from onnx import helper

    def constant(node: Any, value: float) -> str | None:
        """The input of `node` that is not the constant `value`, if it has that constant."""
        names = list(node.input)
        for name in names:
            if name in constants and abs(float(constants[name].reshape(())) - value) < 1e-4:
                others = [n for n in names if n != name]
                return others[0] if len(others) == 1 else None
        return None

    def single(name: str, op: str) -> Any | None:
        found = consumers.get(name, [])
        return found[0] if len(found) == 1 and found[0].op_type == op else None

    fused: list[Any] = []
    for erf in [n for n in nodes if n.op_type == "Erf"]:
        div = producers.get(erf.input[0])
        x = constant(div, 2**0.5) if div is not None and div.op_type == "Div" else None
        one = single(erf.output[0], "Add")
        half = single(one.output[0], "Mul") if one is not None else None
        last = single(half.output[0], "Mul") if half is not None else None
        if x is None or one is None or half is None or last is None:
            continue
        if constant(one, 1.0) is None or constant(half, 0.5) is None or x not in last.input:
            continue
        fused.append(
            helper.make_node(
                "Gelu", [x], [last.output[0]], name=f"Gelu_{len(fused)}", domain="com.microsoft"
            )
        )
        last.output[0] = f"{last.output[0]}_unused"
    return fused


def _live_nodes(nodes: list[Any], outputs: Iterable[str]) -> list[Any]:
    """The nodes that some graph output depends on."""
    producer = {o: n for n in nodes for o in n.output}
    needed, live, stack = set(outputs), set(), list(outputs)
    while stack:
        node = producer.get(stack.pop())
        if node is None or id(node) in live:
            continue
        live.add(id(node))
        for name in node.input:
            if name and name not in needed:
                needed.add(name)
                stack.append(name)
    return [n for n in nodes if id(n) in live]


def _topological(nodes: list[Any], available: set[str]) -> list[Any]:
    ready, pending, ordered = set(available) | {""}, list(nodes), []
    while pending:
        runnable = [n for n in pending if all(i in ready for i in n.input)]
        if not runnable:
            raise UnrecognisedGraphError("the rewritten graph has a cycle or a missing input")
        for node in runnable:
            ordered.append(node)
            ready.update(node.output)
        done = {id(n) for n in runnable}
        pending = [n for n in pending if id(n) not in done]
    return ordered


def mean_cosine(
    embed_a: Callable[[list[str]], list[list[float]]],
    embed_b: Callable[[list[str]], list[list[float]]],
    texts: list[str],
) -> tuple[float, float]:
    """Mean and lowest cosine similarity between two embedders' vectors of `texts`."""
    import numpy as np

    a = np.array(embed_a(texts), dtype=np.float64)
    b = np.array(embed_b(texts), dtype=np.float64)
    cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(cos.mean()), float(cos.min())
