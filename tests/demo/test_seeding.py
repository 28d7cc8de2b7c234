from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_tenants.utils import schema_context
from rest_framework.authtoken.models import Token

from config.models import Domain, Tenant
from twins.models import Memory, Twin


def snapshot():
    rows = {"tenants": sorted(Tenant.objects.values_list("schema_name", flat=True)),
            "domains": sorted(Domain.objects.values_list("domain", flat=True))}
    for schema in ("acme", "globex"):
        with schema_context(schema):
            rows[schema] = {
                "users": sorted(get_user_model().objects.values_list("username", "is_staff")),
                "tokens": sorted(Token.objects.values_list("key", flat=True)),
                "twins": sorted(Twin.objects.values_list("id", "name")),
                "memories": sorted(Memory.objects.values_list("id", flat=True)),
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
