"""Scratch directories (a task's HOME and TMPDIR) go when their task ends, and ones a dead
worker left go at the next start once old."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from agents.env.store import EnvironmentStore
from agents.team.deps import TeamDeps
from agents.team.environment import task_scratch

DAY = 86400.0


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    for item in (path, *path.rglob("*")):
        os.utime(item, (then, then))


def test_a_tasks_scratch_is_deleted_when_it_ends_even_by_an_error(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path)
    deps = cast(TeamDeps, SimpleNamespace(environments=store))
    with task_scratch(deps, 7):
        (store.scratch(7) / "cache").write_text("x")
    assert not (tmp_path / "scratch" / "task-7").exists()
    with pytest.raises(RuntimeError), task_scratch(deps, 8):
        (store.scratch(8) / "cache").write_text("x")
        raise RuntimeError("the agent failed")
    assert not (tmp_path / "scratch" / "task-8").exists()


def test_the_sweep_removes_only_scratch_left_untouched_past_the_age(tmp_path: Path) -> None:
    store = EnvironmentStore(tmp_path)
    stale = store.scratch(1)
    (stale / "leftover").write_text("x")
    _age(stale, 2 * DAY)
    busy = store.scratch(2)
    (busy / "old").write_text("x")
    _age(busy, 2 * DAY)
    (busy / "just-written").write_text("x")  # a running task touched it
    fresh = store.scratch(3)
    assert store.sweep_scratch(DAY) == 1
    assert not stale.exists() and busy.exists() and fresh.exists()
    assert store.sweep_scratch(DAY, now=time.time() + 3 * DAY) == 2
    assert list((tmp_path / "scratch").iterdir()) == []
