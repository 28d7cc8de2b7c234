"""Fixtures of the chat API tests (test_chat_api.py, test_chat_stream.py): the twin's published spec and
an API client of its owner.

Each module defines its own `owner` and `twin` of acme; these fixtures use the module's. `client` here
is an API client with the owner's token (not pytest-django's `client`).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def published(twin, owner, django_capture_on_commit_callbacks):
    """1.0.0 of `twin`, published by its owner (on-commit work run, as after a real commit)."""
    from django_tenants.utils import schema_context

    from personas.services import persona_spec_create
    from personas.transitions import persona_spec_publish
    from tests.personas.builders import example_spec

    with schema_context("acme"):
        draft = persona_spec_create(twin=twin, actor=owner, spec=example_spec())
        with django_capture_on_commit_callbacks(execute=True):
            persona_spec_publish(persona_spec=draft, actor=owner)
    return draft


@pytest.fixture
def client(acme, owner):
    from tests.factories import api_client

    return api_client(acme, owner)
