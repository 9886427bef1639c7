"""A push to the default branch re-indexes only the files it touched and drops the files
it removed; a push whose payload cannot say what changed re-indexes everything."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from agents.providers.scripted import ScriptedReply
from agents.providers.types import ChatMessage, ChatOptions
from storage.sql.database import Database
from storage.sql.models import File, Project
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.embedder import HashEmbedder
from tests.flows.harness import REPO, SAMPLE_FILES, World, world


def _never(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    raise AssertionError("indexing calls no model")


def _indexed_paths(w: World) -> set[str]:
    with w.database.session() as session:
        project = session.scalar(select(Project).where(Project.name == REPO))
        assert project is not None
        return set(session.scalars(select(File.path).where(File.project_id == project.id)))


def _embedded_paths(embedder: HashEmbedder) -> list[str]:
    # Indexed chunks open with their file's path (`bot.index_build.chunks`).
    return sorted({text.split("\n", 1)[0] for text in embedder.embedded})


def test_a_push_reindexes_exactly_the_changed_files_and_drops_removed_ones(
    database: Database, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    fake = fake_github
    files = {**SAMPLE_FILES, "docs/guide.md": "# Guide\n\nCall greet(name).\n"}
    with world(tmp_path, database, fake, _never, files=files) as w:
        embedder = w.services.embedder
        assert isinstance(embedder, HashEmbedder)
        # The first push finds no index yet: everything is indexed.
        fake.commit_files(REPO, {"notes.md": "first notes\n"}, "Notes", emit_as="alice")
        w.run_until_idle()
        assert _indexed_paths(w) == {*files, "notes.md"}
        with_text = {path for path, text in files.items() if text.strip()}
        assert _embedded_paths(embedder) == sorted({*with_text, "notes.md"})

        embedder.embedded.clear()
        fake.commit_files(
            REPO,
            {"app.py": "def greet(name):\n    return f'Hi, {name}!'\n", "new.py": "X = 1\n"},
            "Change app, add new, drop the guide",
            remove=["docs/guide.md"],
            emit_as="alice",
        )
        w.run_until_idle()
        index_tasks = [t for t in w.all_tasks() if t.kind == "repo.index"]
        assert [t.state for t in index_tasks] == ["succeeded", "succeeded"], w.describe()
        assert (index_tasks[1].result or {})["full"] is False
        assert _embedded_paths(embedder) == ["app.py", "new.py"]
        assert _indexed_paths(w) == {*files, "notes.md", "new.py"} - {"docs/guide.md"}
        stored = w.services.vectors.query(REPO, "code", "Guide greet", n=50)
        paths = {hit.metadata["path"] for hit in stored}
        assert "docs/guide.md" not in paths and {"app.py", "new.py"} <= paths
        app_chunks = [hit.text for hit in stored if hit.metadata["path"] == "app.py"]
        assert app_chunks == ["app.py\ndef greet(name):\n    return f'Hi, {name}!'"]
