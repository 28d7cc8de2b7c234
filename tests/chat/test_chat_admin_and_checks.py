"""The chat admin is a read-only record, filterable by trace; bad LLM settings fail at start."""

from __future__ import annotations

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from chat.checks import llm_settings_check
from chat.models import Conversation, Message
from personas.services import persona_spec_create
from personas.transitions import persona_spec_publish
from tests.factories import api_client, make_user
from tests.personas.builders import example_spec, new_twin

PILOT_QUESTION = "Should we offer a free pilot to our first enterprise customer?"


def admin_client(tenant) -> Client:
    client = Client(HTTP_HOST=f"{tenant.schema_name}.localhost")
    assert client.post("/admin/login/", {"username": "admin", "password": "demo-password"}).status_code == 302
    return client


def test_messages_are_listed_read_only_and_filter_by_prompt_source(acme):
    owner = make_user(acme, "admin-chat-owner")
    with schema_context("acme"):
        twin = new_twin(owner, name="Admin chat twin")
    api_client(acme, owner).post(f"/api/twins/{twin.pk}/chat", {"message": "Hello there"}, format="json")
    client = admin_client(acme)
    legacy = client.get("/admin/chat/message/?prompt_source=legacy").content.decode()
    assert "Admin chat twin" in legacy  # the assistant message of this twin's conversation
    assert "Admin chat twin" not in client.get("/admin/chat/message/?prompt_source=persona_spec").content.decode()
    with schema_context("acme"):
        message = Message.objects.filter(conversation__twin=twin, role="assistant").get()
        conversation = Conversation.objects.get(twin=twin)
    assert client.get("/admin/chat/message/add/").status_code == 403
    change = client.get(f"/admin/chat/message/{message.pk}/change/")
    assert change.status_code == 200 and b'name="_save"' not in change.content
    post = client.post(f"/admin/chat/conversation/{conversation.pk}/change/", {"title": "rewritten"})
    assert post.status_code == 403
    with schema_context("acme"):
        assert Conversation.objects.get(pk=conversation.pk).title == "Hello there"


def test_globex_admin_does_not_list_acme_messages(acme, globex):
    owner = make_user(acme, "admin-chat-owner-2")
    with schema_context("acme"):
        twin = new_twin(owner, name="Isolated twin")
    api_client(acme, owner).post(f"/api/twins/{twin.pk}/chat", {"message": "Acme secret"}, format="json")
    assert "Acme secret" in admin_client(acme).get("/admin/chat/message/").content.decode()
    assert "Acme secret" not in admin_client(globex).get("/admin/chat/message/").content.decode()


def twin_answering(tenant, owner, name, *, reply=None, capture=None):
    """A twin of `tenant` that has answered PILOT_QUESTION once: with `reply` (its spec's canonical
    example) when given, else with no spec (the legacy persona)."""
    with schema_context(tenant.schema_name):
        twin = new_twin(owner, name=name)
        if reply is not None:
            spec = example_spec()
            spec["canonical_examples"][0]["response"] = reply
            with capture(execute=True):
                persona_spec_publish(persona_spec=persona_spec_create(twin=twin, actor=owner, spec=spec), actor=owner)
    response = api_client(tenant, owner).post(f"/api/twins/{twin.pk}/chat", {"message": PILOT_QUESTION}, format="json")
    assert response.status_code == 200
    return response.json()["trace"]["compliance"]


def listed_twins(client, query: str) -> set[str]:
    response = client.get(f"/admin/chat/message/{query}")
    assert response.status_code == 200
    return {message.conversation.twin.name for message in response.context["cl"].result_list}


def test_messages_filter_by_compliance_within_their_tenant(acme, globex, django_capture_on_commit_callbacks):
    acme_owner, globex_owner = make_user(acme, "compliance-owner"), make_user(globex, "compliance-owner")
    breaking = "Great question! There are many factors to consider, and every startup is unique."
    clean = twin_answering(acme, acme_owner, "Acme clean", reply="No. Charge for the pilot.",
                           capture=django_capture_on_commit_callbacks)
    low = twin_answering(acme, acme_owner, "Acme low", reply=breaking, capture=django_capture_on_commit_callbacks)
    unchecked = twin_answering(acme, acme_owner, "Acme legacy")
    twin_answering(globex, globex_owner, "Globex low", reply=breaking, capture=django_capture_on_commit_callbacks)
    assert (clean["score"], low["score"], unchecked) == (1.0, 0.25, None)
    client = admin_client(acme)

    # Other tests' committed replies may be listed too: only this test's twins are checked.
    low = listed_twins(client, "?compliance=low")
    assert "Acme low" in low and not low & {"Acme clean", "Acme legacy", "Globex low"}
    ok = listed_twins(client, "?compliance=ok")
    assert "Acme clean" in ok and not ok & {"Acme low", "Acme legacy"}
    not_checked = listed_twins(client, "?compliance=unchecked")
    assert "Acme legacy" in not_checked and not not_checked & {"Acme clean", "Acme low"}
    everything = client.get("/admin/chat/message/").content.decode()
    assert "Globex low" not in everything and "Globex low" in admin_client(globex).get(
        "/admin/chat/message/?compliance=low").content.decode()
    assert ">25%<" in everything and ">100%<" in everything  # the compliance column
    assert "low (&lt; 0.7)" in everything and "ok (≥ 0.7)" in everything and "not checked" in everything


def test_unknown_llm_provider_fails_the_system_check():
    with override_settings(LLM_PROVIDER="gpt"):
        errors = llm_settings_check(None)
    assert [error.id for error in errors] == ["chat.E001"]
    assert "offline" in errors[0].msg and "openai" in errors[0].msg
    assert llm_settings_check(None) == []


def test_chat_admin_is_not_served_on_the_public_host(db):
    client = Client(HTTP_HOST="localhost")
    assert client.post("/admin/login/", {"username": "admin", "password": "demo-password"}).status_code == 302
    assert client.get("/admin/chat/conversation/").status_code == 403
    assert b"/admin/chat/" not in client.get("/admin/").content
