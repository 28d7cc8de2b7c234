"""The admin's spec editor in a real browser: lossless round trips, markers where the problem is,
completion from the schema, and the plain textarea without JavaScript.

Rows are committed (`committed_db`): each test makes its own twin with a unique name.
"""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from personas.models import PersonaSpec
from personas.spec import MAX_SPEC_BYTES, canonical_json, persona_spec_json_schema
from tests.personas import browser_support
from tests.personas.admin_support import ADD
from tests.personas.browser_support import log_in, twin_with_version
from tests.personas.builders import example_spec, max_spec
from tests.personas.editor_support import EDITOR, editor_text, markers, replace_editor_text, wait_for_editor

pytestmark = pytest.mark.browser

# The shared fixtures, bound here by name (imported, linters would read them as unused).
base_url, owner = browser_support.base_url, browser_support.owner


def newest_draft(twin_id) -> PersonaSpec:
    with schema_context("acme"):
        return PersonaSpec.objects.of_twin(twin_id).newest_first().first()


def open_editor_from_active(page, base_url, owner, spec: dict) -> PersonaSpec:
    """A fresh twin with `spec` live, and the admin's editor opened on it (*Add persona spec version*
    from the active version), signed in as the demo admin; returns the live version."""
    source = twin_with_version(owner, spec)
    log_in(page, base_url, "admin")
    page.goto(f"{base_url}{ADD}?twin={source.twin_id}&from=active")
    wait_for_editor(page)
    return source


def without_version(spec: dict) -> dict:
    return {key: value for key, value in spec.items() if key != "version"}


def save_unedited(page) -> None:
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success, .errornote")
    assert page.locator(".errornote").count() == 0, page.inner_text("#content")


def test_the_max_fixture_goes_through_the_editor_unedited_and_comes_back_byte_identical(page, base_url, owner,
                                                                                      screenshot):
    source = open_editor_from_active(page, base_url, owner, max_spec())
    page.wait_for_selector(".spec-editor-status.good")
    assert page.inner_text(".spec-editor-status") == "No problems found."
    assert page.locator(".spec-editor .cm-lineNumbers").count() == 1
    assert page.locator(".spec-editor .cm-lineWrapping").count() == 1
    assert page.locator(".spec-editor .tok-propertyName").count() > 0  # highlighted
    # Keys in the schema's order (the prompt's sections), not sorted: the voice comes first.
    text = editor_text(page)
    order = list(persona_spec_json_schema()["properties"])
    shown = list(json.loads(text))
    assert shown == [key for key in order if key in shown]
    assert shown[:2] == ["schema_version", "identity_voice"]
    # "Format JSON" lays it out exactly as the server did: nothing to change.
    page.click("button:has-text('Format JSON')")
    assert page.inner_text(".spec-editor-status") == "Formatted: keys in the schema's order."
    assert editor_text(page) == text
    screenshot(page, "editor-max-fixture")

    save_unedited(page)
    created = newest_draft(source.twin_id)
    assert created.pk != source.pk
    assert canonical_json(without_version(created.spec)).encode() == canonical_json(
        without_version(source.spec)).encode()
    assert canonical_json(without_version(created.spec)) == canonical_json(without_version(max_spec()))


def spec_at_the_size_limit() -> dict:
    """The max fixture plus free-form values of every JSON type, padded to just under 256 KiB."""
    spec = max_spec()
    spec["metadata"] = {
        "flags": {"reviewed": True, "experimental": False, "nothing": None},
        "weights": [1.0, 2.5, 0.1, -3, 9007199254740991, 1e-07, 12345678.9],
        "nested": {"deeper": {"list": [[], {}, [True, [False, None]], {"k": [1, "two", 3.0]}]}},
        "text": "Quotes \" and \\ backslashes, </textarea><script>alert(1)</script>, é, 漢字, emoji 🙂, \u2028 and tabs\t.",
        "order": {"zeta": 1, "alpha": 2, "10": "a numeric key", "2": "another"},
    }
    spec["identity_voice"]["switches"] = {"formal": True, "emoji": False, "levels": [1, 2.0, "3"]}
    spec["procedural_modules"][0]["when"] = {"any_of": [{"topic": "pricing", "strict": True}], "min_turns": 2.0}
    budget = MAX_SPEC_BYTES - len(canonical_json({**spec, "version": "1.0.0", "padding": []}).encode())
    padding, chunk = [], "Ünïcödé padding that has to survive the editor unchanged. " * 20
    while budget > len(json.dumps(chunk, ensure_ascii=False).encode()) + 64:
        padding.append(chunk)
        budget -= len(json.dumps(chunk, ensure_ascii=False).encode()) + 1
    spec["metadata"]["padding"] = padding
    return spec


