"""Driving the admin's spec editor (CodeMirror over the spec textarea) from Playwright, as a user does."""

from __future__ import annotations

EDITOR = ".spec-editor[data-ready=true] .cm-content"


def wait_for_editor(page) -> None:
    page.wait_for_selector(EDITOR)


def editor_text(page) -> str:
    """What the form will post: the textarea the editor mirrors every change into."""
    return page.input_value("#id_spec_text")


def replace_editor_text(page, text: str) -> None:
    """Select everything and paste `text` over it (Playwright's insert_text is a paste, not keystrokes)."""
    page.click(EDITOR)
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def markers(page) -> list[str]:
    """The text under every inline error marker, top to bottom."""
    return page.locator(".cm-editor .cm-lintRange-error").all_inner_texts()
