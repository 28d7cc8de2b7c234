"""Twin and memory API on real tenant schemas, with a second tenant proving isolation."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.factories import api_client, demo_admin, make_user
from twins.models import Memory, Twin


@pytest.fixture
def acme_owner(acme):
    return make_user(acme, "owner")


def create_twin(client, **body):
    return client.post("/api/twins/", {"name": "Ada", **body}, format="json")


def test_create_makes_the_caller_owner(acme, acme_owner):
    response = create_twin(api_client(acme, acme_owner), settings={"public_intro": "Hi"})
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == {"id": acme_owner.pk, "username": "owner"}
    assert body["settings"] == {"public_intro": "Hi"}
    assert body["status"] == "active"
    with schema_context("acme"):
        assert Twin.objects.get(pk=body["id"]).owner_id == acme_owner.pk


def test_paths_answer_without_trailing_slash_and_post_is_not_redirected(acme, acme_owner):
    client = api_client(acme, acme_owner)
    created = client.post("/api/twins", {"name": "No slash"}, format="json")
    assert created.status_code == 201
    twin_id = created.json()["id"]
    assert client.get(f"/api/twins/{twin_id}").status_code == 200
    assert client.patch(f"/api/twins/{twin_id}", {"name": "Renamed"}, format="json").json()["name"] == "Renamed"


def test_list_shows_only_twins_the_caller_may_see(acme, acme_owner):
    other = make_user(acme)
    viewer = make_user(acme, perms=["twins.view_twin"])
    mine = create_twin(api_client(acme, acme_owner), name="Mine").json()["id"]
    theirs = create_twin(api_client(acme, other), name="Theirs").json()["id"]

    own_ids = [t["id"] for t in api_client(acme, acme_owner).get("/api/twins/").json()["results"]]
    assert own_ids == [mine]
    viewer_page = api_client(acme, viewer).get("/api/twins/").json()
    assert {mine, theirs} <= {t["id"] for t in viewer_page["results"]}
    assert set(viewer_page) == {"count", "next", "previous", "results"}


def test_patch_updates_fields(acme, acme_owner):
    client = api_client(acme, acme_owner)
    twin_id = create_twin(client).json()["id"]
    response = client.patch(f"/api/twins/{twin_id}/", {"settings": {"persona_profile": "Calm"}, "status": "archived"},
                            format="json")
    assert response.status_code == 200
    assert response.json()["settings"] == {"persona_profile": "Calm"}
    assert response.json()["status"] == "archived"


def test_other_user_without_permissions_cannot_see_or_change(acme, acme_owner):
    twin_id = create_twin(api_client(acme, acme_owner)).json()["id"]
    stranger = api_client(acme, make_user(acme))
    assert stranger.get(f"/api/twins/{twin_id}/").status_code == 404
    assert stranger.patch(f"/api/twins/{twin_id}/", {"name": "x"}, format="json").status_code == 404


def test_viewer_can_read_but_not_change(acme, acme_owner):
    twin_id = create_twin(api_client(acme, acme_owner)).json()["id"]
    viewer = api_client(acme, make_user(acme, perms=["twins.view_twin"]))
    assert viewer.get(f"/api/twins/{twin_id}/").status_code == 200
    response = viewer.patch(f"/api/twins/{twin_id}/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"]
    with schema_context("acme"):
        assert Twin.objects.get(pk=twin_id).name == "Ada"


@pytest.mark.parametrize(
    "body, path",
    [
        ({}, "/name"),
        ({"name": ""}, "/name"),
        ({"name": "x" * 201}, "/name"),
        ({"name": "Ok", "settings": [1, 2]}, "/settings"),
        ({"name": "Ok", "settings": "text"}, "/settings"),
        ({"name": "Ok", "settings": {"signature_phrases": "not a list"}}, "/settings/signature_phrases"),
        ({"name": "Ok", "status": "deleted"}, "/status"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(acme, acme_owner, body, path):
    response = api_client(acme, acme_owner).post("/api/twins/", body, format="json")
    assert response.status_code == 400
    assert path in [error["path"] for error in response.json()["errors"]]


def test_malformed_json_is_a_400(acme, acme_owner):
    response = api_client(acme, acme_owner).post("/api/twins/", '{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == ""
    assert "JSON" in response.json()["detail"]


def test_nothing_is_written_by_a_failed_create(acme, acme_owner):
    with schema_context("acme"):
        before = Twin.objects.count()
    api_client(acme, acme_owner).post("/api/twins/", {"name": "x" * 500}, format="json")
    with schema_context("acme"):
        assert Twin.objects.count() == before


def test_memories_list_and_create(acme, acme_owner):
    client = api_client(acme, acme_owner)
    twin_id = create_twin(client).json()["id"]
    created = client.post(f"/api/twins/{twin_id}/memories/",
                          {"topic": "pricing", "value": "Charge early", "stance": "strong", "intensity": 9,
                           "status": "approved"}, format="json")
    assert created.status_code == 201
    assert created.json()["twin_id"] == twin_id
    listed = client.get(f"/api/twins/{twin_id}/memories").json()
    assert [m["topic"] for m in listed["results"]] == ["pricing"]


@pytest.mark.parametrize("intensity", [-1, 11, "high"])
def test_memory_intensity_must_be_0_to_10(acme, acme_owner, intensity):
    client = api_client(acme, acme_owner)
    twin_id = create_twin(client).json()["id"]
    response = client.post(f"/api/twins/{twin_id}/memories/", {"topic": "t", "value": "v", "intensity": intensity},
                           format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "/intensity"
    with schema_context("acme"):
        assert not Memory.objects.filter(twin_id=twin_id).exists()


def test_memories_of_a_hidden_twin_are_404(acme, acme_owner):
    twin_id = create_twin(api_client(acme, acme_owner)).json()["id"]
    stranger = api_client(acme, make_user(acme))
    assert stranger.get(f"/api/twins/{twin_id}/memories/").status_code == 404
    assert stranger.post(f"/api/twins/{twin_id}/memories/", {"topic": "t", "value": "v"},
                         format="json").status_code == 404


# --- a second tenant ------------------------------------------------------------------------------

def test_a_twin_of_acme_is_404_from_globex(acme, globex, acme_owner):
    twin_id = create_twin(api_client(acme, acme_owner)).json()["id"]
    globex_admin = api_client(globex, demo_admin(globex))
    assert globex_admin.get(f"/api/twins/{twin_id}/").status_code == 404
    assert globex_admin.get(f"/api/twins/{twin_id}/memories/").status_code == 404
    assert twin_id not in [t["id"] for t in globex_admin.get("/api/twins/").json()["results"]]


def test_acme_token_is_401_at_globex(acme, globex):
    client = api_client(acme, demo_admin(acme))
    client.defaults["HTTP_HOST"] = "globex.localhost"
    response = client.get("/api/twins/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_same_username_in_both_tenants_with_different_passwords(acme, globex):
    make_user(acme, "sam", password="acme-secret-1")
    make_user(globex, "sam", password="globex-secret-2")

    def logs_in(tenant, password) -> bool:
        response = api_client(tenant).post("/accounts/login/", {"username": "sam", "password": password})
        return response.status_code == 302  # the form answers 200 with errors on bad credentials

    assert logs_in(acme, "acme-secret-1")
    assert not logs_in(globex, "acme-secret-1")
    assert logs_in(globex, "globex-secret-2")
    assert not logs_in(acme, "globex-secret-2")


def test_no_credentials_is_401(acme):
    response = api_client(acme).get("/api/twins/")
    assert response.status_code == 401
    assert "detail" in response.json()
