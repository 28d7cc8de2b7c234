"""Persona governance in the tenant admin: persona spec versions (review, publish, roll back,
duplicate), the read-only audit trail, and the inlines the twin admin shows.

Importing this package registers the model admins.
"""

from personas.admin.audit import AuditEventAdmin
from personas.admin.inlines import PersonaSpecHistoryInline, RecentAuditEventInline
from personas.admin.persona_specs import PersonaSpecAdmin

__all__ = ["AuditEventAdmin", "PersonaSpecAdmin", "PersonaSpecHistoryInline", "RecentAuditEventInline"]
