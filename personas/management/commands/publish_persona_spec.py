"""Make a persona spec version active from the command line: a publish, re-publish or rollback.

Tenant data lives in the tenant's schema, so run it through django-tenants:

    python manage.py tenant_command publish_persona_spec --schema=acme <twin id> 1.0.3 --actor admin \
        --reason "Tone fix approved in review"

It goes through the same transition as the API and the admin (permission, publish checks, row
lock, audit event with channel "command"); a refusal exits non-zero with the reason.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from personas.models import AuditEvent, PersonaSpec
from personas.transitions import UNCHECKED, persona_spec_publish

NONE = "none"


class Command(BaseCommand):
    help = "Make a persona spec version the twin's active one (publish, re-publish or roll back)."

    def add_arguments(self, parser):
        parser.add_argument("twin_id", help="The twin's id (UUID).")
        parser.add_argument("version", help="The version to make active, MAJOR.MINOR.PATCH.")
        parser.add_argument("--actor", required=True,
                            help="Username the change is made as: their permissions apply, the audit trail names them.")
        parser.add_argument("--reason", default="", help="Why; stored on the audit event.")
        parser.add_argument("--expected-active", default=None,
                            help=f"Only if this is still the active version ('{NONE}': only if there is none).")

    def handle(self, *args, twin_id, version, actor, reason, expected_active, **options):
        actor_user = get_user_model().objects.filter(username=actor, is_active=True).first()
        if actor_user is None:
            raise CommandError(f"No active user named {actor!r} in this tenant.")
        try:
            target = PersonaSpec.objects.select_related("twin", "twin__owner").get(twin_id=twin_id, version=version)
        except (PersonaSpec.DoesNotExist, ValidationError):  # ValidationError: not a UUID
            raise CommandError(f"Twin {twin_id} has no version {version}.") from None
        expected = UNCHECKED if expected_active is None else (None if expected_active == NONE else expected_active)
        try:
            result = persona_spec_publish(persona_spec=target, actor=actor_user, channel=AuditEvent.Channel.COMMAND,
                                          reason=reason, expected_active_version=expected)
        except DomainError as refusal:
            details = "".join(f"\n  {error.get('path') or '/'}: {error.get('message')}" for error in refusal.errors)
            raise CommandError(f"{refusal.message}{details}") from None
        if not result.changed:
            self.stdout.write(f"Version {version} of {target.twin} is already active. Nothing was changed.")
            return
        archived = f"; {result.previous_active_version} archived" if result.previous_active_version else ""
        self.stdout.write(self.style.SUCCESS(f"{result.action}: {target.twin} {version} is active{archived}."))
