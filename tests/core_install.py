"""A core install (`pip install codemonkey`, no extras) simulated in a subprocess: the
optional packages cannot be imported, as if they were not installed.

`blocked_env(env, tmp)` puts a `sitecustomize` first on PYTHONPATH; Python runs it at start
and it installs an import hook that refuses the `server` and `index` extras' packages (and
what only they bring) with the ModuleNotFoundError a missing package raises.
"""

from __future__ import annotations

from pathlib import Path

from storage.extras import EXTRA_OF

# Besides our extras' top-level modules: large packages only Chroma brings (the
# OpenTelemetry API is not one: the Anthropic SDK needs it too).
BLOCKED = sorted({*EXTRA_OF, "kubernetes", "grpc"})

_SITECUSTOMIZE = '''\
import sys

BLOCKED = frozenset({blocked!r})


class _NotInstalled:
    """Refuses the blocked packages as if they were missing from site-packages."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
'''


def blocked_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """`env` with the extras' packages made unimportable for the subprocess it starts."""
    hook = tmp_path / "core-install-site"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(blocked=BLOCKED))
    return {**env, "PYTHONPATH": f"{hook}:{env['PYTHONPATH']}"}
