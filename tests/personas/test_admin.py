"""Persona governance in the tenant admin, through Django's test client on tenant hosts.

Every state change is checked both ways: what the confirmed action changes (status, exactly one
audit event with channel "admin"), and that a refused or unconfirmed request changes nothing.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django_tenants.utils import schema_context

from personas.models import AuditEvent, PersonaSpec
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import demo_admin, make_user
from tests.personas.admin_support import (
    ADD,
    AUDIT_CHANGELIST,
    CHANGELIST,
    PUBLISHER_PERMS,
    REVIEWER_PERMS,
    VIEWER_PERMS,
    admin_client,
    audit_rows,
    review_url,
    statuses,
    text,
)
from tests.personas.builders import example_spec, new_twin
from twins.models import Twin

# Shared helpers are in admin_support.py, the fixtures (owner, twin, publisher, reviewer,
# active_and_draft) in conftest.py.


# --- helpers ----------------------------------------------------------------------------------

def run_action(client, action: str, *persona_specs, follow: bool = False, **extra):
    """Choose `action` in the list's menu for the selected versions and press "Go" (index 0); the
    confirmation page's own form posts without an index."""
    data = {"action": action, "_selected_action": [str(spec.pk) for spec in persona_specs], **extra}
    if "confirm" not in extra:
        data.setdefault("index", "0")
    return client.post(CHANGELIST, data, follow=follow)


def confirm_action(client, action: str, persona_spec, confirmation_page):
    """Press the confirmation page's button: post back exactly what its form holds."""
    html = confirmation_page.content.decode()
    state = re.search(r'name="confirmation_state" value="([^"]+)"', html)
    extra = {"confirm": "yes", **({"confirmation_state": state.group(1)} if state else {})}
    return run_action(client, action, persona_spec, follow=True, **extra)


# --- the list -----------------------------------------------------------------------------------

def test_list_shows_versions_newest_semver_first_with_status_badges(in_acme, twin, owner, publisher):
    for version in ("1.0.9", "1.0.10", "1.0.2"):
        persona_spec_create(twin=twin, actor=owner, spec=example_spec(), version=version)
    response = admin_client(in_acme, publisher).get(CHANGELIST, {"twin__id__exact": twin.pk})
    assert response.status_code == 200
    html = text(response)
    positions = [html.index(f">{version}</a>") for version in ("1.0.10", "1.0.9", "1.0.2")]
    assert positions == sorted(positions)  # numeric, not textual: 1.0.10 first
    assert 'class="persona-status persona-status-draft"' in html
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', html)
    assert headers == ["twin", "version_link", "status_badge", "source", "created_by", "created", "published_by",
                       "published"]


def test_list_filters_and_search(in_acme, active_and_draft, publisher):
    client = admin_client(in_acme, publisher)
    html = text(client.get(CHANGELIST))
    for parameter in ("twin__id__exact", "status__exact", "source__exact"):
        assert parameter in html
    active, draft = active_and_draft
    drafts_only = text(client.get(CHANGELIST, {"status__exact": "draft", "twin__id__exact": active.twin_id}))
    assert ">1.0.1</a>" in drafts_only and ">1.0.0</a>" not in drafts_only
    found = text(client.get(CHANGELIST, {"q": "Twin in admin"}))
    assert ">1.0.1</a>" in found and ">1.0.0</a>" in found


def test_publisher_sees_every_action_and_reviewer_only_duplicate(in_acme, active_and_draft, publisher, reviewer):
    publisher_html = text(admin_client(in_acme, publisher).get(CHANGELIST))
    reviewer_html = text(admin_client(in_acme, reviewer).get(CHANGELIST))
    for action in ("publish_selected", "rollback_selected", "duplicate_selected"):
        assert f'value="{action}"' in publisher_html
    assert 'value="publish_selected"' not in reviewer_html
    assert 'value="rollback_selected"' not in reviewer_html
    assert 'value="duplicate_selected"' in reviewer_html
    assert 'value="delete_selected"' not in publisher_html


# --- adding a version ---------------------------------------------------------------------------

