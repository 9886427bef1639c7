"""A repository whose tests import a package the worker does not have (`shoutkit`); the
package's source ships inside it, so a setup step installs it with no package index."""

from __future__ import annotations

from pathlib import Path

INSTALL = "python3 -m pip install --no-index ./vendor/shoutkit"
# Appends a line per setup run to a file in the prepared environment: the reuse counter.
COUNT = 'echo run >> "$VIRTUAL_ENV/../setup-runs"'
SETUP_YML = f"setup:\n  - {INSTALL}\n  - '{COUNT}'\n"
SHOUTKIT = 'def shout(text):\n    return text.upper() + "!"\n'
SHOUTKIT_PYPROJECT = (
    '[build-system]\nrequires = []\nbuild-backend = "wheelmaker"\nbackend-path = ["."]\n'
)
# An in-tree build backend (PEP 517) with no requirements, so pip needs no index at all.
WHEELMAKER = """\
import base64, hashlib, os, zipfile

NAME, VERSION = "shoutkit", "1.0"
INFO = f"{NAME}-{VERSION}.dist-info"


def _hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {
        f"{NAME}/__init__.py": open(f"{NAME}/__init__.py", "rb").read(),
        f"{INFO}/METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n"
        .encode(),
        f"{INFO}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: wheelmaker\\nRoot-Is-Purelib: true\\n"
        b"Tag: py3-none-any\\n",
    }
    record = "".join(f"{name},{_hash(data)}\\n" for name, data in files.items())
    filename = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr(f"{INFO}/RECORD", record + f"{INFO}/RECORD,,\\n")
    return filename
"""
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


def fixture_files(setup_yml: str = SETUP_YML) -> dict[str, str]:
    return {
        "README.md": "# widgets\n",
        "app.py": APP_PY,
        "tests/__init__.py": "",
        "tests/test_app.py": TEST_APP_PY,
        "vendor/shoutkit/pyproject.toml": SHOUTKIT_PYPROJECT,
        "vendor/shoutkit/shoutkit/__init__.py": SHOUTKIT,
        "vendor/shoutkit/wheelmaker.py": WHEELMAKER,
        ".github/codemonkey.yml": setup_yml,
    }


def write_fixture(root: Path, *, setup_yml: str = SETUP_YML) -> Path:
    """The fixture's files under `root` (not a git repository)."""
    for name, text in fixture_files(setup_yml).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
