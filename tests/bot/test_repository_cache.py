"""The cache key of a config file is the file's git blob SHA."""

from __future__ import annotations

from bot.repository_cache import blob_sha


def test_blob_sha_is_what_git_names_the_file() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert blob_sha("hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert blob_sha(None) == ""
