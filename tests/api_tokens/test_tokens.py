"""API tokens (django-rest-knox): only a digest is stored, a token expires, is revoked at once, is
shown once (command, admin) and is known in its own tenant only."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from knox.models import AuthToken

from api_tokens.services import api_token_create, api_tokens_revoke
from tests.factories import api_client, make_token, make_user, url_of_the_test_database
from tests.personas.admin_support import admin_client

REPO = Path(__file__).resolve().parents[2]


def get_twins(tenant, token: str):
    return api_client(tenant).get("/api/twins/", HTTP_AUTHORIZATION=f"Token {token}")


def test_a_token_is_stored_as_a_digest_only(acme):
    user = make_user(acme)
    token = make_token(acme, user)
    assert get_twins(acme, token).status_code == 200
    with schema_context("acme"):
        row = AuthToken.objects.get(user=user)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM knox_authtoken WHERE user_id = %s", [user.pk])
            stored = " ".join(str(value) for value in cursor.fetchone())
    assert token not in stored and token[15:] not in stored  # knox keeps the first 15 characters to look it up
    assert len(row.digest) == 128 and row.digest != token


def test_an_expired_token_is_a_json_401(acme):
    user = make_user(acme)
    token = make_token(acme, user, expires_in=timedelta(days=1))
    assert get_twins(acme, token).status_code == 200
    with schema_context("acme"):
        AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    response = get_twins(acme, token)
    assert response.status_code == 401 and response.json()["detail"]
    with schema_context("acme"):
        assert not AuthToken.objects.filter(user=user).exists()  # refused and deleted


def test_a_revoked_token_is_a_401_and_the_users_other_token_still_works(acme):
    user = make_user(acme)
    first, second = make_token(acme, user), make_token(acme, user)
    with schema_context("acme"):
        digest = AuthToken.objects.filter(user=user).order_by("created").first().digest
        # which row is `first` is not known from outside: revoke by its digest, then see which one fails
        assert api_tokens_revoke(user=user, digest_prefix=digest[:12]) == 1
    statuses = sorted([get_twins(acme, first).status_code, get_twins(acme, second).status_code])
    assert statuses == [200, 401]
    with schema_context("acme"):
        assert api_tokens_revoke(user=user) == 1
    assert get_twins(acme, first).status_code == 401 and get_twins(acme, second).status_code == 401


def test_another_tenants_token_is_a_401(acme, globex):
    token = make_token(globex, make_user(globex))
    assert get_twins(globex, token).status_code == 200
    response = get_twins(acme, token)
    assert response.status_code == 401 and response["Content-Type"] == "application/json"


def test_an_inactive_users_token_is_refused(acme):
    user = make_user(acme)
    token = make_token(acme, user)
    with schema_context("acme"):
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        with pytest.raises(ValueError, match="inactive"):
            api_token_create(user=type(user).objects.get(pk=user.pk), expires_in=None)
    assert get_twins(acme, token).status_code == 401


def test_the_command_prints_the_token_once_and_revoke_refuses_it(acme):
    user = make_user(acme, "tokencmd")
    out, err = io.StringIO(), io.StringIO()
    with schema_context("acme"):
        call_command("create_api_token", "tokencmd", "--expires-in-days", "3", stdout=out, stderr=err)
        row = AuthToken.objects.get(user=user)
    token = out.getvalue().strip()
    assert len(token) == 64 and token not in err.getvalue() and "not stored" in err.getvalue()
    assert timedelta(days=2, hours=23) < row.expiry - timezone.now() <= timedelta(days=3)
    assert get_twins(acme, token).status_code == 200
    with schema_context("acme"):
        call_command("revoke_api_tokens", "tokencmd", stdout=out)
    assert "Revoked 1 token(s)" in out.getvalue()
    assert get_twins(acme, token).status_code == 401


def test_the_readme_provisioning_command_works_through_tenant_command(committed_db):
    """`manage.py tenant_command create_api_token --schema=…` in its own interpreter, as the README shows."""
    from config.models import Tenant

    acme = Tenant.objects.get(schema_name="acme")
    user = make_user(acme, "provisioned")
    env = {**os.environ, "DATABASE_URL": url_of_the_test_database()}
    try:
        result = subprocess.run([sys.executable, "manage.py", "tenant_command", "create_api_token", "--schema=acme",
                                 "provisioned", "--expires-in-days", "0"], cwd=REPO, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        token = result.stdout.strip().splitlines()[-1]
        assert "until revoked" in result.stderr
        assert get_twins(acme, token).status_code == 200
    finally:
        with schema_context("acme"):
            type(user).objects.filter(pk=user.pk).delete()


def test_admin_creates_a_token_shows_it_once_and_revokes_it(acme):
    admin = make_user(acme, superuser=True)
    holder = make_user(acme, "holder")
    client = admin_client(acme, admin)
    page = client.post("/admin/knox/authtoken/add/", {"user": holder.pk, "expires_in_days": "30"})
    assert page.status_code == 200, page.content[:500]
    html = page.content.decode()
    with schema_context("acme"):
        row = AuthToken.objects.get(user=holder)
    token = html.split('id="api-token"')[1].split(">")[1].split("<")[0]
    assert len(token) == 64 and get_twins(acme, token).status_code == 200
    listing = client.get("/admin/knox/authtoken/").content.decode()
    assert f"{row.digest[:12]}…" in listing and "holder" in listing
    assert token not in listing and token[:15] not in listing  # the digest (in links) cannot give the token back
    assert token not in client.get(f"/admin/knox/authtoken/{row.pk}/change/").content.decode()
    revoked = client.post("/admin/knox/authtoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True)
    assert "Revoked 1 token(s)" in revoked.content.decode()
    assert get_twins(acme, token).status_code == 401


def test_the_public_admin_has_no_token_pages(db):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username="admin"))
    assert client.get("/admin/knox/authtoken/").status_code in (403, 404)
