from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from bot.github.app_auth import (
    AppCredentials,
    GitHubAuthError,
    InstallationTokens,
    create_app_jwt,
    load_private_key,
)
from bot.github.types import MemoryTokenCache
from bot.settings import Settings, load_settings
from tests.fakegithub.fake import generate_private_key
from tests.fakegithub.fixtures import GitHubEnv


def _mints(env: GitHubEnv) -> int:
    return sum(1 for r in env.fake.requests if r.path.endswith("/access_tokens"))


def test_jwt_claims_follow_githubs_rules(github_env: GitHubEnv) -> None:
    credentials = AppCredentials(github_env.app_id, github_env.private_key)
    now = time.time()
    token = create_app_jwt(credentials, now=now)
    claims = jwt.decode(token, github_env.fake.app.public_key_pem, algorithms=["RS256"])
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["iss"] == str(github_env.app_id)
    assert claims["iat"] == int(now) - 60
    assert claims["exp"] - now <= 600
    assert claims["exp"] > now


def test_credentials_never_show_the_key(github_env: GitHubEnv) -> None:
    credentials = AppCredentials(github_env.app_id, github_env.private_key)
    tokens = InstallationTokens(credentials, api_url=github_env.api_url, cache=MemoryTokenCache())
    assert "PRIVATE KEY" not in repr(credentials)
    token = tokens.installation_token(github_env.installation.id)
    assert token.token not in repr(token)
    assert token.token not in repr(tokens)


def test_private_key_from_variable_or_file(tmp_path: Path) -> None:
    private, _ = generate_private_key()
    one_line = private.replace("\n", "\\n")
    from_env = load_private_key(Settings(github_app_id=1, github_private_key=one_line))
    assert from_env.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    path = tmp_path / "app.pem"
    path.write_text(private)
    assert load_private_key(Settings(github_private_key_path=path)) == private.strip() + "\n"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({}, "CODEMONKEY_GITHUB_PRIVATE_KEY"),
        ({"github_private_key": "not a key"}, "not a PEM private key"),
        ({"github_private_key_path": "/nonexistent/app.pem"}, "not a file"),
    ],
)
def test_private_key_errors_say_how_to_fix(overrides: dict[str, str], fragment: str) -> None:
    with pytest.raises(GitHubAuthError, match=fragment):
        load_private_key(load_settings(**overrides))


def test_missing_app_id_is_reported() -> None:
    with pytest.raises(GitHubAuthError, match="CODEMONKEY_GITHUB_APP_ID"):
        AppCredentials.from_settings(Settings())


def test_installation_token_is_minted_and_cached(github_env: GitHubEnv) -> None:
    cache = MemoryTokenCache()
    credentials = AppCredentials(github_env.app_id, github_env.private_key)
    tokens = InstallationTokens(credentials, api_url=github_env.api_url, cache=cache)
    first = tokens.token(github_env.installation.id)
    assert github_env.fake.tokens[first].installation_id == github_env.installation.id
    assert tokens.token(github_env.installation.id) == first
    # A second process sharing the cache reuses the token too.
    other = InstallationTokens(credentials, api_url=github_env.api_url, cache=cache)
    assert other.token(github_env.installation.id) == first
    assert _mints(github_env) == 1
    mint = next(r for r in github_env.fake.requests if r.path.endswith("/access_tokens"))
    assert mint.method == "POST" and mint.authorization == "bearer-jwt" and mint.status == 201


def test_token_is_refreshed_shortly_before_expiry(github_env: GitHubEnv) -> None:
    github_env.fake.token_ttl_seconds = 3.0
    credentials = AppCredentials(github_env.app_id, github_env.private_key)
    tokens = InstallationTokens(
        credentials,
        api_url=github_env.api_url,
        cache=MemoryTokenCache(),
        refresh_margin_seconds=1.0,
    )
    first = tokens.token(github_env.installation.id)
    assert tokens.token(github_env.installation.id) == first
    time.sleep(1.2)
    second = tokens.token(github_env.installation.id)
    assert second != first
    assert _mints(github_env) == 2


def test_wrong_key_is_rejected_by_github(github_env: GitHubEnv) -> None:
    stranger, _ = generate_private_key()
    tokens = InstallationTokens(
        AppCredentials(github_env.app_id, stranger),
        api_url=github_env.api_url,
        cache=MemoryTokenCache(),
    )
    with pytest.raises(GitHubAuthError, match="rejected the app's JWT"):
        tokens.token(github_env.installation.id)
    assert github_env.fake.requests[-1].status == 401


def test_wrong_app_id_and_unknown_installation(github_env: GitHubEnv) -> None:
    wrong_id = InstallationTokens(
        AppCredentials(github_env.app_id + 1, github_env.private_key),
        api_url=github_env.api_url,
        cache=MemoryTokenCache(),
    )
    with pytest.raises(GitHubAuthError, match="rejected"):
        wrong_id.token(github_env.installation.id)
    right = InstallationTokens(
        AppCredentials(github_env.app_id, github_env.private_key),
        api_url=github_env.api_url,
        cache=MemoryTokenCache(),
    )
    with pytest.raises(GitHubAuthError, match="uninstalled"):
        right.token(999_999)


def test_installation_lookup_by_repository(
    tokens: InstallationTokens, github_env: GitHubEnv
) -> None:
    assert tokens.installation_id_for_repo("acme", "widgets") == github_env.installation.id
    with pytest.raises(GitHubAuthError, match="not installed"):
        tokens.installation_id_for_repo("acme", "other")


def test_unreachable_api_names_the_setting() -> None:
    private, _ = generate_private_key()
    tokens = InstallationTokens(
        AppCredentials(1, private), api_url="http://127.0.0.1:9", cache=MemoryTokenCache()
    )
    with pytest.raises(GitHubAuthError, match="CODEMONKEY_GITHUB_API_URL"):
        tokens.token(1)


def test_memory_cache_expires_entries() -> None:
    cache = MemoryTokenCache()
    cache.set("k", b"v", 0.05)
    assert cache.get("k") == b"v"
    time.sleep(0.08)
    assert cache.get("k") is None


def test_tokens_from_settings(github_env: GitHubEnv) -> None:
    settings = Settings(
        github_api_url=github_env.api_url,
        github_app_id=github_env.app_id,
        github_private_key=github_env.private_key,
    )
    tokens = InstallationTokens.from_settings(settings, MemoryTokenCache())
    assert tokens.token(github_env.installation.id) in github_env.fake.tokens


def test_cached_tokens_are_encrypted_with_the_secret_key(github_env: GitHubEnv) -> None:
    cache = MemoryTokenCache()
    settings = Settings(
        github_api_url=github_env.api_url,
        github_app_id=github_env.app_id,
        github_private_key=github_env.private_key,
        secret_key="s" * 32,
    )
    tokens = InstallationTokens.from_settings(settings, cache)
    token = tokens.token(github_env.installation.id)
    key = f"github:installation-token:{github_env.app_id}:{github_env.installation.id}"
    stored = cache.get(key)
    assert stored is not None and token.encode() not in stored
    assert InstallationTokens.from_settings(settings, cache).token(github_env.installation.id) == (
        token
    )
    # A different secret cannot read the entry and mints a fresh token instead of failing.
    rotated = InstallationTokens.from_settings(
        Settings(**{**settings.model_dump(), "secret_key": "t" * 32}), cache
    )
    assert rotated.token(github_env.installation.id) != token
    assert _mints(github_env) == 2