def test_add_form_has_a_monospace_json_editor_prefilled_with_a_starter_spec(in_acme, publisher):
    response = admin_client(in_acme, publisher).get(ADD)
    assert response.status_code == 200
    html = text(response)
    assert 'class="persona-spec-editor"' in html and 'name="spec_text"' in html
    assert "font-family: var(--font-family-monospace)" in html
    editor = response.context["adminform"].form
    assert json.loads(editor.initial["spec_text"])["schema_version"] == 1
    assert "_addanother" not in html and "_continue" not in html


def test_start_from_the_active_version_prefills_its_spec_without_the_version(in_acme, active_and_draft, publisher):
    active, _ = active_and_draft
    response = admin_client(in_acme, publisher).get(ADD, {"twin": str(active.twin_id), "from": "active"})
    form = response.context["adminform"].form
    prefilled = json.loads(form.initial["spec_text"])
    assert prefilled == {key: value for key, value in active.spec.items() if key != "version"}
    assert str(form.initial["twin"]) == str(active.twin_id)
    assert "The editor starts from Twin in admin version 1.0.0" in text(response)


def test_start_from_a_specific_version(in_acme, active_and_draft, publisher):
    _, draft = active_and_draft
    response = admin_client(in_acme, publisher).get(ADD, {"twin": str(draft.twin_id), "from": "1.0.1"})
    prefilled = json.loads(response.context["adminform"].form.initial["spec_text"])
    assert prefilled["constitution"][0] == "Never invent sources, numbers or certainty."


def test_start_from_a_twin_without_active_version_says_so(in_acme, twin, publisher):
    response = admin_client(in_acme, publisher).get(ADD, {"twin": str(twin.pk), "from": "active"})
    assert "That twin has no active version: the editor starts from an empty spec." in text(response)
    bad = admin_client(in_acme, publisher).get(ADD, {"twin": "not-a-uuid", "from": "active"})
    assert bad.status_code == 200


def test_adding_a_version_calls_the_service_and_opens_its_review(in_acme, active_and_draft, publisher):
    active, _ = active_and_draft
    spec = {key: value for key, value in active.spec.items() if key != "version"}
    spec["constitution"] = [*spec["constitution"], "Always name the trade-off."]
    before = audit_rows(active.twin)
    response = admin_client(in_acme, publisher).post(ADD, {
        "twin": str(active.twin_id), "requested_version": "", "spec_text": json.dumps(spec, indent=2),
        "notes": "Adds a trade-off rule.",
    })
    with schema_context("acme"):
        created = PersonaSpec.objects.get(twin=active.twin, version="1.0.2")
    assert response.status_code == 302 and response["Location"] == review_url(created)
    assert (created.status, created.source, created.notes) == ("draft", "manual", "Adds a trade-off rule.")
    assert created.created_by_id == publisher.pk
    assert created.spec["constitution"][-1] == "Always name the trade-off."
    assert audit_rows(active.twin) == [*before, ("create", "admin", "1.0.2", "", "admin-publisher")]


def test_an_explicit_version_is_honoured(in_acme, twin, publisher):
    response = admin_client(in_acme, publisher).post(ADD, {
        "twin": str(twin.pk), "requested_version": "2.0.0", "spec_text": json.dumps(example_spec()), "notes": "",
    })
    assert response.status_code == 302
    assert statuses(twin) == {"2.0.0": "draft"}


def test_validation_errors_are_shown_inline_with_their_json_pointer_paths(in_acme, twin, publisher):
    spec = example_spec(constitution=["ok", ""], unknown_section={})
    spec["procedural_modules"][0]["few_shot_ids"] = ["ex9"]
    response = admin_client(in_acme, publisher).post(ADD, {
        "twin": str(twin.pk), "requested_version": "", "spec_text": json.dumps(spec, indent=2), "notes": "x",
    })
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["spec_text"]
    assert "/procedural_modules/0/few_shot_ids/0: unknown canonical example id &#x27;ex9&#x27;" in text(response)
    assert any(error.startswith("/constitution/1:") for error in errors)
    assert any(error.startswith("/unknown_section:") for error in errors)
    assert "Please correct the error" in text(response)
    # What the user typed is still in the editor.
    assert "unknown_section" in response.context["adminform"].form["spec_text"].value()
    assert statuses(twin) == {} and audit_rows(twin) == []


