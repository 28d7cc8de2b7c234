"""Fixtures of the settings tests: a `collectstatic` output made with DEBUG on, shared by the module
tests that serve or check it with DEBUG off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "abcdefghij" * 5


def collectstatic(static_root: Path, debug: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": debug, "STATIC_ROOT": str(static_root),
           "SECRET_KEY": STRONG_KEY}
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def collected_in_debug(tmp_path_factory):
    static_root = tmp_path_factory.mktemp("static")
    collectstatic(static_root, debug="true")
    return static_root


