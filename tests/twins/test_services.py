"""Twin services called directly: refusals are domain errors, and a refused update writes nothing."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from tests.factories import make_user
from twins.models import Twin
from twins.services import twin_create, twin_update


@pytest.fixture
def twin(in_acme):
    return twin_create(owner=make_user(in_acme, "twin-service-owner"), name="Service twin")


def test_update_refuses_fields_that_are_not_editable_with_a_path_for_each(twin):
    with pytest.raises(ValidationFailed) as refused:
        twin_update(twin=twin, actor=twin.owner, name="Renamed", owner=None, id="forged")
    assert refused.value.errors == [
        {"path": "/id", "message": "not editable"},
        {"path": "/owner", "message": "not editable"},
    ]
    assert refused.value.status_code == 400
    stored = Twin.objects.get(pk=twin.pk)
    assert (stored.name, stored.owner_id, stored.updated_at) == ("Service twin", twin.owner_id, twin.updated_at)


def test_update_changes_the_editable_fields(twin):
    updated = twin_update(twin=twin, actor=twin.owner, name="Renamed", status=Twin.Status.ARCHIVED)
    stored = Twin.objects.get(pk=twin.pk)
    assert (updated.name, stored.name, stored.status) == ("Renamed", "Renamed", "archived")
