"""Request plumbing: body size limit, host → tenant routing, and JSON errors on the API."""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django_tenants.middleware.main import TenantMainMiddleware

from core.exceptions import DATABASE_UNAVAILABLE, error_body
from core.input_limits import clip
from core.tenant_routes import tenant_for_host

logger = logging.getLogger(__name__)

JSON_PATH_PREFIXES = ("/api/", "/api", "/health")


def wants_json(request) -> bool:
    return request.path.startswith(JSON_PATH_PREFIXES) or "application/json" in request.headers.get("Accept", "")


def json_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(detail), status=status)


def body_too_large(limit: int) -> JsonResponse:
    return json_error(f"Request body too large: the limit is {limit} bytes.", 413)


class RequestBodyLimitMiddleware:
    """Refuse a declared body over the limit before anything reads it (413, JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.MAX_REQUEST_BODY_BYTES

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error("Invalid Content-Length header.", 400)
        if declared > self.limit:
            return body_too_large(self.limit)
        if not declared and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            # A chunked body declares no length; Django's own limit only checks the declared one.
            body = request.META["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                return body_too_large(self.limit)
            request.META["wsgi.input"] = io.BytesIO(body)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(request.META["wsgi.input"], len(body))
        return self.get_response(request)


class TenantRoutingMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, answering JSON 404 for an unknown host and 503 without a database."""

    def process_request(self, request):
        try:
            return super().process_request(request)
        except (OperationalError, InterfaceError) as exc:
            logger.error("database unavailable while routing %s: %s", request.get_host(), exc)
            if request.path.rstrip("/") == "/health":
                from core.health import health

                return health(request)  # reports the outage in its own shape
            return json_error(DATABASE_UNAVAILABLE, 503)

    def get_tenant(self, domain_model, hostname):
        # One query per host per ROUTE_TTL_SECONDS instead of one per request (core/tenant_routes.py).
        return tenant_for_host(hostname, lambda host: super(TenantRoutingMiddleware, self).get_tenant(domain_model, host))

    @staticmethod
    def hostname_from_request(request):
        # Host names are case-insensitive (RFC 3986 3.2.2); domains are stored in lower case.
        return TenantMainMiddleware.hostname_from_request(request).lower()

    def no_tenant_found(self, request, hostname):
        # Never fall back to another schema: an unknown host sees nothing at all.
        return json_error(f"No tenant is served at host '{clip(hostname)}'.", 404)


class ApiJsonErrorsMiddleware:
    """Under /api and /health, every error is JSON whatever raised it, and never a traceback.

    DRF's exception handler covers its own views; this covers the rest: URL resolution 404s, 405s
    from plain views, an oversized chunked body, a dropped database connection, and bugs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and wants_json(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            reason = response.reason_phrase or "Error"
            replacement = json_error(reason if response.status_code != 404 else "Not found.", response.status_code)
            for header in ("Allow", "WWW-Authenticate", "Retry-After"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request, exception):
        if not wants_json(request):
            return None
        if isinstance(exception, RequestDataTooBig):
            return body_too_large(settings.MAX_REQUEST_BODY_BYTES)
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.error("database unavailable: %s", exception)
            return json_error(DATABASE_UNAVAILABLE, 503)
        logger.exception("unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return json_error("Internal server error.", 500)
