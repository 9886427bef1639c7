"""Trust policy: write access starts work, others get one polite reply, bots need listing."""

from __future__ import annotations

from agents.githost import GitHost, RepoRef
from storage.sql.database import Database
from tests.webhooks.support import InMemoryGitHost
from webhooks import intents as k
from webhooks.repo_config import TrustConfig
from webhooks.trust import Actor, InMemoryRefusalLedger, SqlRefusalLedger, TrustPolicy

REPO = RepoRef("octo", "app")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy(host: InMemoryGitHost, clock: Clock | None = None) -> TrustPolicy:
    as_protocol: GitHost = host
    return TrustPolicy(as_protocol, InMemoryRefusalLedger(), clock=clock or Clock())


def test_write_maintain_admin_are_allowed_read_and_triage_refused() -> None:
    host = InMemoryGitHost()
    host.permissions.update(w="write", m="maintain", a="admin", r="read", t="triage")
    trust = policy(host)
    for login in ("w", "m", "a"):
        assert trust.check(REPO, Actor(login), k.COMMAND_IMPLEMENT, TrustConfig()).allowed
    for login in ("r", "t", "stranger"):
        decision = trust.check(REPO, Actor(login), k.COMMAND_IMPLEMENT, TrustConfig())
        assert not decision.allowed
        assert decision.reply is not None and f"@{login}" in decision.reply


def test_refused_user_gets_exactly_one_reply() -> None:
    host = InMemoryGitHost()
    host.permissions["reader"] = "read"
    trust = policy(host)
    decisions = [
        trust.check(REPO, Actor("reader"), kind, TrustConfig())
        for kind in (k.MENTION_ANSWER, k.COMMAND_PLAN, k.PR_REVIEW)
    ]
    assert [d.allowed for d in decisions] == [False, False, False]
    assert [d.reply is not None for d in decisions] == [True, False, False]
    assert "write access" in (decisions[0].reply or "")


def test_one_reply_holds_across_policies_with_the_sql_ledger(database: Database) -> None:
    host = InMemoryGitHost()
    first = TrustPolicy(host, SqlRefusalLedger(database))
    second = TrustPolicy(host, SqlRefusalLedger(database))
    one = first.check(REPO, Actor("nobody"), k.COMMAND_PLAN, TrustConfig())
    two = second.check(REPO, Actor("nobody"), k.COMMAND_PLAN, TrustConfig())
    other_repo = second.check(
        RepoRef("octo", "other"), Actor("nobody"), k.COMMAND_PLAN, TrustConfig()
    )
    assert one.reply is not None
    assert two.reply is None and not two.allowed
    assert other_repo.reply is not None


def test_bots_are_refused_silently_unless_allow_listed() -> None:
    host = InMemoryGitHost()
    host.permissions["dependabot[bot]"] = "write"
    trust = policy(host)
    bot = Actor("dependabot[bot]", type="Bot")
    refused = trust.check(REPO, bot, k.MENTION_ANSWER, TrustConfig())
    assert not refused.allowed and refused.reply is None
    assert "allowed_bots" in refused.reason
    listed = TrustConfig(allowed_bots=("Dependabot[bot]",))
    assert trust.check(REPO, bot, k.MENTION_ANSWER, listed).allowed
    assert host.permission_calls == 0


def test_public_commands_and_system_work_need_no_permission() -> None:
    host = InMemoryGitHost()
    trust = policy(host)
    stranger = Actor("stranger")
    assert trust.check(REPO, stranger, k.COMMAND_STATUS, TrustConfig(), command="status").allowed
    assert trust.check(REPO, stranger, k.REPO_INDEX, TrustConfig()).allowed
    locked = TrustConfig(public_commands=())
    assert not trust.check(REPO, stranger, k.COMMAND_STATUS, locked, command="status").allowed


def test_min_permission_is_configurable() -> None:
    host = InMemoryGitHost()
    host.permissions["writer"] = "write"
    trust = policy(host)
    strict = TrustConfig(min_permission="maintain")
    assert not trust.check(REPO, Actor("writer"), k.COMMAND_IMPLEMENT, strict).allowed


def test_permission_is_cached_briefly() -> None:
    host = InMemoryGitHost()
    host.permissions["dev"] = "write"
    clock = Clock()
    trust = policy(host, clock)
    for _ in range(5):
        trust.check(REPO, Actor("dev"), k.COMMAND_PLAN, TrustConfig())
    assert host.permission_calls == 1
    host.permissions["dev"] = "read"
    clock.now += 61
    assert not trust.check(REPO, Actor("dev"), k.COMMAND_PLAN, TrustConfig()).allowed
    assert host.permission_calls == 2


def test_check_task_reads_the_ingress_payload() -> None:
    host = InMemoryGitHost()
    host.permissions["Codertocat"] = "admin"
    trust = policy(host)
    payload = {"repo": "octo/app", "author": "Codertocat", "author_type": "User", "command": "plan"}
    assert trust.check_task(k.COMMAND_PLAN, payload, TrustConfig()).allowed
    payload["author"] = "someone"
    assert not trust.check_task(k.COMMAND_PLAN, payload, TrustConfig()).allowed
