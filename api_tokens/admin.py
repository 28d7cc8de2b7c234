"""API tokens in the tenant admin: list (digest prefix, user, created, expiry), revoke, and create one
that is shown once, on the page that answers the creation, and never again."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils import timezone
from knox.models import AuthToken

from api_tokens.services import DIGEST_PREFIX_LENGTH, api_token_create, api_tokens_revoke
from core.admin_scopes import TenantSchemaOnlyAdmin

admin.site.unregister(AuthToken)  # knox's own admin lists full digests and would send the token in a message


class ApiTokenCreateForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(min_value=0, help_text="0: valid until revoked.", label="Expires in (days)")

    class Meta:
        model = AuthToken
        fields = ["user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["expires_in_days"].initial = settings.API_TOKEN_DEFAULT_TTL_DAYS


@admin.register(AuthToken)
class ApiTokenAdmin(TenantSchemaOnlyAdmin, admin.ModelAdmin):
    list_display = ["digest_prefix", "user", "created", "expiry", "is_expired"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    ordering = ["-created"]
    actions = ["revoke"]

    @admin.display(description="token (digest prefix)")
    def digest_prefix(self, obj):
        return f"{obj.digest[:DIGEST_PREFIX_LENGTH]}…"

    @admin.display(boolean=True, description="expired")
    def is_expired(self, obj):
        return obj.expiry is not None and obj.expiry <= timezone.now()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "revoke" says what deleting a token means
        return actions

    @admin.action(permissions=["delete"], description="Revoke selected tokens")
    def revoke(self, request, queryset):
        revoked = sum(api_tokens_revoke(user=token.user, digest_prefix=token.digest) for token in queryset)
        self.message_user(request, f"Revoked {revoked} token(s): they are refused from now on.")

    def has_change_permission(self, request, obj=None):
        return False  # a token is never edited: revoke it and create another

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        days = form.cleaned_data["expires_in_days"]
        row, token = api_token_create(user=form.cleaned_data["user"],
                                      expires_in=timedelta(days=days) if days else None)
        # `obj` is the instance the admin goes on with (history entry, response): make it the stored row.
        for field in ("digest", "token_key", "user", "created", "expiry"):
            setattr(obj, field, getattr(row, field))
        obj._state.adding = False
        request._api_token_created = token  # for response_add only: never stored, logged or redirected with

    def save_related(self, request, form, formsets, change):
        pass  # no relations; the form's own save would write a second, token-less row

    def response_add(self, request, obj, post_url_continue=None):
        return TemplateResponse(request, "admin/api_tokens/token_created.html", {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "opts": self.opts,
            "token": request._api_token_created,
            "row": obj,
            "digest_prefix": self.digest_prefix(obj),
        })
