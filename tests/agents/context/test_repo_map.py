"""The repository map: symbols per language, ranking by the task, the token budget."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agents.context.repo_map import repository_map, words
from agents.context.symbols import symbols_of

PY = """import os


class Parser:
    def parse(self, text):
        return text

    async def close(self):
        pass


def parse_date(value):
    def inner():
        pass
    return value


async def fetch():
    pass
"""


def test_python_symbols_are_top_level_classes_and_functions_with_lines() -> None:
    found = [(s.kind, s.name, s.line, s.members) for s in symbols_of("a/p.py", PY)]
    assert found == [
        ("class", "Parser", 4, ("parse", "close")),
        ("def", "parse_date", 12, ()),
        ("def", "fetch", 18, ()),
    ]


def test_a_python_file_that_does_not_parse_has_no_symbols() -> None:
    assert symbols_of("broken.py", "def (:\n") == ()


def test_javascript_go_and_rust_definitions_are_found_by_their_common_forms() -> None:
    js = "export default class App {}\nexport async function load() {}\nconst x = 1\n"
    assert [(s.kind, s.name, s.line) for s in symbols_of("web/app.ts", js)] == [
        ("class", "App", 1),
        ("function", "load", 2),
        ("const", "x", 3),
    ]
    go = "package main\n\ntype Server struct{}\n\nfunc (s *Server) Serve() {}\nfunc main() {}\n"
    assert [(s.kind, s.name) for s in symbols_of("main.go", go)] == [
        ("type", "Server"),
        ("func", "Serve"),
        ("func", "main"),
    ]
    rust = "pub struct Config {}\nimpl Config {}\npub(crate) async fn run() {}\nfn helper() {}\n"
    assert [(s.kind, s.name) for s in symbols_of("src/lib.rs", rust)] == [
        ("struct", "Config"),
        ("impl", "Config"),
        ("fn", "run"),
        ("fn", "helper"),
    ]
    assert symbols_of("README.md", "# def nothing()\n") == ()


def test_words_split_identifiers_and_drop_short_and_common_ones() -> None:
    assert words("Fix parseHTTPDate in date_utils.py for the bug") == {
        "parse",
        "http",
        "date",
        "utils",
    }


def _repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_files_are_ranked_by_the_task_words_in_paths_and_symbols(tmp_path: Path) -> None:
    root = _repo(
        tmp_path,
        {
            "big/unrelated.py": "def other():\n    pass\n" * 200,
            "pkg/dates.py": "def parse_date(v):\n    return v\n",
            "pkg/money.py": "class Invoice:\n    def total(self):\n        return 0\n",
            "docs/guide.md": "# guide\n",
            ".gitignore": "ignored/\n",
            "ignored/skip.py": "def parse_date():\n    pass\n",
        },
    )
    text = repository_map(root, "Invoice total is wrong when parsing a date")
    lines = text.splitlines()[1:]
    assert lines[0].startswith("pkg/money.py: class Invoice:1(total)")
    assert lines[1] == "pkg/dates.py: def parse_date:1"
    # Then by size: the big unrelated module before the small guide.
    assert lines.index(
        "big/unrelated.py: "
        + "; ".join(["def other:1"] + [f"def other:{n}" for n in range(3, 401, 2)])
    ) < lines.index("docs/guide.md")
    assert "ignored/skip.py" not in text


def test_the_map_keeps_to_its_budget_and_counts_what_it_left_out(tmp_path: Path) -> None:
    files = {f"mod_{n:03}.py": f"def function_{n}():\n    pass\n" for n in range(300)}
    files["target.py"] = "def refund_order():\n    pass\n"
    root = _repo(tmp_path, files)
    text = repository_map(root, "refund_order fails", max_tokens=200)
    assert len(text) <= 200 * 4 + 120
    lines = text.splitlines()
    assert lines[1] == "target.py: def refund_order:1"
    shown = len(lines) - 2
    assert lines[-1] == (
        f"[{301 - shown} more files left out to fit; find them with list_files or search_code]"
    )


def test_a_directory_outside_git_is_mapped_too(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("class A:\n    pass\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.py").write_text("def b():\n    pass\n")
    text = repository_map(tmp_path, "anything")
    assert "a.py: class A:1" in text and ".hidden" not in text