def test_the_largest_spec_the_limits_allow_keeps_every_value_and_type(page, base_url, owner):
    spec = spec_at_the_size_limit()
    source = twin_with_version(owner, spec, publish=False)
    assert MAX_SPEC_BYTES - 2048 < len(canonical_json(source.spec).encode()) <= MAX_SPEC_BYTES
    log_in(page, base_url, "admin")
    page.goto(f"{base_url}{ADD}?twin={source.twin_id}&from={source.version}")
    wait_for_editor(page)
    page.wait_for_selector(".spec-editor-status.good")
    page.click("button:has-text('Format JSON')")  # re-lays the text as written: 1.0 stays 1.0
    save_unedited(page)

    stored = newest_draft(source.twin_id).spec
    assert canonical_json(without_version(stored)).encode() == canonical_json(without_version(source.spec)).encode()
    metadata = stored["metadata"]
    assert metadata["flags"] == {"reviewed": True, "experimental": False, "nothing": None}
    assert [type(value) for value in metadata["weights"]] == [float, float, float, int, int, float, float]
    assert metadata["nested"]["deeper"]["list"][2] == [True, [False, None]]
    assert type(stored["identity_voice"]["switches"]["levels"][1]) is float
    assert stored["procedural_modules"][0]["when"]["any_of"][0]["strict"] is True
    assert metadata["text"] == spec["metadata"]["text"]


def test_format_json_keeps_numbers_as_written(page, base_url, owner):
    """Formatting through JavaScript numbers would turn 1.0 into 1 (an integer to the server)."""
    open_editor_from_active(page, base_url, owner, example_spec())
    spec = without_version(example_spec())
    spec["metadata"] = {"ratio": 1.0, "big": 9007199254740993, "z": True, "a": ["one-point-five-oh"]}
    text = json.dumps(dict(reversed(spec.items()))).replace('"one-point-five-oh"', "1.50")
    replace_editor_text(page, text)  # one line, keys in reverse order
    page.click("button:has-text('Format JSON')")
    formatted = editor_text(page)
    assert '"ratio": 1.0' in formatted and '"big": 9007199254740993' in formatted and "1.50" in formatted
    assert list(json.loads(formatted)) == [key for key in persona_spec_json_schema()["properties"] if key in spec]
    assert list(json.loads(formatted)["metadata"]) == ["ratio", "big", "z", "a"]  # free-form: its own order


def test_an_invalid_value_is_marked_where_it_is_and_server_problems_at_their_pointer(page, base_url, owner,
                                                                                    screenshot):
    source = open_editor_from_active(page, base_url, owner, example_spec())
    spec = without_version(example_spec())

    # The schema check, while typing: the wrong value itself is marked, with the server's wording.
    spec["procedural_modules"][0]["priority"] = "high"
    replace_editor_text(page, json.dumps(spec, indent=2))
    page.wait_for_selector(".spec-editor-status.bad")
    page.keyboard.press("F8")  # to the next problem: the editor only draws the lines in view
    page.wait_for_selector(".cm-lintRange-error")
    assert markers(page) == ['"high"']
    marked_line = page.locator(".cm-line", has=page.locator(".cm-lintRange-error")).inner_text()
    assert marked_line.strip() == '"priority": "high",'
    assert page.inner_text(".spec-editor-status") == "1 problem, marked in the editor (F8 goes to it)."
    page.hover(".cm-lintRange-error")
    assert "/procedural_modules/0/priority: must be an integer (got string)" in page.inner_text(".cm-tooltip-lint")
    screenshot(page, "editor-schema-marker")

    # What only the server knows (few_shot_ids must name canonical examples) comes back from the save
    # as a marker at its JSON Pointer, not only as a message above the editor.
    spec["procedural_modules"][0]["priority"] = 5
    spec["procedural_modules"][0]["few_shot_ids"] = ["ex.missing"]
    replace_editor_text(page, json.dumps(spec, indent=2))
    page.wait_for_selector(".spec-editor-status.good")
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    wait_for_editor(page)
    page.wait_for_selector(".cm-lintRange-error")  # in view: the editor opens at the first problem
    assert markers(page) == ['"ex.missing"']
    page.click("button:has-text('List problems')")
    assert "unknown canonical example id 'ex.missing'" in page.inner_text(".cm-panel-lint")
    page.hover(".cm-lintRange-error")
    assert ("/procedural_modules/0/few_shot_ids/0: unknown canonical example id 'ex.missing'"
            in page.inner_text(".cm-tooltip-lint"))
    screenshot(page, "editor-server-marker")
    assert newest_draft(source.twin_id).pk == source.pk  # nothing was stored

    # Editing the marked value takes the server's marker away (the next save judges the fix).
    page.locator(".cm-lintRange-error").dblclick()
    page.keyboard.type("ex_fixed_but_unknown")
    page.wait_for_selector(".spec-editor-status.good")
    assert markers(page) == []


