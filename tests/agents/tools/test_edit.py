"""edit_file: exact edits apply; misses show the nearest lines; ambiguity is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.tools.base import ToolContext, ToolError, ToolRegistry
from agents.tools.edit import parse_blocks
from agents.tools.matching import nearest_match

BLOCKS = """Here is the change:

src/app.py
```python
<<<<<<< SEARCH
def greet(name):
    return f"Hello, {name}!"
=======
def greet(name, punctuation="!"):
    return f"Hello, {name}{punctuation}"
>>>>>>> REPLACE
```

src/util.py
<<<<<<< SEARCH
def sub(a, b):
    return a - b
=======
def sub(a, b):
    return a - b


def mul(a, b):
    return a * b
>>>>>>> REPLACE
"""


def test_search_replace_blocks_apply(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    result = registry.call(ctx, "edit_file", {"blocks": BLOCKS})
    assert result.ok, result.output
    assert result.changed_paths == ("src/app.py", "src/util.py")
    assert 'def greet(name, punctuation="!"):' in (repo / "src/app.py").read_text()
    assert (repo / "src/util.py").read_text().endswith("def mul(a, b):\n    return a * b\n")


def test_old_new_pairs_apply_in_order(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    edits = [
        {"old": "return a + b", "new": "return b + a"},
        {"old": "return b + a", "new": "return int(b + a)"},
    ]
    result = registry.call(ctx, "edit_file", {"path": "src/util.py", "edits": edits})
    assert result.ok and result.output == "applied 2 edits to src/util.py"
    assert "return int(b + a)" in (repo / "src/util.py").read_text()


def test_a_miss_reports_the_nearest_match_and_changes_nothing(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    before = (repo / "src/app.py").read_text()
    edits = [
        {"path": "src/util.py", "old": "return a + b", "new": "return a + b + 0"},
        {
            "path": "src/app.py",
            "old": 'def farewell(name):\n    return f"Bye, {name}!"\n',
            "new": "",
        },
    ]
    result = registry.call(ctx, "edit_file", {"edits": edits})
    assert not result.ok
    assert "edit 2 (src/app.py): the search text was not found exactly" in result.output
    assert "The nearest match is lines 8-9" in result.output
    assert '    9|     return f"Goodbye, {name}!"' in result.output
    assert '-    return f"Bye, {name}!"' in result.output
    assert '+    return f"Goodbye, {name}!"' in result.output
    assert "No file was changed (2 edits in this call)" in result.output
    assert (repo / "src/app.py").read_text() == before
    assert "a + b + 0" not in (repo / "src/util.py").read_text()


def test_whitespace_only_difference_is_named(
    registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    edit = {"old": "def add(a, b):\n  return a + b\n", "new": "x"}
    result = registry.call(ctx, "edit_file", {"path": "src/util.py", "edits": [edit]})
    assert not result.ok and "differ only in whitespace or indentation" in result.output


def test_nothing_similar(registry: ToolRegistry[ToolContext], ctx: ToolContext) -> None:
    edit = {"old": "class Zebra(Animal):\n    stripes = 12\n", "new": "x"}
    result = registry.call(ctx, "edit_file", {"path": "src/util.py", "edits": [edit]})
    assert not result.ok and "nothing in it is similar" in result.output


def test_ambiguous_match_lists_each_line(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    edit = {"old": "    return f", "new": "    return str"}
    result = registry.call(ctx, "edit_file", {"path": "src/app.py", "edits": [edit]})
    assert not result.ok
    assert "occurs 2 times (starting at lines 5, 9)" in result.output
    assert "include more surrounding lines" in result.output
    assert "return str" not in (repo / "src/app.py").read_text()


def test_creating_a_file_and_empty_search_on_existing(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    made = registry.call(
        ctx, "edit_file", {"edits": [{"path": "new/x.py", "old": "", "new": "x\n"}]}
    )
    assert made.ok and (repo / "new/x.py").read_text() == "x\n"
    again = registry.call(
        ctx, "edit_file", {"edits": [{"path": "new/x.py", "old": "", "new": "y"}]}
    )
    assert not again.ok and "already exists" in again.output
    missing = registry.call(
        ctx, "edit_file", {"edits": [{"path": "nope.py", "old": "a", "new": "b"}]}
    )
    assert not missing.ok and "does not exist" in missing.output


def test_protected_and_escaping_edits_are_refused(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    block = (
        ".github/workflows/ci.yml\n<<<<<<< SEARCH\non: push\n=======\n"
        "on: pull_request\n>>>>>>> REPLACE\n"
    )
    result = registry.call(ctx, "edit_file", {"blocks": block})
    assert not result.ok and "protected path" in result.output
    escape = registry.call(ctx, "edit_file", {"edits": [{"path": "../x", "old": "", "new": "y"}]})
    assert not escape.ok and "contains '..'" in escape.output


def test_malformed_blocks_are_explained(
    registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    no_divider = "src/app.py\n<<<<<<< SEARCH\nimport os\n>>>>>>> REPLACE\n"
    assert "has no '=======' line" in registry.call(ctx, "edit_file", {"blocks": no_divider}).output
    no_end = "src/app.py\n<<<<<<< SEARCH\nimport os\n=======\nimport sys\n"
    assert (
        "has no '>>>>>>> REPLACE' line"
        in registry.call(ctx, "edit_file", {"blocks": no_end}).output
    )
    none = registry.call(ctx, "edit_file", {"blocks": "just prose"})
    assert not none.ok and "no SEARCH/REPLACE blocks found" in none.output
    nameless = "<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
    assert "has no file name" in registry.call(ctx, "edit_file", {"blocks": nameless}).output
    assert not registry.call(ctx, "edit_file", {"path": "src/app.py"}).ok


def test_parse_blocks_reuses_the_last_file_name() -> None:
    text = (
        "a.py\n<<<<<<< SEARCH\n1\n=======\n2\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\n3\n=======\n4\n>>>>>>> REPLACE\n"
    )
    edits = parse_blocks(text, None)
    assert [(e.path, e.old, e.new) for e in edits] == [
        ("a.py", "1\n", "2\n"),
        ("a.py", "3\n", "4\n"),
    ]
    with pytest.raises(ToolError):
        parse_blocks("", "a.py")


def test_nearest_match_on_a_large_file() -> None:
    content = "".join(f"value_{n} = compute({n}, scale=2)\n" for n in range(5000))
    near = nearest_match(content, "value_4321 = compute(4321, scale=3)\n")
    assert near is not None and near.start_line == 4322 and near.similarity > 0.9


def test_crlf_files_and_non_utf8_files(
    repo: Path, registry: ToolRegistry[ToolContext], ctx: ToolContext
) -> None:
    (repo / "win.txt").write_bytes(b"first\r\nsecond\r\nthird\r\n")
    edit = {"path": "win.txt", "old": "second\nthird\n", "new": "2nd\n3rd\n"}
    assert registry.call(ctx, "edit_file", {"edits": [edit]}).ok
    assert (repo / "win.txt").read_bytes() == b"first\r\n2nd\r\n3rd\r\n"
    (repo / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    edit = {"path": "latin1.txt", "old": "au lait", "new": "noir"}
    result = registry.call(ctx, "edit_file", {"edits": [edit]})
    assert not result.ok and "is not UTF-8 text" in result.output
    assert (repo / "latin1.txt").read_bytes() == "caf\xe9 au lait\n".encode("latin-1")
