"""Bring the tenant template schema up to the migrations (run it after `migrate_schemas` at deploy).

New tenants are cloned from the template (config.provisioning). Creating a tenant also rebuilds a
template that lags behind the migrations, but then that first tenant waits for it; this does it ahead.
"""

from django.core.management.base import BaseCommand

from config.provisioning import template_schema_name, tenant_template_refresh


class Command(BaseCommand):
    help = "Rebuild the tenant template schema when a migration is missing from it (or always, with --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild even when it is up to date")

    def handle(self, *args, force: bool = False, **options):
        rebuilt = tenant_template_refresh(force=force)
        state = "rebuilt from the migrations" if rebuilt else "already up to date"
        self.stdout.write(f"tenant template schema {template_schema_name()}: {state}")
