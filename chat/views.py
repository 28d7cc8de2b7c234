"""Chat pages for tenant users: the twins they may talk to, and a chat page per twin.

Plain forms and redirects: everything works without JavaScript.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from chat.llm import LLMError
from chat.models import MESSAGE_MAX_LENGTH
from chat.selectors import (
    conversation_for,
    conversation_list_for,
    conversation_messages,
    prompt_use_for,
    twin_rows_for_chat_list,
)
from chat.services import chat_turn
from core.errors import NotFound, ValidationFailed
from twins.selectors import twin_get_for_user


def _twin_or_404(user, twin_id):
    try:
        return twin_get_for_user(user, twin_id)
    except NotFound:
        raise Http404("Twin not found") from None


@login_required
@require_GET
def twin_list(request):
    return render(request, "chat/twin_list.html", {"rows": twin_rows_for_chat_list(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def chat_page(request, twin_id):
    twin = _twin_or_404(request.user, twin_id)
    conversation_id = request.POST.get("conversation_id") or request.GET.get("conversation")
    conversation = None
    if conversation_id:
        try:
            conversation = conversation_for(twin=twin, user=request.user, conversation_id=conversation_id)
        except NotFound:
            raise Http404("Conversation not found") from None

    error, draft, status = None, "", 200
    if request.method == "POST":
        draft = request.POST.get("message", "")
        try:
            result = chat_turn(twin=twin, user=request.user, message=draft,
                               conversation_id=conversation.pk if conversation else None)
            url = reverse("chat:page", args=[twin.pk]) + f"?conversation={result.conversation.pk}#latest"
            return redirect(url)
        except ValidationFailed as exc:
            error, status = exc.errors[0]["message"] if exc.errors else exc.message, 400
            error = f"Message {error}."
        except LLMError as exc:
            error, status = f"The language model did not answer: {exc.message}", 502

    conversations = conversation_list_for(twin=twin, user=request.user)[:20]
    context = {
        "twin": twin,
        "conversation": conversation,
        "messages_": list(conversation_messages(conversation)) if conversation else [],
        "conversations": conversations,
        "error": error,
        "draft": draft,
        "max_length": MESSAGE_MAX_LENGTH,
    }
    return render(request, "chat/chat.html", context, status=status)


@login_required
@require_GET
def prompt_page(request, twin_id, fingerprint):
    twin = _twin_or_404(request.user, twin_id)
    try:
        use = prompt_use_for(user=request.user, twin=twin, fingerprint=fingerprint)
    except NotFound:
        raise Http404("Prompt not found") from None
    return render(request, "chat/prompt.html", {"twin": twin, "snapshot": use.snapshot, "trace": use.reply.trace,
                                                "used_at": use.reply.created, "back": request.GET.get("conversation")})
