"""Writing the append-only audit trail (the database refuses to change or delete an event)."""

from __future__ import annotations

from personas.models import AuditEvent


def audit_event_record(*, actor, action: str, channel: str, twin, persona_spec=None, previous_version: str = "",
                       reason: str = "", details: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, actor_username=getattr(actor, "username", "") or "", action=action, channel=channel, twin=twin,
        persona_spec=persona_spec, version=persona_spec.version if persona_spec else "",
        previous_version=previous_version or "", reason=reason or "", details=details or {},
    )
