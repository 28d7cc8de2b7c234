"""The twin admin of the twins app itself: twins and their memories, knowing nothing of the apps above.

With the personas app installed, the admin registered for Twin is the personas subclass (its
governance is tested in tests/personas/test_admin_twins.py); the plain admin is still served
here through its own class, on a tenant host.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.test import Client, RequestFactory
from django_tenants.utils import schema_context

from tests.factories import demo_admin, make_user
from twins.admin import MemoryAdmin, MemoryInline, TwinAdmin
from twins.models import Memory, Twin
from twins.services import memory_create, twin_create

ROOT = Path(__file__).resolve().parents[2]
TWINS_APP = ROOT / "twins"
# The admin finds these by name for any twin admin, the plain one included.
TWIN_ADMIN_TEMPLATES = ROOT / "templates" / "admin" / "twins"


@pytest.fixture
def twin(in_acme):
    owner = make_user(in_acme, "twin-admin-owner")
    twin = twin_create(owner=owner, name="Plain admin twin")
    memory_create(twin=twin, actor=owner, topic="Tabs or spaces", value="Spaces, four.", status="approved")
    return twin


def plain_admin_request(tenant, path: str):
    """A GET on the tenant host by its demo superuser, for a view of the plain `TwinAdmin`."""
    request = RequestFactory(HTTP_HOST=f"{tenant.schema_name}.localhost").get(path)
    request.tenant, request.user = tenant, demo_admin(tenant)
    return request


def test_the_apps_above_register_their_subclass_of_the_twin_admin():
    registered = admin.site._registry[Twin]
    # personas extends the plain twin admin (TwinGovernanceAdmin), governance extends that in turn.
    assert [cls.__name__ for cls in type(registered).__mro__[:3]] == [
        "TwinPublishPolicyAdmin", "TwinGovernanceAdmin", "TwinAdmin"]
    assert isinstance(registered, TwinAdmin) and registered.__class__ is not TwinAdmin
    assert type(admin.site._registry[Memory]) is MemoryAdmin


def test_no_module_of_the_twins_app_imports_personas_or_chat():
    imported = {}
    for path in TWINS_APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                imported.setdefault(module.split(".")[0], set()).add(path.relative_to(TWINS_APP).as_posix())
    assert "personas" not in imported and "chat" not in imported, imported
    assert "admin.py" in imported["core"]  # the scan did read twins/admin.py
    for template in TWIN_ADMIN_TEMPLATES.rglob("*.html"):
        assert "personas" not in template.read_text(), template


def test_the_plain_twin_admin_lists_and_shows_a_twin_with_its_memories(twin, in_acme):
    plain = TwinAdmin(Twin, AdminSite())
    assert plain.change_form_template is None and plain.actions == ()
    assert plain.list_display == ["name", "owner", "status", "updated_at"]
    with schema_context("acme"):
        listing = plain.changelist_view(plain_admin_request(in_acme, "/admin/twins/twin/"))
        listing.render()
        page = plain.changeform_view(plain_admin_request(in_acme, f"/admin/twins/twin/{twin.pk}/change/"),
                                     object_id=str(twin.pk))
        page.render()
    assert listing.status_code == 200 and "Plain admin twin" in listing.content.decode()
    assert page.status_code == 200
    assert [fieldset.name for fieldset in page.context_data["adminform"]] == [None, "Record"]
    [memories] = page.context_data["inline_admin_formsets"]
    assert isinstance(memories.opts, MemoryInline)
    assert [form.original.topic for form in memories if form.original] == ["Tabs or spaces"]
    html = page.content.decode()
    assert "Spaces, four." in html and "/admin/personas/" not in html and "Generate draft" not in html


def test_memories_are_listed_and_searchable_on_a_tenant_host(twin, acme):
    client = Client(HTTP_HOST="acme.localhost")
    with schema_context("acme"):
        client.force_login(demo_admin(acme))
    found = client.get("/admin/twins/memory/", {"q": "Tabs or spaces"})
    assert found.status_code == 200 and "Plain admin twin: Tabs or spaces" in found.content.decode()
    listing = client.get("/admin/twins/twin/", {"q": "Plain admin twin"})
    assert [row.name for row in listing.context["cl"].result_list] == ["Plain admin twin"]


def test_the_public_host_does_not_serve_the_twin_admin(db):
    from django.contrib.auth import get_user_model

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username="admin"))  # the public schema's superuser
    assert client.get("/admin/twins/twin/").status_code == 403
    assert client.get("/admin/twins/memory/").status_code == 403
    assert "/admin/twins/" not in client.get("/admin/").content.decode()
