"""Demo data: two tenants, each with a staff admin, an API token and a twin with memories.

Idempotent: running it again finds what exists and creates only what is missing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from api_tokens.services import api_token_ensure
from config.models import Domain, Tenant

DEMO_PASSWORD = "demo-password"  # development only: printed by `make run`, documented in the README
DEMO_TENANTS = {
    "acme": {"name": "Acme Ventures", "domain": "acme.localhost"},
    "globex": {"name": "Globex Corporation", "domain": "globex.localhost"},
}

DEMO_TWINS = {
    "acme": {
        "name": "Maya Chen",
        "settings": {
            "persona_profile": (
                "Direct, warm operator-investor. Speaks in short declarative sentences, uses concrete "
                "numbers, admits uncertainty plainly."
            ),
            "signature_phrases": ["Start with the constraint.", "What would have to be true?"],
            "opinion_map": {
                "fundraising": "Raise only what buys the next two proof points.",
                "pricing": "Charge from day one; free pilots hide weak demand.",
                "hiring": "Hire slow for judgment roles, fast for execution roles.",
            },
            "public_intro": (
                "I'm Maya's digital twin. I answer questions about early-stage fundraising, hiring and "
                "pricing the way she would."
            ),
            "intent_profile": {"advice_or_stance": "answer first, then the reasoning", "default": "concise"},
            "system_prompt": "Keep answers under 150 words unless asked for detail.",
        },
        "memories": [
            ("fundraising", "Raise only what buys the next two proof points", "conservative", 8, "approved"),
            ("pricing", "Charge from day one; free pilots hide weak demand", "strong", 9, "approved"),
            ("hiring", "Hire slow for judgment roles, fast for execution roles", "nuanced", 6, "approved"),
            ("remote work", "Remote-first works once the first ten hires share a timezone", "tentative", 4, "pending"),
        ],
    },
    "globex": {
        "name": "Hank Scorpio",
        "settings": {
            "persona_profile": "Upbeat, expansive operations executive who thinks in systems and incentives.",
            "signature_phrases": ["Let's make it a system.", "Who owns the number?"],
            "opinion_map": {
                "operations": "Every recurring problem deserves an owner and a dashboard.",
                "meetings": "A meeting without a decision is a status report in disguise.",
            },
            "public_intro": "I'm Hank's digital twin. Ask me about operations, teams and incentives.",
            "intent_profile": {"default": "energetic, structured lists"},
            "system_prompt": "",
        },
        "memories": [
            ("operations", "Every recurring problem deserves an owner", "strong", 8, "approved"),
            ("meetings", "Meetings must end with a decision or be cancelled", "strong", 7, "approved"),
            ("offsites", "Offsites are worth it once a year", "nuanced", 5, "pending"),
        ],
    },
}


# The owners of the demo twins: each twin speaks for its owner, named in every prompt's frame.
DEMO_OWNER_NAMES = {"acme": "Maya Chen", "globex": "Hank Scorpio"}

# acme's twin answers from a published persona spec; globex's stays on its legacy persona, so the
# demo shows both paths of the chat runtime.
DEMO_ACTIVE_SPEC_TENANTS = {"acme"}
# acme's twin needs one approval before a new version goes live: in the demo the reviewer approves and
# the publisher publishes.
DEMO_APPROVAL_POLICY_TENANTS = {"acme"}
DEMO_SPEC_PATH = Path(__file__).resolve().parent.parent / "personas" / "fixtures" / "persona_spec_example.json"


@dataclass
class SeededTenant:
    schema_name: str
    domain: str
    username: str
    token: str
    twin_id: str


def demo_api_token(schema_name: str) -> str:
    """The demo admin's API token: derived from SECRET_KEY, so every `seed_demo` prints the same one
    while only its digest is stored (tokens are never stored in clear). Development only, like the
    demo password; in production create tokens with `create_api_token`."""
    return hmac.new(settings.SECRET_KEY.encode(), f"demo-api-token:{schema_name}".encode(), hashlib.sha256).hexdigest()


def seed_public() -> None:
    public, _ = Tenant.objects.get_or_create(schema_name=get_public_schema_name(), defaults={"name": "Public"})
    for index, host in enumerate(settings.PUBLIC_DOMAINS):
        Domain.objects.get_or_create(domain=host, defaults={"tenant": public, "is_primary": index == 0})
    with schema_context(get_public_schema_name()):
        _ensure_user("admin", superuser=True)


def seed_tenant(schema_name: str) -> SeededTenant:
    spec = DEMO_TENANTS[schema_name]
    tenant = Tenant.objects.filter(schema_name=schema_name).first()
    if tenant is None:
        tenant = Tenant(schema_name=schema_name, name=spec["name"])
        tenant.save(verbosity=0)  # creates the schema and runs the tenant migrations in it
    Domain.objects.get_or_create(domain=spec["domain"], defaults={"tenant": tenant, "is_primary": True})
    with schema_context(schema_name), transaction.atomic():
        user = _ensure_user("admin", superuser=True, full_name=DEMO_OWNER_NAMES[schema_name])
        token = demo_api_token(schema_name)
        api_token_ensure(user=user, token=token, expires_in=None)
        twin = _ensure_twin(user, DEMO_TWINS[schema_name])
        if schema_name in DEMO_ACTIVE_SPEC_TENANTS:
            _ensure_active_spec(twin, user)
        if schema_name in DEMO_APPROVAL_POLICY_TENANTS:
            _ensure_approval_policy(twin, user)  # after the publish above: the demo spec went live unreviewed
        _ensure_governance_staff()
    return SeededTenant(schema_name, spec["domain"], user.username, token, str(twin.pk))


def seed_demo() -> list[SeededTenant]:
    seed_public()
    return [seed_tenant(schema_name) for schema_name in DEMO_TENANTS]


# Staff users for trying persona governance in each tenant's admin (development only, like every
# demo credential): `publisher` is in the "Persona governance" group (view, draft, publish);
# `reviewer` may view, draft and approve versions (of others) but not publish them.
DEMO_GOVERNANCE_GROUP = "Persona governance"  # created by personas migration 0003
DEMO_REVIEWER_PERMISSIONS = [
    ("personas", "view_personaspec"), ("personas", "add_personaspec"), ("personas", "view_auditevent"),
    ("personas", "approve_personaspec"), ("twins", "view_twin"), ("twins", "view_memory"),
    ("governance", "view_approval"), ("governance", "view_publishpolicy"),
]


def _ensure_governance_staff() -> None:
    from django.contrib.auth.models import Group, Permission

    publisher = _ensure_user("publisher", superuser=False, full_name="Priya Patel")
    publisher.groups.add(Group.objects.get(name=DEMO_GOVERNANCE_GROUP))
    reviewer = _ensure_user("reviewer", superuser=False, full_name="Rob Reyes")
    reviewer.user_permissions.add(*(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in DEMO_REVIEWER_PERMISSIONS
    ))


def _ensure_approval_policy(twin, owner) -> None:
    from governance.models import PublishPolicy
    from governance.services import publish_policy_update
    from personas.models import AuditEvent

    if PublishPolicy.objects.filter(twin=twin).exists():
        return
    publish_policy_update(twin=twin, actor=owner, channel=AuditEvent.Channel.COMMAND, require_approval=True,
                          approvals_required=1)


def _ensure_user(username: str, *, superuser: bool, full_name: str = ""):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        create = User.objects.create_superuser if superuser else User.objects.create_user
        user = create(username=username, email=f"{username}@example.com", password=DEMO_PASSWORD)
        if not superuser:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    if full_name and not user.get_full_name():
        # The prompt's frame names the person a twin stands in for by their full name.
        user.first_name, user.last_name = full_name.split(" ", 1)
        user.save(update_fields=["first_name", "last_name"])
    return user


def _ensure_twin(owner, spec: dict):
    from twins.models import Memory, Twin
    from twins.services import twin_create

    twin = Twin.objects.filter(name=spec["name"]).first()
    if twin is None:
        twin = twin_create(owner=owner, name=spec["name"], settings=spec["settings"])
    for topic, value, stance, intensity, status in spec["memories"]:
        Memory.objects.get_or_create(
            twin=twin, topic=topic, defaults={"value": value, "stance": stance, "intensity": intensity, "status": status}
        )
    return twin


def _ensure_active_spec(twin, owner) -> None:
    from personas.models import AuditEvent, PersonaSpec
    from personas.services import persona_spec_create
    from personas.transitions import persona_spec_publish

    if PersonaSpec.objects.filter(twin=twin).exists():
        return
    spec = json.loads(DEMO_SPEC_PATH.read_text())
    draft = persona_spec_create(twin=twin, actor=owner, spec=spec, notes="Demo spec, from the example fixture.",
                                source=PersonaSpec.Source.IMPORTED, channel=AuditEvent.Channel.COMMAND,
                                audit_action=AuditEvent.Action.IMPORT)
    persona_spec_publish(persona_spec=draft, actor=owner, channel=AuditEvent.Channel.COMMAND)
