"""Token authentication (django-rest-knox: hashed, expiring, revocable) that answers 401, never 500,
for a malformed Authorization header."""

from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

# Tokens are 64 hex characters; anything outside this alphabet cannot be one. Checked before knox
# decodes it as UTF-8 (a Latin-1 byte would raise) or looks up its prefix (PostgreSQL refuses a NUL).
TOKEN_KEY = re.compile(rb"[A-Za-z0-9_\-]{1,128}")


class StrictTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token):
        if not isinstance(token, bytes) or not TOKEN_KEY.fullmatch(token):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        # knox also deletes the user's *other* expired tokens here, one more query on every request:
        # only this token is checked (an expired one is refused and deleted). knox is pinned.
        if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
            auth_token.delete()
            return True
        return False


class StrictTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes this authentication: the `tokenAuth` scheme it always had."""

    target_class = StrictTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
