"""Small presentation helpers shared by the persona spec, audit event and twin admins."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from personas.models import PersonaSpec

# (text colour, background): readable on the admin's light and dark themes alike.
STATUS_COLOURS = {
    PersonaSpec.Status.DRAFT: ("#6b4d00", "#ffe8a3"),
    PersonaSpec.Status.ACTIVE: ("#0f5323", "#bfeccb"),
    PersonaSpec.Status.ARCHIVED: ("#3d3d3d", "#dcdcdc"),
}


def status_badge(status: str) -> SafeString:
    colour, background = STATUS_COLOURS.get(status, ("#3d3d3d", "#dcdcdc"))
    label = PersonaSpec.Status(status).label if status in PersonaSpec.Status.values else status
    return format_html(
        '<span class="persona-status persona-status-{}" style="display:inline-block;padding:1px 8px;'
        'border-radius:9px;font-size:11px;font-weight:600;letter-spacing:.02em;color:{};background:{}">{}</span>',
        status, colour, background, label,
    )


def review_url(persona_spec_id) -> str:
    return reverse("admin:personas_personaspec_review", args=[persona_spec_id])


def review_link(persona_spec_id, text: str) -> SafeString:
    return format_html('<a href="{}">{}</a>', review_url(persona_spec_id), text)


def new_draft_url(twin_id, start_from: str = "active") -> str:
    """The add page, its editor pre-filled from the twin's `start_from` version ("active" or a version)."""
    return f"{reverse('admin:personas_personaspec_add')}?twin={twin_id}&from={start_from}"


def compact_time(value) -> str:
    """A timestamp short enough for a list column ("2026-11-25 14:05", local time); "—" for none."""
    return localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def moment_by(moment, user) -> SafeString | str:
    """"2026-11-25 14:05" over "by admin" in one list cell; "—" when it has not happened."""
    if moment is None:
        return "—"
    return format_html('<span class="persona-moment">{}</span><br><span class="persona-by">by {}</span>',
                       compact_time(moment), user if user is not None else "system")


def user_name(user) -> str:
    """A user as text: "maya (Maya Chen)", or "—" for none. For read-only fields whose default rendering
    would link to the user admin, which most staff may not open."""
    if user is None:
        return "—"
    full_name = user.get_full_name()
    return f"{user.get_username()} ({full_name})" if full_name else user.get_username()