def test_json_syntax_errors_say_where(in_acme, twin, publisher):
    client = admin_client(in_acme, publisher)
    response = client.post(ADD, {"twin": str(twin.pk), "spec_text": '{\n  "constitution": [\n}', "notes": ""})
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["spec_text"]
    assert error.startswith("Not valid JSON") and "line 3" in error
    duplicate_key = client.post(ADD, {"twin": str(twin.pk), "spec_text": '{"metadata": {}, "metadata": {}}'})
    assert "appears twice" in duplicate_key.context["adminform"].form.errors["spec_text"][0]
    not_json = client.post(ADD, {"twin": str(twin.pk), "spec_text": '{"metadata": {"x": NaN}}'})
    assert "NaN is not valid JSON" in not_json.context["adminform"].form.errors["spec_text"][0]
    assert statuses(twin) == {}


def test_an_existing_version_is_refused_on_the_version_field(in_acme, active_and_draft, publisher):
    active, _ = active_and_draft
    before = audit_rows(active.twin)
    response = admin_client(in_acme, publisher).post(ADD, {
        "twin": str(active.twin_id), "requested_version": "1.0.0", "spec_text": json.dumps(example_spec()),
    })
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["requested_version"] == [
        "version 1.0.0 already exists (/version)"
    ]
    assert statuses(active.twin) == {"1.0.0": "active", "1.0.1": "draft"}
    assert audit_rows(active.twin) == before


def test_a_malformed_version_is_refused_on_the_version_field(in_acme, twin, publisher):
    response = admin_client(in_acme, publisher).post(ADD, {
        "twin": str(twin.pk), "requested_version": "1.0", "spec_text": json.dumps(example_spec()),
    })
    assert "MAJOR.MINOR.PATCH" in response.context["adminform"].form.errors["requested_version"][0]
    assert statuses(twin) == {}


def test_staff_without_add_permission_cannot_add(in_acme, twin):
    viewer = make_user(in_acme, "admin-viewer", perms=VIEWER_PERMS, staff=True)
    client = admin_client(in_acme, viewer)
    assert client.get(ADD).status_code == 403
    response = client.post(ADD, {"twin": str(twin.pk), "spec_text": json.dumps(example_spec())})
    assert response.status_code == 403
    assert statuses(twin) == {}


# --- stored versions are read-only --------------------------------------------------------------

def test_a_stored_version_opens_its_review_page_and_cannot_be_saved(in_acme, active_and_draft, publisher):
    _, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    change_url = f"{CHANGELIST}{draft.pk}/change/"
    response = client.get(change_url)
    assert response.status_code == 302 and response["Location"] == review_url(draft)
    superuser = admin_client(in_acme, demo_admin(in_acme))
    forged = superuser.post(change_url, {"twin": str(draft.twin_id), "notes": "edited", "spec_text": "{}"})
    assert forged.status_code == 403
    assert superuser.post(f"{CHANGELIST}{draft.pk}/delete/", {"post": "yes"}).status_code == 403
    with schema_context("acme"):
        assert PersonaSpec.objects.get(pk=draft.pk).notes == "Sharper constitution."


# --- the review page ----------------------------------------------------------------------------

def test_review_shows_side_by_side_diffs_against_the_active_version(in_acme, active_and_draft, reviewer):
    _, draft = active_and_draft
    response = admin_client(in_acme, reviewer).get(review_url(draft))
    assert response.status_code == 200
    html = text(response)
    assert "Compared with the <strong>active version 1.0.0</strong>" in html
    review = response.context["review"]
    removed = {"".join(s.text for s in row.left) for row in review.spec_diff.rows if row.kind in ("delete", "replace")}
    added = {"".join(s.text for s in row.right) for row in review.spec_diff.rows if row.kind in ("insert", "replace")}
    assert '    "Never fabricate sources, numbers or certainty.",' in removed
    assert '    "Never invent sources, numbers or certainty.",' in added
    assert '    "Say which assumption matters most."' in added
    # Removed: the old first rule, the last rule without its comma, the version. Added: those three
    # lines in their new form and the new rule.
    assert (review.spec_diff.added, review.spec_diff.removed) == (4, 3)
    # The same lines, in the page: removed on the left, added on the right.
    assert 'diff-del">    &quot;Never <span class="diff-mark">fabricate</span> sources' in html
    assert 'diff-add">    &quot;Never <span class="diff-mark">invent</span> sources' in html
    assert 'class="diff-text diff-add">    &quot;Say which assumption matters most.&quot;</td>' in html
    assert "- Say which assumption matters most." in review.preview.rendered
    prompt_added = ["".join(s.text for s in row.right) for row in review.prompt_diff.rows if row.kind == "insert"]
    assert "- Say which assumption matters most." in prompt_added
    assert 'id="rendered-prompt">## CONSTITUTION' in html
    assert "Publish this version" not in html  # a reviewer cannot publish


