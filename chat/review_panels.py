"""The chat app's panel on a version's review page: how many replies the version produced, when it was
last used, and a link to those replies (registered in `ChatConfig.ready()`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from chat.selectors import version_usage
from personas.review_panels import ReviewPanel


def usage_context(request, persona_spec) -> dict | None:
    if persona_spec.status == persona_spec.Status.DRAFT and not persona_spec.published_at:
        return None  # never live: it produced nothing
    usage = version_usage(twin_id=persona_spec.twin_id, version=persona_spec.version)
    replies_url = None
    if request.user.has_perm("chat.view_message"):
        query = urlencode({"conversation__twin__id__exact": persona_spec.twin_id, "spec_version": persona_spec.version})
        replies_url = f"{reverse('admin:chat_message_changelist')}?{query}"
    return {"usage": usage, "replies_url": replies_url}


USAGE_PANEL = ReviewPanel(name="usage", template="admin/chat/version_usage_panel.html", context=usage_context,
                          order=50)
