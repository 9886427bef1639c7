"""The two proxies under test: LiteLLM's proxy and `codemonkey serve` in gateway mode.

Both are pointed at the same fake upstream and both require a bearer key, so each request
pays for authentication on both.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import yaml

from tests.bench.gateway_services import (
    REPO_ROOT,
    Running,
    ServiceError,
    base_env,
    free_port,
    run_checked,
    start,
)

LITELLM_MODEL = "bench"
UPSTREAM_MODEL = "bench-model"
# 1.82.7 and 1.82.8 were malicious uploads to PyPI; never install them.
LITELLM_REQUIREMENT = "litellm[proxy]!=1.82.7,!=1.82.8"
MISSING_TABLES = ("no such table", "does not exist", "undefinedtable", "codemonkey migrate")


def ensure_litellm_venv(venv: Path) -> str:
    """Create LiteLLM's own venv when it is missing; return the installed LiteLLM version."""
    python = venv / "bin" / "python"
    if not (venv / "bin" / "litellm").is_file():
        print(f"Installing {LITELLM_REQUIREMENT} into {venv} (takes a few minutes)...", flush=True)
        env = base_env()
        if not python.is_file():
            run_checked(
                [sys.executable, "-m", "venv", str(venv)],
                env=env,
                timeout=300,
                what="Creating LiteLLM's venv",
            )
        run_checked(
            [str(python), "-m", "pip", "install", "-q", LITELLM_REQUIREMENT],
            env=env,
            timeout=1800,
            what=f"Installing {LITELLM_REQUIREMENT} (pass --skip-litellm to measure without it)",
        )
    version = run_checked(
        [str(python), "-c", "from importlib.metadata import version; print(version('litellm'))"],
        env=base_env(),
        timeout=60,
        what="Reading LiteLLM's version",
    )
    return version.strip()


def litellm_config(upstream_url: str, upstream_key: str, master_key: str) -> dict[str, object]:
    return {
        "model_list": [
            {
                "model_name": LITELLM_MODEL,
                "litellm_params": {
                    "model": f"openai/{UPSTREAM_MODEL}",
                    "api_base": f"{upstream_url}/v1",
                    "api_key": upstream_key,
                },
            }
        ],
        "litellm_settings": {"telemetry": False},
        "general_settings": {"master_key": master_key},
    }


def start_litellm(
    venv: Path, work_dir: Path, upstream_url: str, upstream_key: str
) -> tuple[Running, str]:
    """Start LiteLLM's proxy (one worker); return it and its master key."""
    master_key = "sk-bench-" + secrets.token_hex(12)
    config = work_dir / "litellm.yaml"
    config.write_text(yaml.safe_dump(litellm_config(upstream_url, upstream_key, master_key)))
    port = free_port()
    env = base_env(
        # The bundled cost map: by default it is fetched from GitHub at start.
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        # PRODUCTION skips loading a `.env` file from the working directory.
        LITELLM_MODE="PRODUCTION",
        LITELLM_LOG="ERROR",
    )
    argv = [
        str(venv / "bin" / "litellm"), "--config", str(config),
        "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1",
    ]  # fmt: skip
    running = start(
        "LiteLLM proxy",
        argv,
        env=env,
        log_path=work_dir / "litellm.log",
        port=port,
        ready_path="/health/liveliness",
        timeout=180,
        cwd=work_dir,
    )
    return running, master_key


def codemonkey_env(work_dir: Path, upstream_url: str, upstream_key: str) -> dict[str, str]:
    config = work_dir / "codemonkey.yml"
    # An empty config file keeps a codemonkey.yml in the repository from changing the run.
    config.write_text("")
    return base_env(
        PYTHONPATH=str(REPO_ROOT),
        CODEMONKEY_CONFIG=str(config),
        CODEMONKEY_DATA_DIR=str(work_dir / "codemonkey-data"),
        CODEMONKEY_GATEWAY_MODE="true",
        CODEMONKEY_LOG_LEVEL="WARNING",
        CODEMONKEY_SECRET_KEY=secrets.token_hex(32),
        # The per-key limit (120/min by default) would turn the throughput run into 429s.
        CODEMONKEY_API_RATE_LIMIT_PER_MINUTE="100000000",
        OPENAI_BASE_URL=f"{upstream_url}/v1",
        OPENAI_API_KEY=upstream_key,
    )


def create_key(env: dict[str, str]) -> str:
    """Create an admin API key with the CLI, migrating the database first if needed."""
    argv = [sys.executable, "-m", "bot", "keys", "create", "--name", "bench", "--role", "admin"]
    what = "`codemonkey keys create` (needs gateway mode from main: `git merge main`)"
    try:
        out = run_checked(argv, env=env, timeout=120, what=what)
    except ServiceError as exc:
        if not any(marker in str(exc).lower() for marker in MISSING_TABLES):
            raise
        run_checked(
            [sys.executable, "-m", "bot", "migrate"],
            env=env,
            timeout=120,
            what="`codemonkey migrate`",
        )
        out = run_checked(argv, env=env, timeout=120, what=what)
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if not lines or not lines[-1].startswith("cm_"):
        raise ServiceError(
            f"`codemonkey keys create` should print the key (cm_...) last; it printed: {out!r}"
        )
    return lines[-1]


def start_codemonkey(
    work_dir: Path,
    upstream_url: str,
    upstream_key: str,
    *,
    workers: int = 1,
    shared: tuple[str, str] | None = None,
) -> tuple[Running, str]:
    """Start `codemonkey serve` in gateway mode; return it and an admin API key.

    With `workers` > 1, `shared` is the (database URL, Redis URL) the processes share."""
    env = codemonkey_env(work_dir, upstream_url, upstream_key)
    if shared is not None:
        env["CODEMONKEY_DATABASE_URL"], env["CODEMONKEY_REDIS_URL"] = shared
    key = create_key(env)
    port = free_port()
    argv = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers)]
    running = start(
        "codemonkey serve",
        argv,
        env=env,
        log_path=work_dir / "codemonkey.log",
        port=port,
        ready_path="/healthz",
        timeout=120,
    )
    return running, key
