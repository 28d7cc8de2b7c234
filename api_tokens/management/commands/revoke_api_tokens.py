"""`manage.py tenant_command revoke_api_tokens --schema=<tenant> <username> [--digest-prefix P]`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api_tokens.services import api_tokens_revoke


class Command(BaseCommand):
    help = "Revoke a user's API tokens in the tenant (all of them, or the one whose digest starts with a prefix)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--digest-prefix", default="", help="Only the token whose digest starts with this.")

    def handle(self, *args, username, digest_prefix, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r} in this tenant.")
        revoked = api_tokens_revoke(user=user, digest_prefix=digest_prefix)
        if digest_prefix and not revoked:
            raise CommandError(f"{username} has no token whose digest starts with {digest_prefix!r}.")
        self.stdout.write(f"Revoked {revoked} token(s) of {username}.")
