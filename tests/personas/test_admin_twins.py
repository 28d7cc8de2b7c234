"""The twin's admin page as the personas app extends it: active version and drafts at a glance, the
version history and recent audit events, and "Generate draft from twin data" (through the service).

The plain twin admin, without persona governance, is tested in tests/twins/test_admin.py.
"""

from __future__ import annotations

import re

from django_tenants.utils import schema_context

from personas.models import AuditEvent, PersonaSpec
from personas.services import persona_spec_create
from tests.factories import demo_admin, make_user
from tests.personas.admin_support import VIEWER_PERMS, admin_client, audit_rows, review_url, statuses, text
from tests.personas.builders import example_spec, new_twin
from twins.models import Twin


def test_twin_list_and_page_show_active_version_drafts_history_and_events(in_acme, active_and_draft, publisher):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    listing = text(client.get("/admin/twins/twin/", {"q": "Twin in admin"}))
    assert f'<a href="{review_url(active)}">1.0.0</a>' in listing
    assert "status__exact=draft" in listing  # the drafts count links to the twin's drafts
    page = client.get(f"/admin/twins/twin/{active.twin_id}/change/")
    html = text(page)
    assert page.status_code == 200
    assert "Review active version 1.0.0" in html
    assert f"?twin={active.twin_id}&amp;from=active" in html
    inlines = {formset.opts.__class__.__name__: formset for formset in page.context["inline_admin_formsets"]}
    history = [form.original.version for form in inlines["PersonaSpecHistoryInline"]]
    assert history == ["1.0.1", "1.0.0"]
    events = [(form.original.action, form.original.version) for form in inlines["RecentAuditEventInline"]]
    assert events == [("create", "1.0.1"), ("publish", "1.0.0"), ("create", "1.0.0")]
    for name in ("PersonaSpecHistoryInline", "RecentAuditEventInline"):
        formset = inlines[name]
        assert not formset.has_add_permission and not formset.has_delete_permission
        assert not formset.has_change_permission


def test_recent_events_inline_is_limited(in_acme, twin, owner, publisher):
    from personas.admin.inlines import AUDIT_INLINE_LIMIT

    for _ in range(AUDIT_INLINE_LIMIT + 2):
        persona_spec_create(twin=twin, actor=owner, spec=example_spec())
    page = admin_client(in_acme, publisher).get(f"/admin/twins/twin/{twin.pk}/change/")
    inlines = {formset.opts.__class__.__name__: formset for formset in page.context["inline_admin_formsets"]}
    versions = [form.original.version for form in inlines["RecentAuditEventInline"]]
    assert len(versions) == AUDIT_INLINE_LIMIT and versions[0] == f"1.0.{AUDIT_INLINE_LIMIT + 1}"


def test_generate_draft_action_goes_through_the_service(in_acme, twin, reviewer):
    client = admin_client(in_acme, reviewer)
    assert 'value="generate_draft"' in text(client.get("/admin/twins/twin/"))
    response = client.post("/admin/twins/twin/", {"action": "generate_draft", "_selected_action": [str(twin.pk)]})
    with schema_context("acme"):
        generated = PersonaSpec.objects.get(twin=twin)
    assert response.status_code == 302 and response["Location"] == review_url(generated)
    assert (generated.status, generated.source) == ("draft", "generated")
    assert audit_rows(twin) == [("generate", "admin", "1.0.0", "", "admin-reviewer")]


def test_generate_draft_needs_the_add_permission(in_acme, twin):
    viewer = make_user(in_acme, "admin-twin-viewer", perms=VIEWER_PERMS, staff=True)
    client = admin_client(in_acme, viewer)
    assert 'value="generate_draft"' not in text(client.get("/admin/twins/twin/"))
    response = client.post("/admin/twins/twin/", {"action": "generate_draft", "_selected_action": [str(twin.pk)]},
                           follow=True)
    assert response.status_code == 200  # the list, with no action run
    assert statuses(twin) == {} and audit_rows(twin) == []


