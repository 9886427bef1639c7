"""`repo.index`: the default branch's text files into the vector store (kind "code",
chunked by lines) and the `files` table, so agents find relevant code by meaning."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agents.tools.gitcli import git
from agents.tools.readfile import UnreadableFile, read_regular
from bot.queue.handlers import TaskContext
from storage.sql.models import File, Project
from storage.vectors.base import VectorItem
from storage.vectors.off import NoVectorStore
from webhooks.task_payloads import RepoIndexTask

if TYPE_CHECKING:
    from bot.services import Services
    from bot.worker_deps import WorkerDeps

CHUNK_LINES = 60
MAX_FILE_BYTES = 200_000
LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".md": "markdown"}


def chunks(path: str, text: str) -> list[VectorItem]:
    lines = text.splitlines()
    items = []
    for start in range(0, max(len(lines), 1), CHUNK_LINES):
        body = "\n".join(lines[start : start + CHUNK_LINES])
        if body.strip():
            items.append(
                VectorItem(
                    id=f"{path}:{start + 1}",
                    text=f"{path}\n{body}",
                    metadata={"path": path, "start_line": start + 1},
                )
            )
    return items


def _text(file: Path) -> str | None:
    """A regular file's text; None for links (a committed `docs/x.md -> /etc/...` must not
    put a host file into the index), pipes, devices, large and binary files."""
    try:
        data = read_regular(file, max_bytes=MAX_FILE_BYTES)
    except UnreadableFile:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _inside(name: str) -> bool:
    """A path as git lists it: relative, no `..` (the payload is GitHub's, but a path
    that leaves the checkout must never be read)."""
    path = Path(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def index_repository(services: Services, worker: WorkerDeps, ctx: TaskContext) -> dict[str, Any]:
    """Index the default branch: every file, or only those a push changed (`changed`) and
    removed (`removed`) when its payload lists them completely (`full` false)."""
    payload = RepoIndexTask.model_validate(ctx.task.payload)
    if isinstance(services.vectors, NoVectorStore):
        # The semantic index is off (the Action's default): agents search text, which
        # needs no index, so nothing is cloned or read.
        return {"files": 0, "skipped": "semantic index off"}
    repo = payload.repo_ref
    host = worker.hosts(payload.installation_id)
    loaded = worker.repository(host, repo).loaded
    branch = loaded.ref  # the default branch, read with the config
    root = worker.workspaces(host, repo, loaded.config).snapshot(branch)
    project = repo.full_name
    with worker.database.session() as session:
        row = session.scalar(select(Project).where(Project.name == project))
        if row is None:
            row = Project(name=project, default_branch=branch)
            session.add(row)
            session.flush()
        project_id = row.id
        known = set(session.scalars(select(File.path).where(File.project_id == project_id)))
    # An incremental update needs an earlier full index to update.
    full = payload.full or not known
    if full:
        names = [n for n in git(root, "ls-files", "-z", check=True).stdout.split("\0") if n]
        gone = sorted(known - set(names))
    else:
        names = [n for n in payload.changed if _inside(n)]
        gone = [n for n in payload.removed if _inside(n)]
    indexed: dict[str, tuple[str, str, int]] = {}
    unreadable: list[str] = []
    for name in names:
        ctx.raise_if_cancelled()
        text = _text(root.resolve() / name)
        services.vectors.delete(project, "code", where={"path": name})
        if text is None:
            unreadable.append(name)  # now binary, a link or too large: no longer indexed
            continue
        items = chunks(name, text)
        if items:
            services.vectors.upsert(project, "code", items)
        digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
        indexed[name] = (digest, LANGUAGES.get(Path(name).suffix, ""), len(text))
    for name in gone:
        services.vectors.delete(project, "code", where={"path": name})
    with worker.database.session() as session:
        stale = session.query(File).filter(File.project_id == project_id)
        if not full:
            stale = stale.filter(File.path.in_([*indexed, *unreadable, *gone]))
        stale.delete(synchronize_session=False)
        for path, (sha, language, size) in indexed.items():
            session.add(
                File(project_id=project_id, path=path, sha=sha, language=language, size=size)
            )
    return {"files": len(indexed), "removed": len(gone), "full": full, "branch": branch}
