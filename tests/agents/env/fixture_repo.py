"""A repository whose tests import a package the worker does not have (`shoutkit`); the
package ships inside it as a wheel, so a setup step installs it with no package index."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

WHEEL = "vendor/shoutkit-1.0-py3-none-any.whl"
INSTALL = f"python3 -m pip install --no-index {WHEEL}"
# Appends a line per setup run to a file in the prepared environment: the reuse counter.
COUNT = 'echo run >> "$VIRTUAL_ENV/../setup-runs"'
SETUP_YML = f"setup:\n  - {INSTALL}\n  - '{COUNT}'\n"
SHOUTKIT = 'def shout(text):\n    return text.upper() + "!"\n'
# The bug to fix: greet() does not shout.
APP_PY = 'def greet(name):\n    return f"hello, {name}"\n'
FIXED_APP_PY = (
    'from shoutkit import shout\n\n\ndef greet(name):\n    return shout(f"hello, {name}")\n'
)
TEST_APP_PY = (
    "import unittest\n\nfrom shoutkit import shout\n\nfrom app import greet\n\n\n"
    "class GreetTest(unittest.TestCase):\n"
    "    def test_greet_shouts(self):\n"
    '        self.assertEqual(greet("Ada"), shout("hello, Ada"))\n'
)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def shoutkit_wheel() -> bytes:
    """A minimal valid wheel of `shoutkit` 1.0, built in memory."""
    info = "shoutkit-1.0.dist-info"
    files = {
        "shoutkit/__init__.py": SHOUTKIT.encode(),
        f"{info}/METADATA": b"Metadata-Version: 2.1\nName: shoutkit\nVersion: 1.0\n",
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{name},{_record_hash(data)}\n" for name, data in files.items())
    record += f"{info}/RECORD,,\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr(f"{info}/RECORD", record)
    return buffer.getvalue()


def write_fixture(root: Path, *, setup_yml: str = SETUP_YML) -> Path:
    """The fixture's files under `root` (not a git repository yet)."""
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "vendor").mkdir(exist_ok=True)
    (root / ".github").mkdir(exist_ok=True)
    (root / "app.py").write_text(APP_PY)
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "test_app.py").write_text(TEST_APP_PY)
    (root / WHEEL).write_bytes(shoutkit_wheel())
    (root / ".github" / "codemonkey.yml").write_text(setup_yml)
    return root