def test_review_intent_switch_changes_the_modules(in_acme, active_and_draft, reviewer):
    _, draft = active_and_draft
    client = admin_client(in_acme, reviewer)

    def modules(intent):
        response = client.get(review_url(draft), {"intent": intent, "q": "How much should we raise?"})
        assert response.status_code == 200
        return response.context["review"].preview.plan["selected_module_ids"], text(response)

    advice, advice_html = modules("advice_or_stance")
    factual, _ = modules("factual_with_evidence")
    none, none_html = modules("none")
    assert advice == ["procedural.decision.clarify_before_advice"]
    assert factual == ["procedural.factual.cite_or_disclose"]
    assert none == []
    assert "INTENT PROCEDURAL MODULES" in advice_html and 'selected>advice_or_stance<' in advice_html
    assert '<span class="persona-chip">procedural.decision.clarify_before_advice</span>' in advice_html
    assert "none for this intent" in none_html
    assert modules("not-an-intent")[0] == []  # unknown labels mean no intent, never an error


def test_review_of_the_active_version_and_without_an_active_version(in_acme, active_and_draft, twin, reviewer,
                                                                    owner):
    active, _ = active_and_draft
    client = admin_client(in_acme, reviewer)
    html = text(client.get(review_url(active)))
    assert "This is the active version of Twin in admin." in html
    assert 'id="spec-diff"' not in html
    lonely_twin = new_twin(owner, "Twin without active version")
    draft = persona_spec_create(twin=lonely_twin, actor=owner, spec=example_spec())
    html = text(client.get(review_url(draft)))
    assert "Twin without active version has no active version." in html
    assert 'id="spec-diff"' not in html and 'id="rendered-prompt"' in html


def test_review_escapes_spec_content(in_acme, active_and_draft, owner, reviewer):
    active, _ = active_and_draft
    hostile = example_spec(constitution=["<script>alert('x')</script> & <b>bold</b>"])
    hostile["metadata"] = {"<img src=x onerror=alert(1)>": "</td></tr></table>"}
    draft = persona_spec_create(twin=active.twin, actor=owner, spec=hostile, notes="<i>notes</i>")
    html = text(admin_client(in_acme, reviewer).get(review_url(draft), {"q": "<script>q</script>"}))
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "<i>notes</i>" not in html and "<script>q</script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_review_of_an_unknown_version_redirects_with_a_message(in_acme, reviewer):
    client = admin_client(in_acme, reviewer)
    response = client.get(f"{CHANGELIST}00000000-0000-0000-0000-000000000000/review/", follow=True)
    assert response.status_code == 200
    assert "doesn’t exist" in text(response)


def test_review_needs_view_permission(in_acme, active_and_draft):
    _, draft = active_and_draft
    staff = make_user(in_acme, "admin-no-perms", staff=True)
    assert admin_client(in_acme, staff).get(review_url(draft)).status_code == 403


def test_publisher_gets_a_publish_button_leading_to_the_confirmation_page(in_acme, active_and_draft, publisher,
                                                                          owner):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    html = text(client.get(review_url(draft)))
    assert 'value="Publish this version…"' in html and 'name="action" value="publish_selected"' in html
    # The button posts the action for this one version (no "index": not the list's menu), which
    # answers with the confirmation page and changes nothing yet.
    page = client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [str(draft.pk)]})
    assert page.status_code == 200 and "persona-confirmation" in text(page)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}
    persona_spec_publish(persona_spec=draft, actor=owner)
    archived_html = text(client.get(review_url(active)))
    assert 'value="Roll back to this version…"' in archived_html
    assert 'value="Publish this version…"' not in text(client.get(review_url(draft)))  # active now


