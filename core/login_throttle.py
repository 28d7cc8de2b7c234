"""The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): the login page it came
from, in that page's own look, saying why and for how long, with status 429."""

from __future__ import annotations

import math

from django.conf import settings
from django.template.response import TemplateResponse


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (f"Too many failed sign-ins for this user from your address: signing in is locked for {minutes} "
            f"minute{'s' if minutes != 1 else ''}. Try again later, or ask an administrator to lift the lock.")


def lockout_response(request, original_response=None, credentials=None):
    in_admin = request.path.startswith("/admin/")
    template = "admin/locked_out.html" if in_admin else "registration/locked_out.html"
    context = {"lockout_message": lockout_message(), "title": "Signing in is locked", "site_header": "Persona governance"}
    return TemplateResponse(request, template, context, status=settings.AXES_HTTP_RESPONSE_CODE).render()
