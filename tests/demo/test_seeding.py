from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_tenants.utils import schema_context
from knox.models import AuthToken

from config.models import Domain, Tenant
from governance.models import PolicyChange, PublishPolicy
from personas.models import AuditEvent
from twins.models import Memory, Twin


def snapshot():
    rows = {"tenants": sorted(Tenant.objects.values_list("schema_name", flat=True)),
            "domains": sorted(Domain.objects.values_list("domain", flat=True))}
    for schema in ("acme", "globex"):
        with schema_context(schema):
            rows[schema] = {
                "users": sorted(get_user_model().objects.values_list("username", "is_staff")),
                "tokens": sorted(AuthToken.objects.values_list("digest", flat=True)),
                "twins": sorted(Twin.objects.values_list("id", "name")),
                "memories": sorted(Memory.objects.values_list("id", flat=True)),
                "policies": sorted(PublishPolicy.objects.values_list("twin__name", "require_approval",
                                                                     "approvals_required")),
                "policy_changes": PolicyChange.objects.count(),
                "audit_events": list(AuditEvent.objects.order_by("id").values_list("action", "version")),
            }
    return rows


def test_seed_demo_twice_leaves_the_same_rows(db, capsys):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert first["tenants"] == ["acme", "globex", "public"]
    assert {"acme.localhost", "globex.localhost", "localhost", "127.0.0.1"} <= set(first["domains"])
    assert first["acme"]["twins"] and len(first["acme"]["memories"]) >= 3
    assert first["acme"]["policies"] == [("Maya Chen", True, 1)] and first["globex"]["policies"] == []
    # The demo spec was published before the policy existed: the trail shows it in that order.
    assert first["acme"]["audit_events"] == [("import", "1.0.0"), ("publish", "1.0.0"), ("policy_change", "")]
    assert "development only" in capsys.readouterr().out.lower()


def test_each_demo_tenant_has_its_own_token(db):
    rows = snapshot()
    assert set(rows["acme"]["tokens"]).isdisjoint(rows["globex"]["tokens"])


def test_demo_people_have_names_so_the_frame_names_them(db):
    from chat.prompting import build_system_prompt

    with schema_context("acme"):
        twin = Twin.objects.select_related("owner").get()
        assert get_user_model().objects.get(username="publisher").get_full_name() == "Priya Patel"
        prompt, _ = build_system_prompt(twin, "hello", "owner_chat")
    assert prompt.startswith("You are Maya Chen, the digital twin of Maya Chen.")


def test_in_the_demo_the_reviewer_approves_and_the_publisher_publishes(db, capsys):
    from personas.permissions import SpecAction, may

    call_command("seed_demo")
    assert "reviewer / demo-password (may draft and approve, not publish)" in capsys.readouterr().out
    with schema_context("acme"):
        twin = Twin.objects.get()
        users = {user.username: user for user in get_user_model().objects.filter(username__in=["reviewer",
                                                                                                 "publisher"])}
        assert may(users["reviewer"], SpecAction.APPROVE, twin) and not may(users["reviewer"], SpecAction.PUBLISH, twin)
        assert may(users["publisher"], SpecAction.PUBLISH, twin) and not may(users["publisher"], SpecAction.APPROVE,
                                                                             twin)
