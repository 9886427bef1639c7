"""SideEffects.once on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from storage.side_effects import SideEffects
from storage.sql.database import Database


def test_once_runs_the_action_once_and_replays_the_record(database: Database) -> None:
    effects = SideEffects(database)
    calls: list[int] = []

    def post_comment() -> dict[str, Any]:
        calls.append(1)
        return {"comment_id": 41 + len(calls)}

    first = effects.once("comment:o/r#1:plan", None, post_comment)
    second = effects.once("comment:o/r#1:plan", None, post_comment)
    assert first == second == {"comment_id": 42}
    assert calls == [1]
    assert effects.recorded("comment:o/r#1:plan") == {"comment_id": 42}
    assert effects.recorded("comment:o/r#1:other") is None


def test_failed_action_records_nothing_so_a_retry_runs_it(database: Database) -> None:
    effects = SideEffects(database)

    def broken() -> dict[str, Any]:
        raise ConnectionError("remote down")

    with pytest.raises(ConnectionError):
        effects.once("push:branch", None, broken)
    assert effects.once("push:branch", None, lambda: {"sha": "abc"}) == {"sha": "abc"}


def test_racing_record_keeps_the_first_result(database: Database) -> None:
    effects = SideEffects(database)

    def racing() -> dict[str, Any]:
        # Another run records the key while this action is in flight.
        effects.once("k", None, lambda: {"winner": "other"})
        return {"winner": "me"}

    assert effects.once("k", None, racing) == {"winner": "other"}


def test_key_is_validated(database: Database) -> None:
    with pytest.raises(ValueError, match=r"1\.\.255"):
        SideEffects(database).once("", None, lambda: {})
