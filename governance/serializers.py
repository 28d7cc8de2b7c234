from __future__ import annotations

from rest_framework import serializers

from governance.models import COMMENT_MAX_LENGTH, OPTIONAL_POLICY_FIELDS, POLICY_FIELDS, Approval, PublishPolicy
from governance.selectors import PolicySource


class PublishPolicyUpdateSerializer(serializers.ModelSerializer):
    """PUT body: the whole policy (every key required); validated by the model's own rules."""

    class Meta:
        model = PublishPolicy
        fields = list(POLICY_FIELDS)
        extra_kwargs = {key: {"required": key not in OPTIONAL_POLICY_FIELDS} for key in POLICY_FIELDS}


class PublishPolicySerializer(serializers.ModelSerializer):
    """The policy in force and where it comes from: the twin's own (`twin`), the tenant default
    (`tenant`), or built-in defaults (`default`, never stored: `updated_at` and `updated_by` are null)."""

    source = serializers.ChoiceField(choices=PolicySource.CHOICES, read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Null for the built-in defaults.")

    class Meta:
        model = PublishPolicy
        fields = [*POLICY_FIELDS, "source", "updated_at", "updated_by"]
        read_only_fields = fields


class ApprovalCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Approval.Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default="",
                                    help_text="Why; required to request changes.")


class ApprovalSerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="persona_spec.version", read_only=True)
    reviewer = serializers.CharField(source="reviewer_username", read_only=True)
    matches_current_content = serializers.BooleanField(
        read_only=True, help_text="Whether spec_hash is the version's: only then does an approval count.")

    class Meta:
        model = Approval
        fields = ["id", "version", "spec_hash", "reviewer", "decision", "comment", "created_at",
                  "matches_current_content"]
        read_only_fields = fields


class ApprovalStatusSerializer(serializers.Serializer):
    required = serializers.IntegerField(help_text="Approvals the twin's policy requires (0: none).")
    approved_by = serializers.ListField(child=serializers.CharField(),
                                        help_text="Reviewers whose latest decision approves this exact content.")
    changes_requested_by = serializers.ListField(child=serializers.CharField(),
                                                 help_text="Reviewers whose latest decision requests changes.")
    satisfied = serializers.BooleanField(help_text="Whether the approvals allow publishing this version.")
    policy_source = serializers.ChoiceField(choices=PolicySource.CHOICES, source="policy.source")


class ApprovalPageSerializer(serializers.Serializer):
    """A page of decisions on a version, newest first, and where the version stands."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    status = ApprovalStatusSerializer()
    results = ApprovalSerializer(many=True)