def test_completion_offers_the_keys_the_schema_allows(page, base_url, owner):
    log_in(page, base_url, "admin")
    page.goto(f"{base_url}{ADD}")
    wait_for_editor(page)
    assert "custom_instructions" not in editor_text(page)
    page.click(".cm-line >> nth=0")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type('"cus')
    page.wait_for_selector(".cm-tooltip-autocomplete")
    options = page.locator(".cm-tooltip-autocomplete li").all_inner_texts()
    assert options[0].startswith('"custom_instructions"')
    page.click(".cm-tooltip-autocomplete li >> nth=0")
    page.keyboard.type("Answer in British English.")
    assert json.loads(editor_text(page))["custom_instructions"] == "Answer in British English."
    page.wait_for_selector(".spec-editor-status.good")
    # Values too: what the schema allows for the field at the cursor (schema_version is the constant 1).
    page.locator(".cm-line", has_text='"schema_version": 1,').click()
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".cm-tooltip-autocomplete")
    assert page.locator(".cm-tooltip-autocomplete li").all_inner_texts() == ["1"]
    page.click(".cm-tooltip-autocomplete li")
    assert json.loads(editor_text(page))["schema_version"] == 1


def test_without_javascript_the_textarea_still_drafts_a_version(chromium, base_url, owner):
    source = twin_with_version(owner, example_spec())
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, base_url, "admin")
        page.goto(f"{base_url}{ADD}?twin={source.twin_id}&from=active")
        assert page.locator(".spec-editor").count() == 0
        spec = json.loads(page.input_value("#id_spec_text"))
        spec["constitution"].append("Plain text still works.")
        page.fill("#id_spec_text", json.dumps(spec))
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist .success")
    finally:
        context.close()
    assert newest_draft(source.twin_id).spec["constitution"][-1] == "Plain text still works."


def test_the_editor_runs_under_a_strict_content_security_policy(page, base_url, owner, screenshot):
    """Script and style from the site only, no inline script: the editor still mounts and marks."""
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text and "persona-spec-editor" in message.text else None)

    def with_csp(route):
        # Fetched by Playwright's driver, which does not share chromium's *.localhost resolver rule.
        response = route.fetch(url=route.request.url.replace("acme.localhost", "127.0.0.1"),
                               headers={**route.request.headers, "host": base_url.removeprefix("http://")})
        headers = {**response.headers,
                   "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'"}
        route.fulfill(response=response, headers=headers)

    log_in(page, base_url, "admin")
    page.route(f"{base_url}{ADD}*", with_csp)
    page.goto(f"{base_url}{ADD}")
    wait_for_editor(page)
    inline_style_applies = page.evaluate("""() => {
        const probe = document.createElement('style');
        probe.textContent = 'body { --csp-probe: on; }';
        document.head.append(probe);
        return getComputedStyle(document.body).getPropertyValue('--csp-probe') !== '';
    }""")
    assert not inline_style_applies  # the policy is in force
    replace_editor_text(page, '{"constitution": [""], "identity_vioce": {}}')
    page.wait_for_selector(".cm-lintRange-error")
    assert markers(page) == ['""', '"identity_vioce"']  # an unknown field: its key is marked
    page.hover(".cm-lintRange-error >> nth=1")
    assert "/identity_vioce: unknown field 'identity_vioce' (did you mean 'identity_voice'?)" in page.inner_text(
        ".cm-tooltip-lint")
    # CodeMirror's own CSS applied (it would be blocked as an inline <style>): its content keeps spaces.
    assert page.locator(EDITOR).evaluate("element => getComputedStyle(element).whiteSpace") == "break-spaces"
    assert violations == []
    screenshot(page, "editor-under-csp")