def test_a_reviewer_sees_why_they_cannot_publish_and_who_can(in_acme, active_and_draft, reviewer, owner, publisher):
    _, draft = active_and_draft
    html = text(admin_client(in_acme, reviewer).get(review_url(draft)))
    assert 'value="publish_selected"' not in html
    refusal = re.search(r'id="publish-refusal">(.*?)</div>', html, re.S).group(1)
    assert "You cannot publish this version" in refusal
    assert "You may not publish or roll back persona specs of this twin." in refusal
    who = re.search(r"Who can: (.*?)\.</p>", refusal).group(1).split(", ")
    assert who[0] == owner.username and publisher.username in who and reviewer.username not in who


def test_the_confirmed_reason_is_stored_on_the_audit_event_and_shown_in_the_trail(in_acme, active_and_draft,
                                                                                   publisher):
    _, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    page = run_action(client, "publish_selected", draft)
    assert 'name="reason"' in text(page)
    state = re.search(r'name="confirmation_state" value="([^"]+)"', text(page)).group(1)
    run_action(client, "publish_selected", draft, follow=True, confirm="yes", confirmation_state=state,
               reason="Constitution tightened after the October review")
    with schema_context("acme"):
        event = AuditEvent.objects.filter(twin=draft.twin, action="publish").first()
    assert (event.channel, event.reason) == ("admin", "Constitution tightened after the October review")
    trail = text(client.get("/admin/personas/auditevent/"))
    assert "Constitution tightened after the October review" in trail


# --- publish, roll back, duplicate ---------------------------------------------------------------

def test_publish_asks_for_confirmation_first_and_changes_nothing_until_confirmed(in_acme, active_and_draft,
                                                                                 publisher):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    page = run_action(client, "publish_selected", draft)
    assert page.status_code == 200
    html = text(page)
    assert "Publish a persona spec version" in html
    assert re.search(r'id="goes-active"><span class="persona-version">1\.0\.1</span>', html)
    assert re.search(r'id="gets-archived"><span class="persona-version">1\.0\.0</span>', html)
    assert "<strong>Twin in admin</strong>" in html
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}
    assert audit_rows(draft.twin) == before

    done = confirm_action(client, "publish_selected", draft, page)
    assert done.status_code == 200
    assert "Published version" in text(done) and "Version 1.0.0 was archived." in text(done)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"}
    assert audit_rows(draft.twin) == [*before, ("publish", "admin", "1.0.1", "1.0.0", "admin-publisher")]
    with schema_context("acme"):
        published = PersonaSpec.objects.get(pk=draft.pk)
        history = list(LogEntry.objects.filter(object_id=str(draft.pk)).values_list("change_message", flat=True))
    assert published.published_by_id == publisher.pk and published.published_at is not None
    assert history == ["Published version 1.0.1. Version 1.0.0 was archived."]  # the admin's object history


def test_publishing_the_first_version_names_nothing_to_archive(in_acme, twin, owner, publisher):
    draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec())
    client = admin_client(in_acme, publisher)
    page = run_action(client, "publish_selected", draft)
    assert "nothing: Twin in admin has no active version yet" in text(page)
    confirm_action(client, "publish_selected", draft, page)
    assert statuses(twin) == {"1.0.0": "active"}
    assert audit_rows(twin)[-1] == ("publish", "admin", "1.0.0", "", "admin-publisher")


def test_rollback_goes_through_confirmation_and_records_a_rollback(in_acme, active_and_draft, publisher, owner):
    active, draft = active_and_draft
    persona_spec_publish(persona_spec=draft, actor=owner)  # 1.0.1 active, 1.0.0 archived
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    page = run_action(client, "rollback_selected", active)
    html = text(page)
    assert "Roll back to an earlier persona spec version" in html
    assert re.search(r'id="goes-active"><span class="persona-version">1\.0\.0</span>', html)
    assert re.search(r'id="gets-archived"><span class="persona-version">1\.0\.1</span>', html)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"} and audit_rows(draft.twin) == before

    done = confirm_action(client, "rollback_selected", active, page)
    assert "Rolled back to version" in text(done)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "archived"}
    assert audit_rows(draft.twin) == [*before, ("rollback", "admin", "1.0.0", "1.0.1", "admin-publisher")]


