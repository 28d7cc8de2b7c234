"""API tokens: the only writes. The database holds a SHA-512 digest of each token, never the token.

A token is returned once, by `api_token_create`; after that nobody can read it back (admin, commands
and API show the first characters of its digest). Revoking deletes the row, so the token is refused
at once on every worker. A token belongs to one tenant's schema: another tenant does not know it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS

DIGEST_PREFIX_LENGTH = 12  # what admin and commands show of a digest: enough to tell tokens apart


def default_token_lifetime() -> timedelta | None:
    days = settings.API_TOKEN_DEFAULT_TTL_DAYS
    return timedelta(days=days) if days > 0 else None


@transaction.atomic
def api_token_create(*, user, expires_in: timedelta | None) -> tuple[AuthToken, str]:
    """A new token for `user`, valid for `expires_in` (None: until revoked). Returns (row, token)."""
    if not user.is_active:
        raise ValueError(f"user {user.get_username()!r} is inactive: an API token would be refused")
    return AuthToken.objects.create(user=user, expiry=expires_in)


@transaction.atomic
def api_tokens_revoke(*, user, digest_prefix: str = "") -> int:
    """Revoke `user`'s tokens (only those whose digest starts with `digest_prefix`, when given)."""
    tokens = AuthToken.objects.filter(user=user)
    if digest_prefix:
        tokens = tokens.filter(digest__startswith=digest_prefix.lower())
    deleted, _by_model = tokens.delete()
    return deleted


@transaction.atomic
def api_token_ensure(*, user, token: str, expires_in: timedelta | None) -> AuthToken:
    """Store `token` (chosen by the caller: the demo derives its own) for `user` unless a live row of it
    exists. Idempotent; an expired row of the same token is replaced by a fresh one."""
    digest = hash_token(token)
    existing = AuthToken.objects.filter(digest=digest).first()
    if existing is not None:
        if existing.user_id == user.pk and (existing.expiry is None or existing.expiry > timezone.now()):
            return existing
        existing.delete()
    return AuthToken.objects.bulk_create([AuthToken(
        digest=digest, token_key=token[:CONSTANTS.TOKEN_KEY_LENGTH], user=user,
        expiry=timezone.now() + expires_in if expires_in is not None else None)])[0]
