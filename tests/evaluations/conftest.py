"""Fixtures of the evaluation tests: a twin with a version, the API clients, an OpenAI-compatible
server configured as the provider, and a real procrastinate worker in a thread."""

from __future__ import annotations

import pytest


@pytest.fixture
def eval_owner(acme):
    from tests.factories import make_user

    return make_user(acme, "eval-owner")


@pytest.fixture
def eval_twin(acme, eval_owner):
    from django_tenants.utils import schema_context

    from tests.personas.builders import new_twin

    with schema_context("acme"):
        return new_twin(eval_owner, name="Maya")


@pytest.fixture
def eval_client(acme, eval_owner):
    from tests.factories import api_client

    return api_client(acme, eval_owner)


@pytest.fixture
def model_provider(settings):
    """`with model_provider(answer, delay_s=…) as log:` makes an OpenAI-compatible server on 127.0.0.1
    the configured provider for the block."""
    from contextlib import contextmanager

    from tests.fake_model import fake_model

    @contextmanager
    def use(answer, *, delay_s: float = 0.0):
        with fake_model(answer, delay_s=delay_s) as (url, log):
            settings.LLM_PROVIDER, settings.LLM_BASE_URL = "openai", url
            settings.LLM_MODEL, settings.LLM_TIMEOUT_SECONDS = "test-model", 5.0
            yield log

    return use
