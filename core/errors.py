"""Domain errors raised by services and selectors; `core.exceptions` turns them into JSON responses.

Services never build HTTP responses; they raise one of these, and the API, the admin and management
commands each present it their own way.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, errors: list[dict] | None = None):
        self.message = message or self.default_message
        self.errors = errors or []
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """Input is invalid; `errors` lists every problem as `{path, message}` with JSON Pointer paths."""

    status_code = 400
    default_message = "Validation failed."


class NotFound(DomainError):
    status_code = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    status_code = 403
    default_message = "You do not have permission to perform this action."


class Conflict(DomainError):
    status_code = 409
    default_message = "The request conflicts with the current state."
