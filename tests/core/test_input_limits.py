"""Input limits in one place (core.input_limits): checked before any recursive parsing, and stored
data that predates a limit never breaks a page."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from core.input_limits import (
    MAX_ABS_INTEGER,
    MAX_JSON_DEPTH,
    clip,
    iterative_json_dumps,
    json_depth_problem,
    json_value_problems,
)
from tests.factories import api_client, demo_admin
from tests.personas.admin_support import ADD, admin_client
from twins.models import Twin


def nested(levels: int, leaf: str = '"x"', key: str = "a") -> str:
    return '{"%s": ' % key * levels + leaf + "}" * levels


# --- the checks themselves, no database ----------------------------------------------------------

def test_depth_is_counted_outside_strings_only():
    assert json_depth_problem(nested(MAX_JSON_DEPTH)) is None
    assert json_depth_problem('{"a": "' + "[" * 10_000 + '"}') is None
    problem = json_depth_problem(nested(MAX_JSON_DEPTH + 1))
    assert problem["path"] == "/a" * MAX_JSON_DEPTH
    assert "64" in problem["message"]


def test_depth_path_counts_array_indexes_and_escaped_keys():
    raw = '{"k\\"1": [0, 1, ' + "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH + "]}"
    assert json_depth_problem(raw)["path"] == '/k"1/2' + "/0" * (MAX_JSON_DEPTH - 2)


def test_depth_scan_survives_a_million_levels():
    assert json_depth_problem("[" * 1_000_000) is not None


def test_value_problems_name_every_path():
    value = {"a\x00": 1, "b": ["ok", "bad\x00"], "n": MAX_ABS_INTEGER + 1, "f": float("inf"), "k" * 1001: 0}
    paths = {problem["path"] for problem in json_value_problems(value)}
    assert paths == {"/a\x00", "/b/1", "/n", "/f", "/" + "k" * 1001}


def test_iterative_dumps_matches_json_dumps_and_handles_any_depth():
    value = {"a": [1, {"b": None, "c": "é"}, [], {}], "d": 1.5, "e": True}
    assert iterative_json_dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
    deep = {}
    for _ in range(5000):
        deep = {"a": deep}
    assert iterative_json_dumps(deep, indent=None).count("{") == 5001


def test_clip_keeps_short_values_and_clips_long_ones():
    assert clip("1.0.0") == "1.0.0"
    assert clip("9" * 5000) == "9" * 39 + "…"


# --- the API ------------------------------------------------------------------------------------

def post_raw(client, path: str, raw: str):
    return client.post(path, data=raw.encode("utf-8"), content_type="application/json")


def test_deeply_nested_body_is_a_400_naming_the_path(acme):
    client = api_client(acme, demo_admin(acme))
    response = post_raw(client, "/api/twins/", '{"name": "Deep", "settings": ' + nested(1000) + "}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"][0]["path"] == "/settings" + "/a" * (MAX_JSON_DEPTH - 1)
    assert "nested too deeply" in body["errors"][0]["message"]


def test_deeply_nested_array_body_is_a_400(acme):
    response = post_raw(api_client(acme, demo_admin(acme)), "/api/twins/", "[" * 100_000)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "/0" * MAX_JSON_DEPTH


@pytest.mark.parametrize("settings_json, path", [
    ('{"persona_profile": "a\\u0000b"}', "/settings/persona_profile"),
    ('{"ke\\u0000y": "value"}', "/settings/ke\x00y"),
    ('{"big": 1' + "0" * 30 + "}", "/settings/big"),
    ('{"huge": 1e999}', "/settings/huge"),
])
def test_nul_and_out_of_range_values_are_a_400_not_a_500(acme, settings_json, path):
    client = api_client(acme, demo_admin(acme))
    response = post_raw(client, "/api/twins/", '{"name": "Nul", "settings": ' + settings_json + "}")
    assert response.status_code == 400, response.content
    assert [problem["path"] for problem in response.json()["errors"]] == [path]
    with schema_context("acme"):
        assert not Twin.objects.filter(name="Nul").exists()


def test_nan_is_not_json(acme):
    response = post_raw(api_client(acme, demo_admin(acme)), "/api/twins/", '{"name": "N", "settings": {"x": NaN}}')
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("header", ["Token abc\x00def", "Token " + "é" * 40, "Token a;b", "Token " + "a" * 500])
def test_malformed_token_is_a_json_401_not_a_500(acme, header):
    response = api_client(acme).get("/api/twins/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


# --- stored data that predates the limits ---------------------------------------------------------

@pytest.fixture
def deep_twin(acme):
    """A twin whose settings nest 900 levels, written with raw SQL as data from before the limits."""
    with schema_context("acme"):
        twin = Twin.objects.create(name="Deep", owner=demo_admin(acme), settings={})
        with connection.cursor() as cursor:
            cursor.execute("UPDATE twins_twin SET settings = %s::jsonb WHERE id = %s", [nested(900), twin.pk])
    return twin


def test_admin_pages_render_a_twin_whose_settings_nest_900_levels(acme, deep_twin):
    client = admin_client(acme, demo_admin(acme))
    change = client.get(f"/admin/twins/twin/{deep_twin.pk}/change/")
    assert change.status_code == 200
    assert change.content.count(b"&quot;a&quot;") >= 900  # the stored value as it is, in the settings field
    assert client.get(f"{ADD}?twin={deep_twin.pk}&from=active").status_code == 200
    assert client.get("/admin/twins/twin/").status_code == 200
    assert api_client(acme, demo_admin(acme)).get(f"/api/twins/{deep_twin.pk}/").status_code == 200
