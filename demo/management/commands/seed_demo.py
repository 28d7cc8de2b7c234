from django.core.management.base import BaseCommand

from demo.seeding import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create (or find) the demo tenants acme and globex with an admin, an API token and a twin each."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000", help="Port shown in the printed URLs.")

    def handle(self, *args, port, **options):
        seeded = seed_demo()
        out = self.stdout.write
        out(self.style.SUCCESS("Demo data ready. DEVELOPMENT ONLY: these credentials are public."))
        out(f"  Tenant registry admin: http://localhost:{port}/admin/  (admin / {DEMO_PASSWORD})")
        for tenant in seeded:
            base = f"http://{tenant.domain}:{port}"
            out(f"\n  [{tenant.schema_name}]")
            out(f"    Chat:      {base}/")
            out(f"    Admin:     {base}/admin/  ({tenant.username} / {DEMO_PASSWORD})")
            out(f"    Staff:     publisher / {DEMO_PASSWORD} (may draft and publish), "
                f"reviewer / {DEMO_PASSWORD} (may draft and approve, not publish)")
            out(f"    API:       {base}/api/twins/")
            out(f"    API docs:  {base}/api/docs/")
            out(f"    API token: {tenant.token}  (development only)")
            out(f"    Demo twin: {tenant.twin_id}")
            out(f"    Try: curl -H 'Authorization: Token {tenant.token}' {base}/api/twins/")
