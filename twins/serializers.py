from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from twins.models import LEGACY_SETTING_TYPES, TWIN_NAME_MAX_LENGTH, Memory, Twin

TYPE_NAMES = {str: "a string", list: "a list", dict: "an object"}
JSON_TYPES = {str: {"type": "string"}, list: {"type": "array", "items": {}}, dict: {"type": "object", "additionalProperties": True}}


@extend_schema_field({
    "type": "object", "additionalProperties": True,
    "properties": {key: JSON_TYPES[expected] for key, expected in LEGACY_SETTING_TYPES.items()},
    "description": "Legacy persona fields (typed as listed) and anything else the twin keeps.",
})
class TwinSettingsField(serializers.JSONField):
    """A JSON object; the legacy persona fields in it must have their expected types."""

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        problems = {
            key: [f"Expected {TYPE_NAMES[expected]}."]
            for key, expected in LEGACY_SETTING_TYPES.items()
            if key in data and not isinstance(data[key], expected)
        }
        if problems:
            raise serializers.ValidationError(problems)
        return data


class TwinOwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class TwinSerializer(serializers.ModelSerializer):
    owner = TwinOwnerSerializer(read_only=True)

    class Meta:
        model = Twin
        fields = ["id", "name", "owner", "settings", "status", "created_at", "updated_at"]


class TwinCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=TWIN_NAME_MAX_LENGTH)
    settings = TwinSettingsField(required=False, default=dict)
    status = serializers.ChoiceField(choices=Twin.Status.choices, required=False, default=Twin.Status.ACTIVE)


class TwinUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=TWIN_NAME_MAX_LENGTH, required=False)
    settings = TwinSettingsField(required=False)
    status = serializers.ChoiceField(choices=Twin.Status.choices, required=False)


class MemorySerializer(serializers.ModelSerializer):
    twin_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Memory
        fields = ["id", "twin_id", "topic", "value", "stance", "intensity", "status", "created_at", "updated_at"]
        read_only_fields = ["id", "twin_id", "created_at", "updated_at"]
        extra_kwargs = {"status": {"required": False}, "intensity": {"min_value": 0, "max_value": 10}}
