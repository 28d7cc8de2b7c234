"""The OpenAPI schema is generated without a warning and validates, and the interaction contexts of the
chat model and of the prompt renderer are one choice set."""

from __future__ import annotations

from django.core.management import call_command


def test_the_schema_validates_without_warnings(tmp_path, db):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in ("/api/twins/{twin_id}/persona-specs/{version}/preview", "/api/twins/{twin_id}/eval-cases",
                 "/api/twins/{twin_id}/persona-specs/{version}/approvals", "/api/publish-policy"):
        assert f"  {path}" in schema.replace("/?", ""), path


def test_one_interaction_context_choice_set():
    from chat.models import Conversation
    from personas.prompting import INTERACTION_CONTEXT_CHOICES, INTERACTION_CONTEXTS

    assert list(Conversation.Context.choices) == INTERACTION_CONTEXT_CHOICES
    assert [value for value, _ in INTERACTION_CONTEXT_CHOICES] == list(INTERACTION_CONTEXTS)


def test_fields_a_draft_leaves_empty_are_nullable_in_the_schema(tmp_path, db):
    import yaml

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    row = yaml.safe_load(target.read_text())["components"]["schemas"]["PersonaSpec"]["properties"]
    assert row["published_by"].get("nullable") is True and row["published_at"].get("nullable") is True
    assert row["created_by"].get("nullable") is True  # the author's account may have been deleted
