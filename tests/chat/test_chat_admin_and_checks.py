"""The chat admin is a read-only record, filterable by trace; bad LLM settings fail at start."""

from __future__ import annotations

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from chat.checks import llm_settings_check
from chat.models import Conversation, Message
from tests.factories import api_client, make_user
from tests.personas.builders import new_twin


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
