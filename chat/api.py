"""Chat endpoints: POST /api/twins/{twin_id}/chat (a whole reply, or Server-Sent Events) and the
conversations of the caller."""

from __future__ import annotations

import itertools
import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django_tenants.utils import tenant_context
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.event_stream import EVENT_STREAM, accepts_event_stream, event_stream_response, sse_event
from chat.llm import LLMError
from chat.selectors import conversation_for, conversation_list_for
from chat.serializers import (
    ChatRequestSerializer,
    ChatResponseSerializer,
    ChatStreamDoneSerializer,
    ConversationSerializer,
    ConversationSummarySerializer,
)
from chat.services import ChatTurnResult, chat_turn, chat_turn_prepare, chat_turn_stream
from chat.throttling import ChatRateThrottle
from core.errors import DomainError
from core.exceptions import DATABASE_UNAVAILABLE, error_body
from core.openapi import errors
from twins.selectors import twin_get_for_user

logger = logging.getLogger(__name__)

SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["delta", "done", "error"]},
        "data": {"type": "string", "description": "JSON: `{text}` (delta), the JSON answer (done), an Error (error)."},
    },
    "required": ["event", "data"],
}

STREAM_DESCRIPTION = """\
With `"stream": true` in the body, or `Accept: text/event-stream` and no `stream` field, the reply
streams as Server-Sent Events:

* `delta` — `{"text": "..."}`, the reply's next piece as the model sends it; the pieces concatenate
  to the stored reply;
* `done` — once, last: `{"conversation_id", "message_id", "reply", "trace"}` as in the JSON answer
  (the trace, compliance included, is computed on the whole reply), sent after the turn is stored;
* `error` — instead of `done` when the model fails midway or the turn cannot be stored (its
  conversation was deleted meanwhile): `{"detail", "errors"}`; nothing of the turn is stored.

The response starts with the model's first piece. Authentication, permission, throttling, unknown
twin or conversation and validation errors, and a model endpoint that fails before its first piece
(502), are the usual JSON errors. A client that disconnects mid-stream stops the model request and
nothing is stored.
"""


class ChatView(APIView):
    throttle_classes = [ChatRateThrottle]

    def perform_content_negotiation(self, request, force=False):
        # The stream is written by this view, not by a DRF renderer; everything DRF renders here (the
        # whole reply and every error, before the stream starts) is JSON, even for a client that
        # only accepts text/event-stream.
        if accepts_event_stream(request):
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        request=ChatRequestSerializer,
        responses={
            (200, "application/json"): OpenApiResponse(
                ChatResponseSerializer, description="The reply and its trace; with `stream`, the Server-Sent Events "
                "described above (`text/event-stream`)."),
            # One schema per event, as an SSE reader (schemathesis included) parses the stream; each
            # event's `data` is a JSON text, described above.
            (200, EVENT_STREAM): OpenApiResponse(SSE_EVENT_SCHEMA),
            **errors(429, 502),
        },
        description=STREAM_DESCRIPTION,
    )
    def post(self, request, twin_id):
        twin = twin_get_for_user(request.user, twin_id)
        data = ChatRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        stream = fields.pop("stream", None)
        if stream or (stream is None and accepts_event_stream(request)):
            return self._stream(twin, request.user, fields)
        try:
            result = chat_turn(twin=twin, user=request.user, **fields)
        except LLMError as exc:
            # The model endpoint failed, not this service: 502, with a message fit to show.
            return Response(error_body(exc.message), status=status.HTTP_502_BAD_GATEWAY)
        return Response(ChatResponseSerializer(result).data)

    def _stream(self, twin, user, fields):
        pieces = chat_turn_stream(turn=chat_turn_prepare(twin=twin, user=user, **fields))
        try:
            # Wait for the model's first piece before the status line: an endpoint that is down or
            # refuses the request is a 502 JSON error, as without streaming.
            first = next(pieces)
        except LLMError as exc:
            return Response(error_body(exc.message), status=status.HTTP_502_BAD_GATEWAY)
        return event_stream_response(_chat_events(connection.tenant, first, pieces))


def _chat_events(tenant, first, pieces):
    """chat_turn_stream's items as SSE events; a failure after the stream started becomes an
    `error` event, because the status line has already gone out."""
    try:
        # The body is produced after the view has returned, so the tenant is set again explicitly.
        with tenant_context(tenant):
            for piece in itertools.chain([first], pieces):
                yield _event(piece)
    except LLMError as exc:
        yield sse_event("error", error_body(exc.message))
    except DomainError as exc:
        yield sse_event("error", error_body(exc.message, exc.errors))
    except (OperationalError, InterfaceError) as exc:
        logger.error("database unavailable while storing a streamed reply: %s", exc)
        yield sse_event("error", error_body(DATABASE_UNAVAILABLE))
    except DatabaseError:
        logger.exception("storing a streamed reply failed")
        yield sse_event("error", error_body("Internal server error."))
    except Exception:
        logger.exception("a streamed reply failed")
        yield sse_event("error", error_body("Internal server error."))
    finally:
        pieces.close()


def _event(piece) -> bytes:
    if isinstance(piece, ChatTurnResult):
        return sse_event("done", ChatStreamDoneSerializer(piece).data)
    return sse_event("delta", {"text": piece})


class ConversationListView(ListAPIView):
    serializer_class = ConversationSummarySerializer

    def get_queryset(self):
        twin = twin_get_for_user(self.request.user, self.kwargs["twin_id"])
        return conversation_list_for(twin=twin, user=self.request.user)


class ConversationDetailView(APIView):
    @extend_schema(responses=ConversationSerializer)
    def get(self, request, twin_id, conversation_id):
        twin = twin_get_for_user(request.user, twin_id)
        conversation = conversation_for(twin=twin, user=request.user, conversation_id=conversation_id)
        return Response(ConversationSerializer(conversation).data)
