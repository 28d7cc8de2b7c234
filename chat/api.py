"""Chat endpoints: POST /api/twins/{twin_id}/chat and the conversations of the caller."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.llm import LLMError
from chat.selectors import conversation_for, conversation_list_for
from chat.serializers import (
    ChatRequestSerializer,
    ChatResponseSerializer,
    ConversationSerializer,
    ConversationSummarySerializer,
)
from chat.services import chat_turn
from chat.throttling import ChatRateThrottle
from core.exceptions import error_body
from core.openapi import errors
from twins.selectors import twin_get_for_user


class ChatView(APIView):
    throttle_classes = [ChatRateThrottle]

    @extend_schema(request=ChatRequestSerializer, responses={200: ChatResponseSerializer, **errors(429, 502)})
    def post(self, request, twin_id):
        twin = twin_get_for_user(request.user, twin_id)
        data = ChatRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = chat_turn(twin=twin, user=request.user, **data.validated_data)
        except LLMError as exc:
            # The model endpoint failed, not this service: 502, with a message fit to show.
            return Response(error_body(exc.message), status=status.HTTP_502_BAD_GATEWAY)
        return Response(ChatResponseSerializer(result).data)


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
