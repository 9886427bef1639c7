"""What a task's first request says about its scope and its branch, from the gaps a
capable model met in a real run: a root-level `tests.py` is a test file, QA is never told
not to write tests, and later tasks learn that earlier work is committed."""

from __future__ import annotations

import pytest

from agents.roles import load_roles
from agents.team.roster import scope_note
from agents.team.test_paths import is_test_path

ROLES = load_roles()


@pytest.mark.parametrize(
    "path",
    [
        "tests.py",
        "test.py",
        "conftest.py",
        "tests/test_app.py",
        "pkg/app_test.py",
        "web/src/button.test.tsx",
        "spec/models/user_spec.rb",
        "server/handler_test.go",
    ],
)
def test_test_files_are_recognised(path: str) -> None:
    assert is_test_path(path)


@pytest.mark.parametrize("path", ["app.py", "jsonpointer.py", "src/contest.py", "latest.py"])
def test_source_files_are_not_tests(path: str) -> None:
    assert not is_test_path(path)


def test_qa_is_never_told_not_to_write_tests() -> None:
    note = scope_note(ROLES["qa"], ["jsonpointer.py"])
    assert "do not write them" not in note and "Tests are part of this task" in note


def test_a_developer_editing_a_root_tests_module_is_told_tests_are_in_scope() -> None:
    note = scope_note(ROLES["backend_developer"], ["jsonpointer.py", "tests.py"])
    assert "Tests are part of this task" in note


def test_a_developer_without_test_paths_leaves_tests_to_qa() -> None:
    note = scope_note(ROLES["backend_developer"], ["jsonpointer.py"])
    assert "do not write them" in note
