"""ARCHITECTURE.md stays true: the modules it names exist, every package of the layers is
named, and its layer diagram is the import rule `tests/test_layering.py` enforces."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from tests.test_layering import ALLOWED, PACKAGES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "ARCHITECTURE.md"

_CODE = re.compile(r"`([^`\s]+)`")
_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)
_EDGE = re.compile(r"^\s*(\w+)(?:\[\"([^\"]+)\"\])?\s*-->\s*(\w+)(?:\[\"([^\"]+)\"\])?\s*$")


def named_paths(text: str) -> set[str]:
    """Every code span that is a path into one of the layers."""
    return {
        span.rstrip("/")
        for span in _CODE.findall(text)
        if span.split("/", 1)[0] in PACKAGES and ("/" in span or span.endswith(".py"))
    }


def diagrams(text: str) -> list[list[tuple[str, str]]]:
    """Each mermaid diagram's edges, with node labels (a node's path) in place of ids."""
    found = []
    for block in _MERMAID.findall(text):
        labels: dict[str, str] = {}
        edges = []
        for line in block.splitlines()[1:]:
            match = _EDGE.match(line)
            if match is None:
                continue
            src, src_label, dst, dst_label = match.groups()
            labels.setdefault(src, src_label or src)
            labels.setdefault(dst, dst_label or dst)
            edges.append((labels[src], labels[dst]))
        found.append(edges)
    return found


def packages() -> set[str]:
    return {
        init.parent.relative_to(ROOT).as_posix()
        for layer in PACKAGES
        for init in (ROOT / layer).rglob("__init__.py")
    }


def test_every_path_the_document_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(p for p in named_paths(text) if not (ROOT / p).exists())
    assert missing == [], f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_package_of_the_layers_is_named() -> None:
    text = DOC.read_text(encoding="utf-8")
    spans = set(_CODE.findall(text))
    unnamed = sorted(p for p in packages() if p not in spans)
    assert unnamed == [], f"ARCHITECTURE.md does not name the package(s) {unnamed}"


def test_the_layer_diagram_is_the_import_rule() -> None:
    layers = diagrams(DOC.read_text(encoding="utf-8"))[1]
    allowed = {(a, b) for a, targets in ALLOWED.items() for b in targets if a != b}
    assert set(layers) == allowed


def test_the_layers_are_described_in_import_order() -> None:
    text = DOC.read_text(encoding="utf-8")
    headings = re.findall(r"^### `(\w+)`:", text, re.MULTILINE)
    assert tuple(headings) == PACKAGES


def test_the_delivery_path_is_one_chain_of_existing_modules() -> None:
    path = diagrams(DOC.read_text(encoding="utf-8"))[0]
    for (_, dst), (src, _) in pairwise(path):
        assert dst == src, f"the delivery path breaks between {dst} and {src}"
    modules = [path[0][0], *(dst for _, dst in path)]
    assert len(modules) == len(set(modules)), "each hop of the delivery happens once"
    assert all(m.endswith(".py") and (ROOT / m).is_file() for m in modules), modules


def test_a_stale_document_is_caught(tmp_path: Path) -> None:
    stale = "`agents/team/flows.py` and `bot/nowhere/`\n```mermaid\nflowchart\n    a --> b\n```"
    assert named_paths(stale) == {"agents/team/flows.py", "bot/nowhere"}
    assert not any((ROOT / p).exists() for p in named_paths(stale))
    assert diagrams(stale) == [[("a", "b")]]
