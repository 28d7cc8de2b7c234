"""Static files whatever DEBUG was when `collectstatic` ran: a real gunicorn with DEBUG off serves the
pages (200) and their CSS after a collectstatic run with DEBUG on; a stale manifest never fails a page;
`check --deploy` says when the manifest is missing or stale."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import override_settings

from core.staticfiles import (
    MANIFEST_MISSING,
    MANIFEST_STALE,
    ProductionStaticFilesStorage,
    check_collected_static_files,
)
from tests.factories import url_of_the_test_database

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "abcdefghij" * 5


def get(port: int, path: str, host: str = "acme.localhost"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def production_server(committed_db, collected_in_debug):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false", "SECRET_KEY": STRONG_KEY,
           "DATABASE_URL": url_of_the_test_database(),
           "STATIC_ROOT": str(collected_in_debug), "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1",
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, "/health", "localhost")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"gunicorn did not start: {server.communicate()[0][-2000:]}")
    yield port
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.parametrize("host, path", [("acme.localhost", "/accounts/login/"), ("acme.localhost", "/admin/login/"),
                                        ("localhost", "/admin/login/"), ("acme.localhost", "/api/docs/")])
def test_collected_with_debug_on_served_with_debug_off(production_server, host, path):
    status, _headers, body = get(production_server, path, host)
    assert status == 200, body[:300]
    html = body.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    assert assets, html[:500]
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), asset  # the manifest's cache-busting names
        status, headers, _content = get(production_server, asset, host)
        assert status == 200, asset
        assert headers["Content-Type"].split(";")[0] in {"text/css", "text/javascript", "application/javascript"}
        assert "max-age=315360000" in headers["Cache-Control"]  # immutable: the name changes with the content


def test_a_file_missing_from_the_manifest_is_linked_by_its_plain_name(tmp_path, collected_in_debug):
    manifest = json.loads((collected_in_debug / "staticfiles.json").read_text())
    manifest["paths"].pop("app.css")
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    with override_settings(STATIC_ROOT=tmp_path):
        storage = ProductionStaticFilesStorage()
        assert storage.url("app.css") == "/static/app.css"  # not a ValueError, so not a 500
        assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.svg", storage.url("favicon.svg"))


def test_the_deploy_check_says_when_the_manifest_is_missing_or_stale(tmp_path, collected_in_debug):
    with override_settings(STATIC_ROOT=tmp_path / "nothing-collected"):
        assert [warning.id for warning in check_collected_static_files()] == [MANIFEST_MISSING]
    with override_settings(STATIC_ROOT=collected_in_debug):
        assert check_collected_static_files() == []
    manifest = json.loads((collected_in_debug / "staticfiles.json").read_text())
    manifest["paths"].pop("app.css")
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    with override_settings(STATIC_ROOT=tmp_path):
        warnings = check_collected_static_files()
    assert [warning.id for warning in warnings] == [MANIFEST_STALE]
    assert "app.css" in warnings[0].msg and "collectstatic" in warnings[0].hint