def test_duplicate_goes_through_confirmation_and_creates_the_next_patch_draft(in_acme, active_and_draft,
                                                                              reviewer):
    active, _ = active_and_draft
    client = admin_client(in_acme, reviewer)  # duplicating needs the add permission, not publish
    before = audit_rows(active.twin)
    page = run_action(client, "duplicate_selected", active)
    html = text(page)
    assert "Duplicate a persona spec version as a new draft" in html
    assert '<span class="persona-version">1.0.2</span>' in html
    assert statuses(active.twin) == {"1.0.0": "active", "1.0.1": "draft"} and audit_rows(active.twin) == before

    done = confirm_action(client, "duplicate_selected", active, page)
    assert "was duplicated as the new draft" in text(done)
    with schema_context("acme"):
        copy = PersonaSpec.objects.get(twin=active.twin, version="1.0.2")
    assert (copy.status, copy.source) == ("draft", "duplicate")
    assert {k: v for k, v in copy.spec.items() if k != "version"} == {
        k: v for k, v in active.spec.items() if k != "version"}
    assert audit_rows(active.twin) == [*before, ("create", "admin", "1.0.2", "", "admin-reviewer")]


@pytest.mark.parametrize("action", ["publish_selected", "rollback_selected", "duplicate_selected"])
def test_more_or_less_than_one_selected_is_refused_and_changes_nothing(in_acme, active_and_draft, publisher,
                                                                       action):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    for selection in ([active, draft], []):
        response = run_action(client, action, *selection, follow=True, confirm="yes")
        assert response.status_code == 200
        assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}
        assert audit_rows(draft.twin) == before
    assert "Select exactly one version" in text(run_action(client, action, active, draft, follow=True))
    everything = run_action(client, action, active, follow=True, select_across="1", confirm="yes")
    assert "Select exactly one version" in text(everything)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"} and audit_rows(draft.twin) == before


def test_publish_refuses_the_active_and_older_versions_and_rollback_refuses_newer_ones(in_acme, active_and_draft,
                                                                                       publisher, owner):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    before = audit_rows(draft.twin)
    assert "is already the active version" in text(
        run_action(client, "publish_selected", active, follow=True, confirm="yes"))
    assert ("is newer than the active version 1.0.0: making it active is a publish, not a rollback: "
            "use “Publish selected version”") in text(
        run_action(client, "rollback_selected", draft, follow=True, confirm="yes"))
    persona_spec_publish(persona_spec=draft, actor=owner)
    before = audit_rows(draft.twin)
    assert ("is older than the active version 1.0.1: making it active is a rollback: "
            "use “Roll back to selected version”") in text(
        run_action(client, "publish_selected", active, follow=True, confirm="yes"))
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active"} and audit_rows(draft.twin) == before


def test_a_stale_confirmation_changes_nothing_and_shows_the_new_state(in_acme, active_and_draft, publisher, owner):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    newer = persona_spec_create(twin=draft.twin, actor=owner, spec=example_spec())
    page = run_action(client, "publish_selected", newer)  # says: 1.0.0 gets archived
    persona_spec_publish(persona_spec=draft, actor=owner)  # meanwhile someone publishes 1.0.1
    before = audit_rows(draft.twin)
    response = confirm_action(client, "publish_selected", newer, page)
    html = text(response)
    assert "changed since the confirmation page was shown" in html
    assert re.search(r'id="gets-archived"><span class="persona-version">1\.0\.1</span>', html)
    assert statuses(draft.twin) == {"1.0.0": "archived", "1.0.1": "active", "1.0.2": "draft"}
    assert audit_rows(draft.twin) == before


