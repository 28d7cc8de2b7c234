"""Routing by host, health, API docs, and the JSON error contract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import api_client, demo_admin

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "acme.localhost"])
def test_health_reports_the_database(db, host):
    response = Client(HTTP_HOST=host).get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["version"]


def test_unknown_host_is_a_json_404_and_never_another_tenants_data(db):
    response = Client(HTTP_HOST="initech.localhost").get("/api/twins/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "initech.localhost" in response.json()["detail"]


def test_public_host_serves_the_registry_admin_not_the_tenant_api(db):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/api/twins/").status_code == 404


def test_public_admin_lists_tenants(db):
    client = Client(HTTP_HOST="localhost")
    assert client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "demo-password"}).status_code == 302
    page = client.get("/admin/config/tenant/")
    assert page.status_code == 200
    assert b"Acme Ventures" in page.content and b"Globex Corporation" in page.content


@pytest.mark.parametrize("path", ["/api/schema/", "/api/schema", "/api/docs/"])
def test_openapi_schema_and_docs_on_tenant_hosts(acme, path):
    response = api_client(acme).get(path)
    assert response.status_code == 200


def test_openapi_schema_describes_the_twin_api(acme):
    response = api_client(acme).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert any(path.startswith("/api/twins") for path in schema["paths"])


def test_unknown_api_path_is_json_404(acme):
    response = api_client(acme, demo_admin(acme)).get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}


def test_wrong_method_is_json_405(acme):
    response = api_client(acme, demo_admin(acme)).delete("/api/twins/")
    assert response.status_code == 405
    assert "DELETE" in response.json()["detail"]


def test_body_over_one_mebibyte_is_413(acme):
    body = json.dumps({"name": "x", "settings": {"blob": "a" * (1024 * 1024)}})
    response = api_client(acme, demo_admin(acme)).post("/api/twins/", body, content_type="application/json")
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_unsupported_media_type_is_json_415(acme):
    response = api_client(acme, demo_admin(acme)).post("/api/twins/", "name=x",
                                                     content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["detail"]


DATABASE_DOWN_SCRIPT = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.test import Client
    for host, path in [("acme.localhost", "/api/twins/"), ("localhost", "/health")]:
        response = Client(HTTP_HOST=host, raise_request_exception=False).get(path)
        print(json.dumps([response.status_code, response["Content-Type"], response.content.decode()]))
    """
)


def test_database_down_is_a_json_503():
    # A real unreachable server: nothing listens on port 1.
    env = {**os.environ, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", DATABASE_DOWN_SCRIPT], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    api, health = [json.loads(line) for line in result.stdout.splitlines()[-2:]]
    assert api[0] == 503 and api[1] == "application/json"
    assert "database" in json.loads(api[2])["detail"].lower()
    assert health[0] == 503 and json.loads(health[2])["database"]["reachable"] is False
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize("host", ["acme.localhost", "localhost"])
def test_favicon_redirects_to_a_served_static_file(db, host):
    client = Client(HTTP_HOST=host)
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    target = response["Location"]
    assert target.startswith("/static/") and target.endswith(".svg")
    icon = client.get(target)
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.parametrize("host, path", [("acme.localhost", "/admin/login/"), ("acme.localhost", "/accounts/login/"),
                                        ("localhost", "/admin/login/")])
def test_pages_and_admin_link_the_favicon(db, host, path):
    html = Client(HTTP_HOST=host).get(path).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    assert re.search(r"<title>(Log|Sign) in .*Persona governance</title>", html)


def test_a_django_log_record_is_printed_once():
    # Django's own console handler (DEBUG) and the root handler used to print every django.* record twice:
    # a 403 in the admin showed its traceback two times.
    script = "import django; django.setup(); import logging; logging.getLogger('django.request').warning('marker-403')"
    env = {**os.environ, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing",
           "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true"}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).count("marker-403") == 1, result.stderr


def test_host_matching_is_case_insensitive(acme):
    response = api_client(acme, demo_admin(acme)).get("/api/twins/", HTTP_HOST="ACME.Localhost")
    assert response.status_code == 200
    assert Client(HTTP_HOST="GLOBEX.localhost").get("/health").status_code == 200


def test_unknown_host_message_clips_the_echoed_host(db):
    response = Client(HTTP_HOST="a" * 200 + ".localhost").get("/api/twins/")
    assert response.status_code in (400, 404)
    assert len(response.json()["detail"]) < 120


# Production settings need a DATABASE_URL; loading them never connects, so an unreachable one does.
PRODUCTION_DATABASE_URL = "postgresql://postgres@127.0.0.1:1/nothing"


def start_with(**env) -> subprocess.CompletedProcess:
    """A fresh interpreter that loads the settings with `env` on top of this one's (and a DATABASE_URL,
    whatever this one has, unless `env` says otherwise)."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": PRODUCTION_DATABASE_URL,
                **env}
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); print('started')"], cwd=REPO,
                          env=full_env, capture_output=True, text=True, timeout=60)


STRONG_KEY = "k3y-" + "abcdefghij" * 5


@pytest.mark.parametrize("key", ["x", "a" * 60, "abcd" * 20])
def test_a_weak_secret_key_is_refused_with_debug_off(key):
    result = start_with(DEBUG="false", SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY is too weak" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_a_strong_secret_key_starts_with_debug_off():
    result = start_with(DEBUG="false", SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_debug_off_without_database_url_is_refused():
    result = start_with(DEBUG="false", SECRET_KEY=STRONG_KEY, DATABASE_URL="")
    assert result.returncode != 0
    assert "DATABASE_URL must be set when DEBUG is off" in result.stderr


SETTINGS_SCRIPT = textwrap.dedent("""
    import json
    from django.conf import settings
    print(json.dumps({name: getattr(settings, name, None) for name in (
        "CSRF_TRUSTED_ORIGINS", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_CONTENT_TYPE_NOSNIFF", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")}))
""")


def settings_with(**env) -> dict:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": PRODUCTION_DATABASE_URL,
                **env}
    result = subprocess.run([sys.executable, "-c", SETTINGS_SCRIPT], cwd=REPO, env=full_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_behind_a_tls_proxy_in_production():
    values = settings_with(DEBUG="false", SECRET_KEY=STRONG_KEY, TRUST_X_FORWARDED_PROTO="true",
                           CSRF_TRUSTED_ORIGINS="https://acme.example.com, https://globex.example.com")
    assert values == {
        "CSRF_TRUSTED_ORIGINS": ["https://acme.example.com", "https://globex.example.com"],
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
    }
    assert settings_with(DEBUG="false", SECRET_KEY=STRONG_KEY, SECURE_HSTS_SECONDS="0")["SECURE_HSTS_SECONDS"] == 0


def test_forwarded_proto_is_not_trusted_unless_asked():
    values = settings_with(TRUST_X_FORWARDED_PROTO="", CSRF_TRUSTED_ORIGINS="")
    assert values["SECURE_PROXY_SSL_HEADER"] is None and values["CSRF_TRUSTED_ORIGINS"] == []
