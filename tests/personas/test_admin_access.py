"""Who may do what in the admin, the governance group, and tenant isolation of the admin.

Shared helpers are in admin_support.py, the fixtures (owner, twin, publisher, reviewer,
active_and_draft) in conftest.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import demo_admin, make_user
from tests.personas.admin_support import (
    AUDIT_CHANGELIST,
    CHANGELIST,
    PUBLISHER_PERMS,
    REVIEWER_PERMS,
    admin_client,
    audit_rows,
    confirm_action,
    review_url,
    run_action,
    statuses,
    text,
)
from tests.personas.builders import example_spec, new_twin
from twins.models import Twin

# --- permissions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("action, target", [("publish_selected", 1), ("rollback_selected", 0)])
def test_staff_without_publish_permission_cannot_post_publish_or_rollback(in_acme, active_and_draft, reviewer,
                                                                          owner, action, target):
    active, draft = active_and_draft
    if action == "rollback_selected":
        persona_spec_publish(persona_spec=draft, actor=owner)
    selected = (active, draft)[target]
    client = admin_client(in_acme, reviewer)
    expected, before = statuses(draft.twin), audit_rows(draft.twin)
    for extra in ({}, {"confirm": "yes", "confirmation_state": "anything"}, {"index": "0"}):
        response = run_action(client, action, selected, follow=True, **extra)
        assert response.status_code == 200
        assert "No action selected." in text(response)
        assert "persona-confirmation" not in text(response)
    assert statuses(draft.twin) == expected
    assert audit_rows(draft.twin) == before


def test_twin_owner_may_publish_their_own_twin_in_the_admin_as_in_the_api_and_no_other(in_acme, active_and_draft,
                                                                                       owner):
    # One rule for every channel (personas.permissions): the owner of a twin may publish its versions.
    _, draft = active_and_draft
    staff_owner = make_user(in_acme, "admin-staff-owner", perms=REVIEWER_PERMS, staff=True)
    with schema_context("acme"):
        Twin.objects.filter(pk=draft.twin_id).update(owner=staff_owner)
        others = new_twin(owner, name="Someone else's twin")
        others_draft = persona_spec_create(twin=others, actor=owner, spec=example_spec())
    client = admin_client(in_acme, staff_owner)
    assert 'value="publish_selected"' in text(client.get(CHANGELIST))
    refused = text(run_action(client, "publish_selected", others_draft, follow=True, confirm="yes"))
    assert "You may not publish or roll back persona specs of this twin." in refused
    assert statuses(others) == {"1.0.0": "draft"}
    page = run_action(client, "publish_selected", draft)
    confirm_action(client, "publish_selected", draft, page)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"}


def test_governance_group_exists_in_every_tenant_with_its_permissions(acme, globex):
    expected = {
        "personas.view_personaspec", "personas.add_personaspec", "personas.publish_personaspec",
        "personas.view_auditevent", "twins.view_twin", "twins.view_memory",
    }
    for schema in ("acme", "globex"):
        with schema_context(schema):
            group = Group.objects.get(name="Persona governance")
            granted = {f"{app}.{codename}" for app, codename in
                       group.permissions.values_list("content_type__app_label", "codename")}
            assert granted == expected, schema


def test_adding_a_user_to_the_group_grants_publishing_in_the_admin(in_acme, active_and_draft):
    _, draft = active_and_draft
    user = make_user(in_acme, "admin-group-member", staff=True)
    assert not user.has_perm("personas.publish_personaspec")
    user.groups.add(Group.objects.get(name="Persona governance"))
    with schema_context("acme"):
        user = type(user).objects.get(pk=user.pk)
    assert user.has_perm("personas.publish_personaspec")
    client = admin_client(in_acme, user)
    assert 'value="publish_selected"' in text(client.get(CHANGELIST))
    page = run_action(client, "publish_selected", draft)
    confirm_action(client, "publish_selected", draft, page)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"}


# --- tenants ------------------------------------------------------------------------------------------

def test_another_tenants_versions_are_invisible(acme, globex):
    with schema_context("acme"):
        acme_owner = make_user(acme, "acme-isolation-owner")
        acme_twin = new_twin(acme_owner, "Acme-only twin")
        acme_spec = persona_spec_create(twin=acme_twin, actor=acme_owner, spec=example_spec())
    globex_admin = admin_client(globex, demo_admin(globex))
    listing = text(globex_admin.get(CHANGELIST))
    assert "Acme-only twin" not in listing and str(acme_spec.pk) not in listing
    assert "Acme-only twin" not in text(globex_admin.get(AUDIT_CHANGELIST))
    missing = globex_admin.get(review_url(acme_spec), follow=True)
    assert "doesn’t exist" in text(missing) and "Acme-only twin" not in text(missing)
    forged = globex_admin.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [str(acme_spec.pk)],
                                            "confirm": "yes"}, follow=True)
    assert "Select exactly one version" in text(forged)
    with schema_context("acme"):
        assert PersonaSpec.objects.get(pk=acme_spec.pk).status == "draft"
        assert not Twin.objects.filter(name="Hank Scorpio").exists()


def test_a_session_of_one_tenant_is_not_valid_on_another(acme, globex):
    client = admin_client(globex, demo_admin(globex))
    assert client.get(CHANGELIST).status_code == 200
    client.defaults["HTTP_HOST"] = "acme.localhost"
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_logging_in_through_the_tenant_login_page(acme):
    make_user(acme, "admin-login-publisher", password="pw-for-tests-1", perms=PUBLISHER_PERMS, staff=True)
    client = Client(HTTP_HOST="acme.localhost")
    response = client.post("/admin/login/?next=/admin/", {"username": "admin-login-publisher",
                                                         "password": "pw-for-tests-1", "next": "/admin/"})
    assert response.status_code == 302
    assert client.get(CHANGELIST).status_code == 200
    globex = Client(HTTP_HOST="globex.localhost")
    refused = globex.post("/admin/login/", {"username": "admin-login-publisher", "password": "pw-for-tests-1"})
    assert refused.status_code == 200 and "Please enter the correct username and password" in text(refused)


def test_the_public_host_admin_does_not_offer_tenant_models(db):
    from django.contrib.auth import get_user_model

    public_admin = get_user_model().objects.get(username="admin")  # the public schema's superuser
    client = Client(HTTP_HOST="localhost")
    client.force_login(public_admin)
    index = text(client.get("/admin/"))
    assert "/admin/personas/" not in index and "/admin/twins/" not in index
    assert client.get(CHANGELIST).status_code == 403
    assert client.get("/admin/twins/twin/").status_code == 403
