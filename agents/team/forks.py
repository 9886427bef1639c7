"""Pull requests whose head is in a fork.

The head branch of a fork PR is not in the repository the App clones, but GitHub serves
every PR's head as `refs/pull/N/head` there; the team works on a local branch of that
name. It pushes back only to a fork that allows edits from maintainers, and only when the
push is accepted; otherwise its change goes to the thread as a patch to apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agents.team.ports import Workspace

PULL_HEAD = re.compile(r"pull/(\d+)/head")

# A patch longer than this goes in the comment cut short, with a note.
MAX_PATCH_CHARS = 60_000


class ForkPushRefusedError(Exception):
    """The fork refused the push (no maintainer edits, or the App may not push there)."""


# Push the workspace's branch to `branch` of the fork `owner/name`; raises
# `ForkPushRefusedError` when the fork does not accept it.
ForkPusher = Callable[[Workspace, str, str], None]


def pull_head_branch(number: int) -> str:
    """The branch a fork PR's head is worked on: its `refs/pull/N/head` ref's name."""
    return f"pull/{number}/head"


def is_pull_head(branch: str) -> bool:
    return PULL_HEAD.fullmatch(branch) is not None


def patch_comment(patch: str, summary: str, reason: str) -> str:
    """The change as a comment the author can apply with `git am` or `git apply`."""
    if len(patch) > MAX_PATCH_CHARS:
        patch = patch[:MAX_PATCH_CHARS] + "\n... (patch cut short: it is too long for a comment)"
    fence = "```"
    while fence in patch:
        fence += "`"
    return (
        f"{summary}\n\nI could not push to this pull request's branch ({reason}), so here is "
        "the change as a patch; apply it on the branch with `git am` (or `git apply`):\n\n"
        f"{fence}diff\n{patch}\n{fence}"
    )
