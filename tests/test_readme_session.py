"""The README's curl session, call by call, against Globex with the demo admin's token: the versions
it publishes and rolls back to are the ones the earlier calls answered."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import api_client, demo_admin

REPO = Path(__file__).resolve().parents[1]


def test_the_readme_curl_session_works_on_globex(globex):
    readme = (REPO / "README.md").read_text()
    assert "1.0.1/publish" not in readme and "H='Host: globex.localhost'" in readme
    client = api_client(globex, demo_admin(globex))
    api = "/api"
    twin = client.get(f"{api}/twins/").json()["results"][0]["id"]
    example = json.loads((REPO / "personas/fixtures/persona_spec_example.json").read_text())
    draft = client.post(f"{api}/twins/{twin}/persona-specs", {"spec": example, "notes": "from the example"},
                        format="json")
    assert draft.status_code == 201, draft.content
    assert draft.json()["prompt_plan_preview"]["rendered"]
    first = draft.json()["persona_spec"]["version"]
    generated = client.post(f"{api}/twins/{twin}/persona-specs/generate")
    assert generated.status_code == 201, generated.content
    second = generated.json()["persona_spec"]["version"]

    assert client.post(f"{api}/twins/{twin}/persona-specs/{first}/publish").status_code == 200
    assert client.post(f"{api}/twins/{twin}/persona-specs/{second}/publish").json()["action"] == "publish"
    back = client.post(f"{api}/twins/{twin}/persona-specs/{first}/publish", {"reason": "back to the example"},
                       format="json")
    assert back.json()["action"] == "rollback"
    listing = client.get(f"{api}/twins/{twin}/persona-specs").json()["results"]
    assert {row["version"]: row["status"] for row in listing} == {first: "active", second: "archived"}
    chat = client.post(f"{api}/twins/{twin}/chat", {"message": "Should we offer a free pilot?"}, format="json")
    assert chat.status_code == 200 and chat.json()["trace"]
    streamed = client.post(f"{api}/twins/{twin}/chat", {"message": "Should we offer a free pilot?", "stream": True},
                           format="json")
    assert streamed.status_code == 200 and b"".join(streamed.streaming_content).startswith(b"event: delta")
