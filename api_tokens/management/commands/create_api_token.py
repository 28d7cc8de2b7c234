"""`manage.py tenant_command create_api_token --schema=<tenant> <username> [--expires-in-days N]`."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api_tokens.services import DIGEST_PREFIX_LENGTH, api_token_create, default_token_lifetime


class Command(BaseCommand):
    help = ("Create an API token for a user of the tenant and print it, once: only its digest is stored. "
            "Prints the token alone on standard output (for scripts); its expiry goes to standard error.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires-in-days", type=int, default=None,
                            help="Days the token is valid (default: API_TOKEN_DEFAULT_TTL_DAYS; 0: until revoked).")

    def handle(self, *args, username, expires_in_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r} in this tenant.")
        if expires_in_days is None:
            lifetime = default_token_lifetime()
        elif expires_in_days < 0:
            raise CommandError("--expires-in-days must be 0 (until revoked) or more.")
        else:
            lifetime = timedelta(days=expires_in_days) if expires_in_days else None
        try:
            row, token = api_token_create(user=user, expires_in=lifetime)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(token)
        expiry = row.expiry.isoformat(timespec="seconds") if row.expiry else "never (until revoked)"
        self.stderr.write(f"Token {row.digest[:DIGEST_PREFIX_LENGTH]}… for {username}, expires {expiry}. "
                          "It is not stored: copy it now.")
