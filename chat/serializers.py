from rest_framework import serializers

from chat.models import MESSAGE_MAX_LENGTH, Conversation, Message
from personas.compliance import RULE_WEIGHTS
from personas.serializers import PromptTraceSerializer


class ChatRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)
    conversation_id = serializers.UUIDField(required=False, allow_null=True)
    interaction_context = serializers.ChoiceField(choices=Conversation.Context.choices, required=False)
    stream = serializers.BooleanField(
        required=False, help_text="Answer with Server-Sent Events (see the description). Without it, "
        "`Accept: text/event-stream` asks for a stream."
    )


class ViolationSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=list(RULE_WEIGHTS))
    detail = serializers.CharField()


# personas.compliance.Compliance.as_dict(); docs/persona-spec.md explains the rules and the score.
class ComplianceSerializer(serializers.Serializer):
    score = serializers.FloatField(min_value=0, max_value=1, help_text="1 - violated weight / applicable weight.")
    violations = ViolationSerializer(many=True)
    rules_checked = serializers.ListField(
        child=serializers.ChoiceField(choices=list(RULE_WEIGHTS)), help_text="The rules that applied to this reply."
    )


# Every key chat_turn stores in a reply's trace, none other: the chat response is serialized with
# this, so a key missing here would be dropped from the API (tests/chat/test_chat_api.py checks).
class TraceSerializer(PromptTraceSerializer):
    provider = serializers.CharField()
    model = serializers.CharField()
    latency_ms = serializers.IntegerField()
    banned_phrase_hits = serializers.ListField(child=serializers.CharField())
    compliance = ComplianceSerializer(
        allow_null=True, help_text="The reply's compliance with the version's spec; null on the legacy persona."
    )


# Serializes a chat.services.ChatTurnResult (comments, not docstrings: those would enter the schema).
class ChatResponseSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField(source="conversation.pk")
    reply = serializers.CharField(source="reply.content")
    trace = TraceSerializer(source="reply.trace")


# The `done` event of a streamed reply: the JSON answer plus the stored reply's id.
class ChatStreamDoneSerializer(ChatResponseSerializer):
    message_id = serializers.IntegerField(source="reply.pk")


class MessageSerializer(serializers.ModelSerializer):
    trace = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "role", "content", "trace", "created"]

    def get_trace(self, message) -> dict | None:
        return message.trace if message.role == Message.Role.ASSISTANT else None


class ConversationSerializer(serializers.ModelSerializer):
    twin_id = serializers.UUIDField(read_only=True)
    messages = MessageSerializer(many=True, read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "twin_id", "interaction_context", "title", "created", "updated", "messages"]


class ConversationSummarySerializer(serializers.ModelSerializer):
    twin_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "twin_id", "interaction_context", "title", "created", "updated"]
