"""Template filters of the persona admin pages."""

from __future__ import annotations

from django import template

from personas.admin.display import compact_time as _compact_time

register = template.Library()


@register.filter
def compact_time(value) -> str:
    """One way to print a moment on every governance page: "2026-11-25 14:05", local time; "—" for none."""
    return _compact_time(value)
