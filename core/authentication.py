"""Token authentication that answers 401, never 500, for a malformed Authorization header."""

from __future__ import annotations

import re

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

# DRF tokens are 40 hex characters; anything outside this alphabet cannot be a token, and a NUL
# would reach PostgreSQL, which refuses it in a query parameter.
TOKEN_KEY = re.compile(r"[A-Za-z0-9_\-]{1,128}")


class StrictTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        if not isinstance(key, str) or not TOKEN_KEY.fullmatch(key):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
