"""One JSON error shape for the whole API: `{"detail": str, "errors": [{"path", "message"}]}`.

`path` is a JSON Pointer into the request body ("" for the body as a whole), so a client can put
each message next to the field it belongs to.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from core.errors import DomainError

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable. Try again shortly."


def json_pointer(parts) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def flatten_validation_detail(detail, prefix=()) -> list[dict]:
    """DRF's nested `{"field": ["msg"]}` detail → `[{"path": "/field", "message": "msg"}]`."""
    if isinstance(detail, dict):
        problems = []
        for key, value in detail.items():
            part = () if key in ("non_field_errors", "detail") else (key,)
            problems.extend(flatten_validation_detail(value, prefix + part))
        return problems
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"path": json_pointer(prefix), "message": str(item)} for item in detail]
        problems = []
        for index, item in enumerate(detail):
            problems.extend(flatten_validation_detail(item, prefix + (index,)))
        return problems
    return [{"path": json_pointer(prefix), "message": str(detail)}]


def error_body(detail: str, errors: list[dict] | None = None) -> dict:
    return {"detail": detail, "errors": errors or []}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.message, exc.errors), status=exc.status_code)

    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable: %s", exc)
        return Response(error_body(DATABASE_UNAVAILABLE), status=status.HTTP_503_SERVICE_UNAVAILABLE)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, drf_exceptions.ValidationError):
        errors = flatten_validation_detail(exc.detail)
        response = Response(error_body("Validation failed.", errors), status=exc.status_code)
    elif isinstance(exc, drf_exceptions.ParseError):
        response = Response(
            error_body(str(exc.detail), [{"path": "", "message": str(exc.detail)}]), status=exc.status_code
        )
    elif isinstance(exc, drf_exceptions.APIException):
        response = drf_default_handler(exc, context)
        if response is not None:
            response.data = error_body(str(exc.detail))
    elif isinstance(exc, DatabaseError):
        # Integrity problems the services did not anticipate: a bug, but never a traceback.
        logger.exception("unexpected database error")
        return Response(error_body("Internal server error."), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    else:
        return None  # ApiJsonErrorsMiddleware logs it and answers a JSON 500.
    return response