def test_a_version_that_no_longer_compiles_is_refused_with_its_problems(in_acme, active_and_draft, publisher,
                                                                        monkeypatch):
    from personas import transitions
    from personas.spec import SpecValidationError

    def broken(spec):
        raise SpecValidationError([{"path": "/procedural_modules/0", "message": "unknown <module>"}])

    _, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    page = run_action(client, "publish_selected", draft)
    before = audit_rows(draft.twin)
    monkeypatch.setattr(transitions, "precompile", broken)
    html = text(confirm_action(client, "publish_selected", draft, page))
    assert "Could not publish version 1.0.1" in html
    assert "<code>/procedural_modules/0</code>: unknown &lt;module&gt;" in html
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"} and audit_rows(draft.twin) == before


def test_a_forged_selection_is_refused(in_acme, active_and_draft, publisher):
    _, draft = active_and_draft
    response = admin_client(in_acme, publisher).post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": ["1 OR 1=1"], "confirm": "yes"}, follow=True)
    assert "The selection is not valid" in text(response)
    assert statuses(draft.twin) == {"1.0.0": "active", "1.0.1": "draft"}


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


# --- the audit trail --------------------------------------------------------------------------------

def test_audit_list_shows_the_trail_with_its_filters(in_acme, active_and_draft, publisher):
    active, draft = active_and_draft
    client = admin_client(in_acme, publisher)
    confirm_action(client, "publish_selected", draft, run_action(client, "publish_selected", draft))
    response = client.get(AUDIT_CHANGELIST, {"twin__id__exact": draft.twin_id})
    html = text(response)
    assert response.status_code == 200
    for parameter in ("twin__id__exact", "action__exact", "actor__id__exact", "channel__exact"):
        assert parameter in html
    rows = list(response.context["cl"].result_list)
    assert [(e.action, e.channel, e.version, e.previous_version) for e in rows][0] == (
        "publish", "admin", "1.0.1", "1.0.0")
    assert ">admin-publisher<" in html and f'href="{review_url(draft)}"' in html
    admin_only = client.get(AUDIT_CHANGELIST, {"twin__id__exact": draft.twin_id, "channel__exact": "admin"})
    assert [e.channel for e in admin_only.context["cl"].result_list] == ["admin"]


def test_audit_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(in_acme, active_and_draft):
    active, _ = active_and_draft
    client = admin_client(in_acme, demo_admin(in_acme))
    with schema_context("acme"):
        event = AuditEvent.objects.filter(twin=active.twin).first()
    change_url = f"{AUDIT_CHANGELIST}{event.pk}/change/"
    view = client.get(change_url)
    assert view.status_code == 200
    assert 'name="_save"' not in text(view) and "View audit event" in text(view)
    assert client.post(change_url, {"action": "rollback", "version": "9.9.9"}).status_code == 403
    assert client.get(f"{AUDIT_CHANGELIST}{event.pk}/delete/").status_code == 403
    assert client.post(f"{AUDIT_CHANGELIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{AUDIT_CHANGELIST}add/").status_code == 403
    changelist = text(client.get(AUDIT_CHANGELIST))
    assert "delete_selected" not in changelist
    forged = client.post(AUDIT_CHANGELIST, {"action": "delete_selected", "_selected_action": [event.pk],
                                            "post": "yes"}, follow=True)
    assert forged.status_code == 200
    with schema_context("acme"):
        stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.version) == (event.action, event.version)


@pytest.mark.parametrize("schema", ["acme", "globex"])
def test_demo_staff_publisher_may_publish_and_reviewer_may_not(acme, globex, schema):
    tenant = {"acme": acme, "globex": globex}[schema]
    from django.contrib.auth import get_user_model

    with schema_context(schema):  # permissions are looked up in the tenant's schema
        users = {user.username: user for user in get_user_model().objects.filter(username__in=["publisher",
                                                                                               "reviewer"])}
        assert users["publisher"].is_staff and users["reviewer"].is_staff
        assert not users["publisher"].is_superuser and not users["reviewer"].is_superuser
        assert users["publisher"].groups.filter(name="Persona governance").exists()
        assert users["publisher"].has_perm("personas.publish_personaspec")
        assert not users["reviewer"].has_perm("personas.publish_personaspec")
        assert users["reviewer"].has_perm("personas.add_personaspec")
    for username in ("publisher", "reviewer"):  # both can sign in to the tenant's admin and open the list
        assert admin_client(tenant, users[username]).get(CHANGELIST).status_code == 200


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
