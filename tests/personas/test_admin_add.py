"""Drafting a version in the admin: the editor, its starting points, and refusals shown on their fields.

Shared helpers are in admin_support.py, the fixtures (owner, twin, publisher, reviewer,
active_and_draft) in conftest.py.
"""

from __future__ import annotations

import json

from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from tests.factories import demo_admin, make_user
from tests.personas.admin_support import (
    ADD,
    CHANGELIST,
    VIEWER_PERMS,
    admin_client,
    audit_rows,
    review_url,
    statuses,
    text,
)
from tests.personas.builders import example_spec

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


def test_the_add_form_proposes_the_version_the_changes_deserve_and_stores_nothing(in_acme, active_and_draft,
                                                                                   publisher):
    active, _ = active_and_draft
    spec = {key: value for key, value in active.spec.items() if key != "version"}
    spec["constitution"] = [*spec["constitution"], "Always name the trade-off."]
    client = admin_client(in_acme, publisher)
    before = audit_rows(active.twin)
    response = client.post(ADD, {"twin": str(active.twin_id), "requested_version": "", "notes": "",
                                 "spec_text": json.dumps(spec), "_suggest_version": "Suggest a version number"})
    html = text(response)
    assert response.status_code == 200 and 'name="requested_version" value="1.1.0"' in html
    assert "Suggested version 1.1.0: a minor change against the active version 1.0.0." in html
    assert audit_rows(active.twin) == before and statuses(active.twin) == {"1.0.0": "active", "1.0.1": "draft"}
    invalid = text(client.post(ADD, {"twin": str(active.twin_id), "requested_version": "", "notes": "",
                                     "spec_text": json.dumps({"constitution": "x"}), "_suggest_version": "1"}))
    assert "/constitution" in invalid and "Suggested version" not in invalid


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


def editor_attributes(response) -> dict[str, str]:
    """The data-* attributes of the spec textarea, unescaped as a browser reads them."""
    import html as html_module
    import re

    textarea = re.search(r"<textarea [^>]*name=\"spec_text\"[^>]*>", text(response)).group(0)
    return {name: html_module.unescape(value) for name, value in re.findall(r'(data-[\w-]+)="([^"]*)"', textarea)}


def test_the_editor_gets_the_served_schema_its_files_and_no_inline_script(in_acme, publisher):
    import re

    from personas.spec import persona_spec_json_schema

    response = admin_client(in_acme, publisher).get(ADD)
    attributes = editor_attributes(response)
    assert attributes["data-spec-editor"] == "v1"
    assert json.loads(attributes["data-schema"]) == persona_spec_json_schema()
    assert json.loads(attributes["data-server-problems"]) == []
    assert attributes["data-stylesheet"].endswith("editor/persona-spec-editor.css")
    assert '<script src="/static/editor/persona-spec-editor.js"></script>' in text(response)
    # Content-Security-Policy: every script of the page comes from a file.
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", text(response)) == []


def test_server_problems_reach_the_editor_with_their_json_pointer(in_acme, twin, publisher):
    spec = example_spec()
    spec["procedural_modules"][0]["few_shot_ids"] = ["ex9"]
    response = admin_client(in_acme, publisher).post(ADD, {"twin": str(twin.pk), "spec_text": json.dumps(spec)})
    problems = json.loads(editor_attributes(response)["data-server-problems"])
    assert {"path": "/procedural_modules/0/few_shot_ids/0",
            "message": "unknown canonical example id 'ex9'"} in problems
    too_deep = admin_client(in_acme, publisher).post(ADD, {
        "twin": str(twin.pk), "spec_text": '{"metadata": ' + '{"a": ' * 70 + "1" + "}" * 71})
    [problem] = json.loads(editor_attributes(too_deep)["data-server-problems"])
    assert problem["path"].startswith("/metadata/a/a/")


def test_the_editor_starts_with_the_sections_in_the_schema_order(in_acme, active_and_draft, publisher):
    from personas.spec import persona_spec_json_schema

    active, _ = active_and_draft
    response = admin_client(in_acme, publisher).get(ADD, {"twin": str(active.twin_id), "from": "active"})
    shown = json.loads(response.context["adminform"].form.initial["spec_text"])
    assert list(shown) == [key for key in persona_spec_json_schema()["properties"] if key in shown]
    assert list(shown["canonical_examples"][0])[:2] == ["id", "intent_label"]


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