def test_saving_a_twin_keeps_its_read_only_history(in_acme, active_and_draft):
    active, _ = active_and_draft
    client = admin_client(in_acme, demo_admin(in_acme))
    page = client.get(f"/admin/twins/twin/{active.twin_id}/change/")
    data = {"name": "Twin in admin, renamed", "owner": str(active.twin.owner_id), "status": "active",
            "settings": "{}", "_save": "Save"}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{management.prefix}-{name}": value for name, value in management.initial.items()})
    response = client.post(f"/admin/twins/twin/{active.twin_id}/change/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert statuses(active.twin) == {"1.0.0": "active", "1.0.1": "draft"}
    with schema_context("acme"):
        assert Twin.objects.get(pk=active.twin_id).name == "Twin in admin, renamed"
        assert AuditEvent.objects.filter(twin_id=active.twin_id).count() == 3


def test_the_columns_fieldsets_and_object_tools_of_the_twin_page(in_acme, active_and_draft, publisher):
    active, _ = active_and_draft
    client = admin_client(in_acme, publisher)
    listing = text(client.get("/admin/twins/twin/", {"q": "Twin in admin"}))
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', listing)
    assert headers == ["name", "owner", "status", "active_version", "draft_count", "updated_at"]
    page = client.get(f"/admin/twins/twin/{active.twin_id}/change/")
    assert [fieldset.name for fieldset in page.context["adminform"]] == [None, "Persona governance", "Record"]
    assert "admin/personas/twin_change_form.html" in [template.name for template in page.templates]
    html = text(page)
    assert "Generate draft from twin data</button>" in html
    assert f'action="/admin/twins/twin/{active.twin_id}/draft-first-spec/"' in html


def test_generate_draft_refuses_a_batch_over_the_limit_and_generates_nothing(in_acme, owner, reviewer):
    from personas.admin.twins import GENERATE_BATCH_LIMIT

    twins = [new_twin(owner, f"Batch twin {number}") for number in range(GENERATE_BATCH_LIMIT + 1)]
    response = admin_client(in_acme, reviewer).post(
        "/admin/twins/twin/", {"action": "generate_draft", "_selected_action": [str(twin.pk) for twin in twins]},
        follow=True)
    assert f"Select at most {GENERATE_BATCH_LIMIT} twins at a time. Nothing was generated." in text(response)
    with schema_context("acme"):
        assert not PersonaSpec.objects.filter(twin__in=twins).exists()
    assert all(audit_rows(twin) == [] for twin in twins)


def test_twin_page_without_versions_says_what_to_do(in_acme, twin, reviewer):
    html = text(admin_client(in_acme, reviewer).get(f"/admin/twins/twin/{twin.pk}/change/"))
    message = html[html.index('id="no-versions"'):]
    assert message.index("No versions yet") < message.index("</p>")
    assert message.index("Generate draft from twin data") < message.index("</p>")


def test_twin_page_with_versions_shows_the_history_table(in_acme, active_and_draft, reviewer):
    active, _ = active_and_draft
    html = text(admin_client(in_acme, reviewer).get(f"/admin/twins/twin/{active.twin_id}/change/"))
    assert 'id="no-versions"' not in html
    assert f">{active.version}</a>" in html


def test_demo_reviewer_reads_the_owner_without_a_link_to_the_user_admin(in_acme):
    from django.contrib.auth import get_user_model

    reviewer = get_user_model().objects.get(username="reviewer")
    twin = Twin.objects.filter(owner__username="admin").first()
    client = admin_client(in_acme, reviewer)
    html = text(client.get(f"/admin/twins/twin/{twin.pk}/change/"))
    # The twin's own fields and its version history (governance's policy inline is not this app's).
    history = html[html.index("persona_specs-group"):]
    history = history[:history.index("</fieldset>")]
    assert "/admin/auth/user/" not in html[:html.index("</fieldset>")] and "/admin/auth/user/" not in history
    assert 'class="field-created_by_name">' in history and "admin" in history
    owner = re.search(r'<div class="readonly">([^<]*)</div>', html[html.index("field-owner_name"):]).group(1)
    assert owner.startswith("admin")

    denied = client.get(f"/admin/auth/user/{twin.owner_id}/change/")
    assert denied.status_code == 403
    page = text(denied)
    assert 'id="site-name"' in page and "Persona governance" in page and 'id="access-denied"' in page
    assert "Traceback" not in page


def test_a_user_who_may_view_users_keeps_the_owner_link(in_acme, active_and_draft):
    user = make_user(in_acme, "may-see-users", perms=[*VIEWER_PERMS, "auth.view_user"], staff=True)
    html = text(admin_client(in_acme, user).get(f"/admin/twins/twin/{active_and_draft[0].twin_id}/change/"))
    assert f'href="/admin/auth/user/{active_and_draft[0].twin.owner_id}/change/"' in html


def test_outside_the_admin_a_403_is_plain_and_under_the_api_json(in_acme):
    from django.test import Client

    from config.views import permission_denied

    request = Client(HTTP_HOST="acme.localhost").get("/").wsgi_request
    page = permission_denied(request)
    assert page.status_code == 403 and b"Access denied" in page.content and b"site-name" not in page.content
    api_request = Client(HTTP_HOST="acme.localhost").get("/api/twins/").wsgi_request
    assert permission_denied(api_request)["Content-Type"] == "application/json"


# --- "Draft a first spec": one click from a legacy reply's trace to a draft under review ----------

def draft_first_spec_url(twin) -> str:
    return f"/admin/twins/twin/{twin.pk}/draft-first-spec/"


def test_draft_first_spec_generates_from_the_legacy_persona_and_opens_its_review(in_acme, twin, reviewer):
    response = admin_client(in_acme, reviewer).post(draft_first_spec_url(twin), {"next": "/chat/whatever"})
    with schema_context("acme"):
        generated = PersonaSpec.objects.get(twin=twin)
    assert response.status_code == 302 and response["Location"] == review_url(generated)
    assert (generated.status, generated.source) == ("draft", "generated")
    assert audit_rows(twin) == [("generate", "admin", "1.0.0", "", "admin-reviewer")]


def test_draft_first_spec_is_a_post_for_those_who_may_draft_the_twin(in_acme, twin, owner):
    viewer = make_user(in_acme, "admin-draft-viewer", perms=VIEWER_PERMS, staff=True)
    client = admin_client(in_acme, viewer)
    assert client.get(draft_first_spec_url(twin)).status_code == 405
    assert client.post(draft_first_spec_url(twin)).status_code == 403
    assert statuses(twin) == {} and audit_rows(twin) == []
    # The twin's owner may draft on it without the add permission, as on every channel.
    with schema_context("acme"):
        owner.is_staff = True
        owner.save(update_fields=["is_staff"])
    assert admin_client(in_acme, owner).post(draft_first_spec_url(twin)).status_code == 302
    assert statuses(twin) == {"1.0.0": "draft"}


def test_draft_first_spec_does_not_reach_another_tenants_twin(in_acme, globex, twin):
    from tests.personas.admin_support import PUBLISHER_PERMS

    outsider = make_user(globex, "globex-drafter", perms=PUBLISHER_PERMS, staff=True)
    response = admin_client(globex, outsider).post(draft_first_spec_url(twin))
    assert response.status_code == 404
    assert statuses(twin) == {}
