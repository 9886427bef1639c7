"""Keeping a workspace's `.git` entry as the service made it, around every sandboxed command.

Host-side git never reads `.git` (it gets `GIT_DIR` from the service's records), and inside
bubblewrap the entry is bound read-only; this guard is the check that it still is what it
was. If a command replaced it (possible only outside bubblewrap), it is put back and the
command's result says so.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_POINTER_BYTES = 64 * 1024


@dataclass(frozen=True)
class GitEntry:
    """What `<workspace>/.git` was: absent, a directory (by identity) or a file's bytes."""

    path: Path
    kind: str  # "absent", "dir", "file" or "other"
    identity: tuple[int, int] = (0, 0)
    content: bytes = b""

    @staticmethod
    def capture(workspace: Path) -> GitEntry:
        path = workspace / ".git"
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return GitEntry(path, "absent")
        identity = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(info.st_mode):
            return GitEntry(path, "dir", identity)
        if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_POINTER_BYTES:
            return GitEntry(path, "file", identity, path.read_bytes())
        return GitEntry(path, "other", identity)

    def restore_if_changed(self) -> str | None:
        """None when unchanged; otherwise restores what it can and says what happened."""
        now = GitEntry.capture(self.path.parent)
        if now == self:
            return None
        if self.kind == "file":
            _remove(self.path)
            self.path.write_bytes(self.content)
            return (
                "the command changed .git, which commands may not touch; it was restored. "
                "Use the git state as it is (the service commits for you)"
            )
        if self.kind == "absent":
            _remove(self.path)
            return "the command created .git, which commands may not do; it was removed"
        return (
            "the command replaced the .git directory, which commands may not touch; it "
            "cannot be restored automatically, so no further git operation will use it"
        )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
