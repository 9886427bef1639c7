"""The git runner's argv: the safe config always, `--no-ext-diff` for every diff."""

from __future__ import annotations

from agents.git.process import SAFE_CONFIG, git_argv


def test_diff_commands_get_no_ext_diff_after_the_subcommand() -> None:
    for command in ("diff", "show", "log"):
        argv = git_argv(command, "--stat", "HEAD")
        assert argv == ["git", *SAFE_CONFIG, command, "--no-ext-diff", "--stat", "HEAD"]


def test_no_ext_diff_follows_per_command_config() -> None:
    argv = git_argv("-c", "user.name=x", "diff", "HEAD")
    assert argv[len(SAFE_CONFIG) + 1 :] == ["-c", "user.name=x", "diff", "--no-ext-diff", "HEAD"]


def test_other_commands_and_explicit_flags_are_left_alone() -> None:
    assert git_argv("rev-parse", "HEAD") == ["git", *SAFE_CONFIG, "rev-parse", "HEAD"]
    assert git_argv("diff", "--no-ext-diff").count("--no-ext-diff") == 1
