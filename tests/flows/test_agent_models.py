"""A model set through `/api/v1/projects/{id}/agents/{role}` is the model the worker calls:
seen in the `model` field of the requests that reach the provider's fake over HTTP."""

from __future__ import annotations

from pathlib import Path

from agents.providers.scripted import ScriptedReply
from agents.providers.types import ChatMessage, ChatOptions
from bot.api.types import Role
from storage.sql.database import Database
from storage.sql.models import Agent
from tests.api.support import make_harness
from tests.fakegithub.fake import FakeGitHub
from tests.fakes.llm.fixtures import Fake, fresh
from tests.flows.harness import REPO, world
from tests.flows.scripts import BROKEN
from tests.flows.test_pull_requests import reviewer


def _script(messages: list[ChatMessage], options: ChatOptions) -> ScriptedReply:
    if options.role == "architect":
        return "Keep greet(name)."
    return reviewer(messages, options)


def test_the_worker_calls_the_models_the_api_set(
    database: Database, fake_github: FakeGitHub, tmp_path: Path, live_fakes: dict[str, Fake]
) -> None:
    fake = fake_github
    wire = fresh(live_fakes, "openai")
    with world(tmp_path, database, fake, _script, wire=wire) as w:
        assert w.settings.default_model == "openai:gpt-4.1"
        # The API of the same service: the same database and settings.
        api = make_harness(database, default_model=w.settings.default_model)
        admin = api.auth(api.key(Role.ADMIN))
        with api.client:
            created = api.client.post("/api/v1/projects", json={"name": REPO}, headers=admin)
            project = created.json()["id"]
            # Global rows for two roles; the project's own row beats the reviewer's.
            with database.session() as session:
                session.add_all(
                    [
                        Agent(project_id=None, role="architect", model="openai:gpt-4.1-mini"),
                        Agent(project_id=None, role="code_reviewer", model="openai:gpt-4.1-mini"),
                    ]
                )
            patched = api.client.patch(
                f"/api/v1/projects/{project}/agents/reviewer",
                json={"model": "openai:gpt-4o"},
                headers=admin,
            )
            assert patched.status_code == 200, patched.text
            team = api.client.get(f"/api/v1/projects/{project}/agents", headers=admin)
            listed = {a["role"]: (a["model"], a["source"]) for a in team.json()["items"]}

        fake.commit_files(REPO, {"app.py": BROKEN}, "Say hi", branch="hi")
        fake.create_pull(REPO, "hi", "main", "Say hi", user="alice", emit=True)
        issue = fake.create_issue(REPO, "Titles", "Mr. and Ms.?", user="alice")
        fake.add_comment(REPO, issue.number, "@codemonkey architect titles?", user="alice")
        w.run_until_idle()

        assert {t.state for t in w.all_tasks()} == {"succeeded"}, w.describe()
        called = {(r.options.role, r.options.model) for r in w.model.requests}
        assert called == {("code_reviewer", "gpt-4o"), ("architect", "gpt-4.1-mini")}
        # What the API listed is what ran.
        assert listed["code_reviewer"] == ("openai:gpt-4o", "project")
        assert listed["architect"] == ("openai:gpt-4.1-mini", "global")
        assert listed["qa"] == ("openai:gpt-4.1", "default")
