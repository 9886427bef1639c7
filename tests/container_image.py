"""A real container runtime for the container backend's tests, with an image made here.

No registry is needed: the image is the host's own Debian packages for a shell and
Python (with venv and pip's wheel), copied file by file into a tarball and imported with
`podman import`. Where Podman is missing or cannot run containers, `container_image()`
says exactly why, and the tests that need it skip with that reason.

Two host quirks are handled with a private containers.conf (CONTAINERS_CONF, this
process only): crun cannot run under a hybrid cgroup v1/v2 layout (runc can), and the
default bridge network needs netavark's firewall tools (slirp4netns does not).
"""

from __future__ import annotations

import io
import os
import resource
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

IMAGE = "localhost/codemonkey-test-python:1"
PACKAGES = (
    "bash", "dash", "coreutils", "libc6", "python3", "python3-minimal", "python3.11",
    "python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "python3.11-venv",
    "python3-venv", "python3-pip-whl", "python3-setuptools-whl", "libexpat1", "zlib1g",
    "libffi8", "libssl3", "libbz2-1.0", "liblzma5", "libsqlite3-0", "libreadline8",
    "libtinfo6", "libncursesw6", "libuuid1", "libcrypt1", "libmpdec3", "libacl1",
    "libattr1", "libselinux1", "libpcre2-8-0", "libgmp10",
)  # fmt: skip
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
CONF = '[containers]\nnetns = "slirp4netns"\n[engine]\nruntime = "runc"\n'


@dataclass(frozen=True)
class Runtime:
    image: str | None
    # Why there is no image (the skip reason), "" when there is one.
    reason: str


def _podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _package_files() -> list[str]:
    listed = subprocess.run(
        ["dpkg", "-L", *PACKAGES], capture_output=True, text=True, check=False
    ).stdout
    files: set[str] = set()
    for line in listed.splitlines():
        # Debian's merged /usr: /lib/x is /usr/lib/x.
        for short in ("/bin/", "/lib/", "/lib64/", "/sbin/"):
            if line.startswith(short):
                line = "/usr" + line
        if not line.startswith(("/usr/", "/etc/")) or not os.path.lexists(line):
            continue
        if os.path.isdir(line) and not os.path.islink(line):
            continue
        files.add(line.lstrip("/"))
    return sorted(files - {"etc/passwd", "etc/group"})


def write_rootfs(path: Path) -> None:
    files = _package_files()
    dirs = {"tmp", "etc", "proc", "dev", "sys", "root", "usr"}
    for name in files:
        parent = os.path.dirname(name)
        while parent:
            dirs.add(parent)
            parent = os.path.dirname(parent)
    with tarfile.open(path, "w") as tar:
        for name in sorted(dirs):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
            tar.addfile(info)
        for name in ("bin", "lib", "lib64", "sbin"):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, f"usr/{name}"
            tar.addfile(info)
        for name, text in (("etc/passwd", PASSWD), ("etc/group", GROUP)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in files:
            if name not in dirs:
                tar.add("/" + name, arcname=name, recursive=False)


def _runs(image: str) -> str | None:
    """None when a container of `image` runs; otherwise podman's error."""
    # The backend always sets these two: the runtimes' defaults may exceed the host's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limits = ["--ulimit=nproc=512:512", f"--ulimit=nofile={soft}:{hard}"]
    proc = _podman("run", "--rm", "--network=none", *limits, image, "true")
    return None if proc.returncode == 0 else proc.stderr.strip()[-400:]


def container_image(conf_dir: Path) -> Runtime:
    """A local image Podman runs, or why there cannot be one here. Sets CONTAINERS_CONF
    in this process when the host needs the private containers.conf."""
    if shutil.which("podman") is None:
        return Runtime(None, "podman is not installed (apt-get install podman runc)")
    if shutil.which("dpkg") is None:
        return Runtime(None, "the test image is made from Debian packages and dpkg is missing")
    info = _podman("info")
    if info.returncode != 0:
        return Runtime(None, f"podman cannot run here: {info.stderr.strip()[-400:]}")
    if _podman("image", "exists", IMAGE).returncode != 0:
        with tempfile.TemporaryDirectory() as scratch:
            tarball = Path(scratch) / "rootfs.tar"
            write_rootfs(tarball)
            made = _podman("import", str(tarball), IMAGE)
            if made.returncode != 0:
                return Runtime(None, f"podman import failed: {made.stderr.strip()[-400:]}")
    problem = _runs(IMAGE)
    if problem is not None and shutil.which("runc") is not None:
        conf = conf_dir / "containers.conf"
        conf.write_text(CONF, encoding="utf-8")
        os.environ["CONTAINERS_CONF"] = str(conf)
        problem = _runs(IMAGE)
    if problem is not None:
        return Runtime(None, f"podman cannot run a container here: {problem}")
    return Runtime(IMAGE, "")
