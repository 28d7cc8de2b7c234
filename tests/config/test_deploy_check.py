"""`manage.py check --deploy` is clean with the production environment the README documents."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def documented_production_env() -> dict[str, str]:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```sh\n# production environment\n(.*?)```", readme, re.S).group(1)
    return dict(line.split("=", 1) for line in block.strip().splitlines())


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only the machine's own variables beside the documented ones: not what this test process set for itself
    # (DEBUG for the suite, DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests).
    base = {name: value for name, value in os.environ.items()
            if name not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL"}}
    full_env = {**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=REPO,
                          env=full_env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_documented_production_env(collected_in_debug):
    env = documented_production_env()
    assert env["DEBUG"] == "false" and env["SECURE_SSL_REDIRECT"] == "true"
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["STATIC_ROOT"] = str(collected_in_debug)  # the deploy's collectstatic (made with DEBUG on)
    result = check_deploy(env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_check_deploy_says_what_is_missing(tmp_path):
    env = documented_production_env()
    env.update(SECRET_KEY=secrets.token_urlsafe(50), STATIC_ROOT=str(tmp_path), SECURE_SSL_REDIRECT="false")
    result = check_deploy(env)
    assert result.returncode != 0
    assert "core.W001" in result.stderr and "collectstatic" in result.stderr
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT
