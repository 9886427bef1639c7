"""Mention and slash-command parsing."""

from __future__ import annotations

from webhooks.comment_parsing import Mention, SlashCommand, parse_comment


def parse(body: str) -> SlashCommand | Mention | None:
    return parse_comment(body, slug="codemonkey")


def test_slash_command_at_line_start() -> None:
    assert parse("/plan") == SlashCommand("plan", "")
    assert parse("thanks!\n/implement the parser first") == SlashCommand(
        "implement", "the parser first"
    )
    assert parse("/STATUS") == SlashCommand("status", "")


def test_slash_command_mid_line_or_unknown_is_not_a_command() -> None:
    assert parse("please run /plan later") is None
    assert parse("/deploy now") is None
    assert parse("/plans are nice") is None
    assert parse("see /plan/readme") is None


def test_mention_with_and_without_role() -> None:
    assert parse("@codemonkey architect, is this sound?") == Mention("architect", "is this sound?")
    assert parse("@codemonkey tech-lead split this") == Mention("tech_lead", "split this")
    assert parse("Hey @CodeMonkey can you look?") == Mention(None, "can you look?")
    assert parse("@codemonkey[bot] qa add tests") == Mention("qa", "add tests")


def test_mention_followed_by_command_is_the_command() -> None:
    assert parse("@codemonkey /review focus on security") == SlashCommand(
        "review", "focus on security"
    )


def test_lookalike_mentions_are_not_mentions() -> None:
    assert parse("@codemonkey-fan hi") is None
    assert parse("mail me at x@codemonkey.dev") is None
    assert parse("@codemonkeys hi") is None


def test_quotes_and_code_do_not_trigger() -> None:
    assert parse("> /implement\nI disagree with the above") is None
    assert parse("```\n/plan\n@codemonkey do it\n```") is None
    assert parse("run `@codemonkey /plan` to start") is None
    assert parse("```sh\n/stop\n") is None


def test_disabled_commands_are_ignored() -> None:
    assert parse_comment("/implement", slug="codemonkey", commands=("plan",)) is None
