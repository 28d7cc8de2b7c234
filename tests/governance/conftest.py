"""Fixtures of the governance tests: a twin of acme, a draft written by `author`, reviewers who may
approve (`rob`, `sam`), a publisher, and a policy that requires approvals.

Django is imported inside the fixtures, like the other conftest files.
"""

from __future__ import annotations

import pytest

APPROVER_PERMS = ["personas.approve_personaspec", "personas.view_personaspec", "personas.view_auditevent",
                  "twins.view_twin", "governance.view_approval"]
AUTHOR_PERMS = ["personas.view_personaspec", "personas.add_personaspec", "twins.view_twin"]
PUBLISHER_PERMS = [*AUTHOR_PERMS, "personas.publish_personaspec", "personas.view_auditevent"]


@pytest.fixture
def owner(in_acme):
    from tests.factories import make_user

    return make_user(in_acme, "gov-owner")


@pytest.fixture
def twin(owner):
    from tests.personas.builders import new_twin

    return new_twin(owner, "Governed twin")


@pytest.fixture
def author(in_acme):
    """Writes the drafts; may approve too, so that refusing them proves the author rule, not a permission."""
    from tests.factories import make_user

    return make_user(in_acme, "gov-author", perms=[*AUTHOR_PERMS, "personas.approve_personaspec"], staff=True)


@pytest.fixture
def rob(in_acme):
    from tests.factories import make_user

    return make_user(in_acme, "rob", perms=APPROVER_PERMS, staff=True)


@pytest.fixture
def sam(in_acme):
    from tests.factories import make_user

    return make_user(in_acme, "sam", perms=APPROVER_PERMS, staff=True)


@pytest.fixture
def publisher(in_acme):
    from tests.factories import make_user

    return make_user(in_acme, "gov-publisher", perms=PUBLISHER_PERMS, staff=True)


@pytest.fixture
def draft(twin, author):
    from personas.services import persona_spec_create
    from tests.personas.builders import example_spec

    return persona_spec_create(twin=twin, actor=author, spec=example_spec(), notes="For review.")


@pytest.fixture
def policy_admin(in_acme):
    from tests.factories import make_user

    return make_user(in_acme, "gov-policy-admin", perms=["governance.change_publishpolicy",
                                                         "governance.view_publishpolicy", "twins.view_twin"],
                     staff=True)


def require_approvals(twin, count: int = 1):
    """The twin's own policy, written directly (the service is tested on its own)."""
    from governance.models import PublishPolicy

    return PublishPolicy.objects.create(twin=twin, require_approval=True, approvals_required=count)
