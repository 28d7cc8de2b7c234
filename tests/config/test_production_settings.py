"""Settings that fail safe: DEBUG is off unless set, so a forgotten variable refuses to start rather
than serving tracebacks; only `manage.py` on the embedded (development) database turns it on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "abcdefghij" * 5
UNREACHABLE_DATABASE = "postgresql://postgres@127.0.0.1:1/nothing"  # loading settings never connects
PRINT_DEBUG = "import django; django.setup(); from django.conf import settings; print('DEBUG', settings.DEBUG)"


def run(args: list[str], **env) -> subprocess.CompletedProcess:
    base = {name: value for name, value in os.environ.items() if name not in {"DEBUG", "DATABASE_URL", "SECRET_KEY"}}
    full_env = {**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=full_env, capture_output=True, text=True,
                          timeout=120)


def test_debug_is_off_unless_set():
    result = run(["-c", PRINT_DEBUG], DATABASE_URL=UNREACHABLE_DATABASE, SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "DEBUG False"


def test_the_server_refuses_to_start_without_a_secret_key_when_debug_is_unset():
    result = run(["-c", "import config.wsgi"], DATABASE_URL=UNREACHABLE_DATABASE)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr and "DEBUG=true" in result.stderr


def test_the_server_refuses_to_start_without_a_database_url_when_debug_is_unset():
    result = run(["-c", "import config.wsgi"], SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "DATABASE_URL must be set when DEBUG is off" in result.stderr


def test_manage_py_names_a_database_so_debug_stays_off():
    result = run(["manage.py", "shell", "-c", "from django.conf import settings; print('DEBUG', settings.DEBUG)"],
                 DATABASE_URL=UNREACHABLE_DATABASE, SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


def test_manage_py_on_the_embedded_database_is_development():
    """A newcomer's `manage.py createsuperuser` (README) works without any variable."""
    result = run(["manage.py", "shell", "-c", "from django.conf import settings; print('DEBUG', settings.DEBUG)"])
    assert result.returncode == 0, result.stderr
    assert "DEBUG True" in result.stdout
