"""Reading a workspace file without following symbolic links, blocking or loading too much.

Every component of the path is opened with `O_NOFOLLOW`, so a link swapped in by a
sandboxed command (or committed to a repository) cannot lead the reader outside the
workspace; the file is opened non-blocking and must be a regular file (a FIFO or a device
would block the worker or never end); and its size is checked before anything is read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class UnreadableFile(Exception):
    """The file is not a regular file within reach, or is too large; the message says which."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _open_nofollow(path: Path) -> int:
    """An fd for `path` (absolute, already resolved), refusing a link at any component."""
    if not path.is_absolute():
        raise ValueError(f"{path} must be absolute")
    parts = path.parts[1:]
    fd = os.open("/", _DIR_FLAGS)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        leaf = os.open(parts[-1], _FILE_FLAGS, dir_fd=fd) if parts else os.dup(fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnreadableFile("it is (or lies under) a symbolic link") from None
        if exc.errno == errno.ENOENT:
            raise UnreadableFile("it does not exist") from None
        if exc.errno in (errno.ENXIO, errno.EOPNOTSUPP):
            raise UnreadableFile("it is not a regular file") from None
        raise UnreadableFile(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    return leaf


def read_regular(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of the regular file at `path`; UnreadableFile for anything else."""
    fd = _open_nofollow(path)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"it is {_kind(info.st_mode)}")
        if info.st_size > max_bytes:
            raise UnreadableFile(f"it is {info.st_size} bytes, over the {max_bytes}-byte limit")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise UnreadableFile(f"it grew past the {max_bytes}-byte limit while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)
