"""Persona governance in the tenant admin: persona spec versions (review, publish, roll back,
duplicate), the read-only audit trail, and the twin admin extended with each twin's governance.

Importing this package registers the model admins (the twin's in place of the twins app's own).
"""

from personas.admin.audit import AuditEventAdmin
from personas.admin.inlines import PersonaSpecHistoryInline, RecentAuditEventInline
from personas.admin.persona_specs import PersonaSpecAdmin
from personas.admin.twins import TwinGovernanceAdmin

__all__ = ["AuditEventAdmin", "PersonaSpecAdmin", "PersonaSpecHistoryInline", "RecentAuditEventInline",
           "TwinGovernanceAdmin"]
