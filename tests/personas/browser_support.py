"""Shared by the persona admin's browser tests (test_admin_browser.py, test_spec_editor_browser.py):
acme's host on the session's live server, signing in on the admin's login page, and fresh twins of
acme owned by the demo admin.

`base_url` and `owner` are fixtures: a test module imports them to use them. Rows are committed
(`committed_db`), so each twin gets a unique name.
"""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from demo.seeding import DEMO_PASSWORD
from personas.models import PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.personas.builders import new_twin


@pytest.fixture
def base_url(live_server_port):
    return f"http://acme.localhost:{live_server_port}"


@pytest.fixture
def owner(committed_db):
    """acme's demo admin (`admin`), the owner of the twins these tests make."""
    from django.contrib.auth import get_user_model

    with schema_context("acme"):
        return get_user_model().objects.get(username="admin")


def log_in(page, base_url, username):
    """Sign in on the admin's login page as a demo user (they all have DEMO_PASSWORD)."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def fresh_twin(owner, name: str):
    """A twin of acme named `name` and a unique suffix."""
    with schema_context("acme"):
        return new_twin(owner, f"{name} {uuid.uuid4().hex[:8]}")


def twin_with_version(owner, spec: dict, publish: bool = True, *, name: str = "Editor twin",
                      notes: str = "") -> PersonaSpec:
    """A fresh twin with its first version (`spec`), published unless `publish` is false."""
    twin = fresh_twin(owner, name)
    with schema_context("acme"):
        version = persona_spec_create(twin=twin, actor=owner, spec=spec, notes=notes)
        if publish:
            persona_spec_publish(persona_spec=version, actor=owner)
        return version
