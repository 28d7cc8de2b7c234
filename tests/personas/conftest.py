"""Fixtures of the persona admin tests (test_admin.py, test_admin_twins.py): users and a twin of acme.

A test module that defines a fixture of the same name (`owner`, `twin`) uses its own. Django is
imported inside the fixtures, so that the plain-Python suites here also run with `-p no:django`.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def owner(in_acme):
    from tests.factories import make_user

    return make_user(in_acme, "admin-spec-owner")


@pytest.fixture
def twin(owner):
    from tests.personas.builders import new_twin

    return new_twin(owner, "Twin in admin")


@pytest.fixture
def publisher(in_acme):
    from tests.factories import make_user
    from tests.personas.admin_support import PUBLISHER_PERMS

    return make_user(in_acme, "admin-publisher", perms=PUBLISHER_PERMS, staff=True)


@pytest.fixture
def reviewer(in_acme):
    from tests.factories import make_user
    from tests.personas.admin_support import REVIEWER_PERMS

    return make_user(in_acme, "admin-reviewer", perms=REVIEWER_PERMS, staff=True)


@pytest.fixture
def active_and_draft(twin, owner):
    """1.0.0 active, 1.0.1 a draft that changes one constitution rule and adds one."""
    from django_tenants.utils import schema_context

    from personas.models import PersonaSpec
    from personas.services import persona_spec_create
    from personas.transitions import persona_spec_publish
    from tests.personas.builders import example_spec

    active = persona_spec_create(twin=twin, actor=owner, spec=example_spec())
    persona_spec_publish(persona_spec=active, actor=owner)
    changed = example_spec()
    changed["constitution"] = ["Never invent sources, numbers or certainty.", *changed["constitution"][1:],
                               "Say which assumption matters most."]
    draft = persona_spec_create(twin=twin, actor=owner, spec=changed, notes="Sharper constitution.")
    with schema_context("acme"):
        return PersonaSpec.objects.get(pk=active.pk), PersonaSpec.objects.get(pk=draft.pk)
