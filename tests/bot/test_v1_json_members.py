"""Reading one top-level member of a JSON object without decoding the members after it."""

from __future__ import annotations

import pytest

from bot.v1.json_members import find_member, splice


def test_the_top_level_member_is_found_with_its_span() -> None:
    text = '{ "id" : "c1", "created":1, "model" :"gpt-x" , "choices":[{"model":"inner"}]}'
    member = find_member(text, "model")
    assert member is not None and member.value == "gpt-x"
    assert text[member.start : member.end] == '"gpt-x"'
    renamed = splice(text, [(member.start, member.end, '"openai/gpt-x"')])
    assert renamed.count("openai/gpt-x") == 1 and '"inner"' in renamed


def test_members_after_the_wanted_one_are_not_decoded() -> None:
    # The text breaks off after `model`: a full parse would fail, this does not need it.
    member = find_member('{"model":"m","choices":[{"delta":', "model")
    assert member is not None and member.value == "m"


@pytest.mark.parametrize(
    "text",
    [
        '{"choices":[{"model":"nested only"}]}',
        '["model", "m"]',
        '{"id":"c1" "model":"m"}',
        '{"content":"a \\"model\\": \\"x\\""}',
        "",
    ],
)
def test_no_top_level_member_is_none(text: str) -> None:
    assert find_member(text, "model") is None
