"""A pytest plugin that fails any socket connection to a non-loopback address.

Enable with `pytest_plugins = ["tests.network_guard"]` in `tests/conftest.py`. Tests talk
to fakes on 127.0.0.1, PostgreSQL and Redis on loopback; a real provider call (a missing
base URL falling back to api.anthropic.com, say) fails loudly instead of leaking.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

_ORIGINAL: dict[str, Any] = {}


class NetworkAccessError(RuntimeError):
    pass


def _is_local(address: Any, family: int) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: Any) -> None:
    if not _is_local(address, sock.family):
        raise NetworkAccessError(
            f"test tried to connect to {address!r}: tests may only reach loopback; point the "
            "client at a local fake (base_url) instead"
        )


def _connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _ORIGINAL["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    result: int = _ORIGINAL["connect_ex"](self, address)
    return result


def pytest_configure(config: pytest.Config) -> None:
    _ORIGINAL["connect"] = socket.socket.connect
    _ORIGINAL["connect_ex"] = socket.socket.connect_ex
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _ORIGINAL:
        socket.socket.connect = _ORIGINAL.pop("connect")  # type: ignore[method-assign]
        socket.socket.connect_ex = _ORIGINAL.pop("connect_ex")  # type: ignore[method-assign]
