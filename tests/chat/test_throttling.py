"""The chat throttle counts per user *and tenant*: user ids restart in every tenant's schema."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.test import Client
from django_tenants.utils import schema_context

from api_tokens.services import api_token_create
from tests.personas.builders import new_twin


def user_with_id(schema: str, user_id: int):
    with schema_context(schema):
        return get_user_model().objects.create_user(id=user_id, username=f"throttled-{schema}",
                                                    password="pw-for-tests-1")


def chatter(schema: str, user):
    """A plain Django test client on the tenant's host with the user's token, and the user's twin."""
    with schema_context(schema):
        _row, token = api_token_create(user=user, expires_in=None)
        twin = new_twin(user, name=f"{schema} twin")
    client = Client(HTTP_HOST=f"{schema}.localhost", HTTP_AUTHORIZATION=f"Token {token}")

    def chat():
        return client.post(f"/api/twins/{twin.pk}/chat", {"message": "Hello"}, content_type="application/json")

    return chat


def test_the_same_user_id_in_two_tenants_has_two_budgets(acme, globex, settings):
    settings.CHAT_THROTTLE_RATE = "1/min"
    highest = []
    for schema in ("acme", "globex"):
        with schema_context(schema):
            highest.append(get_user_model().objects.aggregate(Max("id"))["id__max"] or 0)
    user_id = max(highest) + 1
    acme_user, globex_user = user_with_id("acme", user_id), user_with_id("globex", user_id)
    assert acme_user.pk == globex_user.pk == user_id
    acme_chat, globex_chat = chatter("acme", acme_user), chatter("globex", globex_user)

    assert acme_chat().status_code == 200
    spent = acme_chat()
    assert spent.status_code == 429 and "Retry-After" in spent  # acme's user spent its one turn
    assert globex_chat().status_code == 200  # globex's user with the same id has its own
    assert globex_chat().status_code == 429
    assert acme_chat().status_code == 429
