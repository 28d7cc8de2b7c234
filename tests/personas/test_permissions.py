"""One answer to "may this user do X to this twin's specs", for every channel, per tenant."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django_tenants.utils import schema_context

from core.errors import PermissionDenied
from personas.permissions import SpecAction, may, may_on_some_twin, may_see_specs_of, require, users_who_may
from tests.factories import make_user
from tests.personas.builders import new_twin


@pytest.fixture
def owner(in_acme):
    return make_user(in_acme, "perm-owner")


@pytest.fixture
def twin(owner):
    return new_twin(owner)


def test_the_owner_may_view_draft_and_publish_on_their_twin(twin, owner):
    assert all(may(owner, action, twin) for action in (SpecAction.VIEW, SpecAction.ADD, SpecAction.PUBLISH))
    require(owner, SpecAction.PUBLISH, twin)


def test_others_need_the_model_permission_of_each_action(in_acme, twin):
    drafter = make_user(in_acme, perms=["personas.view_personaspec", "personas.add_personaspec"])
    assert may(drafter, SpecAction.ADD, twin) and not may(drafter, SpecAction.PUBLISH, twin)
    with pytest.raises(PermissionDenied, match="may not publish or roll back"):
        require(drafter, SpecAction.PUBLISH, twin)
    assert may_on_some_twin(drafter, SpecAction.ADD) and not may_on_some_twin(drafter, SpecAction.PUBLISH)


def test_an_inactive_owner_may_nothing(twin, owner):
    owner.is_active = False
    assert not any(may(owner, action, twin) for action in SpecAction)


def test_a_twin_exists_on_the_spec_endpoints_only_for_who_may_see_it(in_acme, twin):
    stranger = make_user(in_acme)
    assert not may_see_specs_of(stranger, twin)
    assert may_see_specs_of(make_user(in_acme, perms=["personas.add_personaspec"]), twin)
    assert may_see_specs_of(make_user(in_acme, perms=["twins.view_twin"]), twin)


def test_who_may_publish_names_the_owner_then_holders_of_the_permission(in_acme, twin, owner):
    direct = make_user(in_acme, "perm-direct", perms=["personas.publish_personaspec"])
    grouped = make_user(in_acme, "perm-grouped")
    make_user(in_acme, "perm-none", perms=["personas.view_personaspec"])
    with schema_context("acme"):
        grouped.groups.add(Group.objects.get(name="Persona governance"))
        who = users_who_may(SpecAction.PUBLISH, twin)
    assert who[0] == owner.username
    assert {direct.username, grouped.username, "admin", "publisher"} <= set(who)
    assert "perm-none" not in who and "reviewer" not in who


def test_a_permission_in_one_tenant_grants_nothing_in_another(acme, globex):
    with schema_context("globex"):
        globex_owner = make_user(globex, "perm-globex-owner")
        globex_twin = new_twin(globex_owner)
        who = users_who_may(SpecAction.PUBLISH, globex_twin)
    with schema_context("acme"):
        acme_publisher = make_user(acme, "perm-acme-publisher", perms=["personas.publish_personaspec"])
    # Users and their permissions live in each tenant's schema: acme's publisher is nobody in globex.
    assert who[0] == "perm-globex-owner" and acme_publisher.username not in who


def test_approving_and_overriding_are_roles_even_for_the_owner(in_acme, twin, owner):
    assert not may(owner, SpecAction.APPROVE, twin) and not may(owner, SpecAction.OVERRIDE_GATE, twin)
    approver = make_user(in_acme, "perm-approver", perms=["personas.approve_personaspec"])
    assert may(approver, SpecAction.APPROVE, twin) and not may(approver, SpecAction.PUBLISH, twin)
    who = users_who_may(SpecAction.APPROVE, twin)
    assert owner.username not in who and approver.username in who
