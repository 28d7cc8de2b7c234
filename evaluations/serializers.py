from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.openapi import closed_request_body
from evaluations.case_schema import MAX_PHRASES, MAX_TAGS, MAX_WORDS, STRUCTURES
from evaluations.models import EvalCase, EvalResult, EvalRun
from evaluations.selectors import unpicked
from personas.prompting import INTERACTION_CONTEXT_CHOICES
from personas.spec import INTENT_LABELS


class ExpectSerializer(serializers.Serializer):
    """Documentation of `expect`; requests are validated by `evaluations.case_schema` (strict, every
    problem at once with its JSON Pointer)."""

    # The limits of evaluations.case_schema, so the schema refuses what the server refuses.
    must_include_any = serializers.ListField(child=serializers.CharField(max_length=500), required=False,
                                             max_length=MAX_PHRASES)
    must_not_include = serializers.ListField(child=serializers.CharField(max_length=500), required=False,
                                             max_length=MAX_PHRASES)
    min_words = serializers.IntegerField(required=False, min_value=0, max_value=MAX_WORDS)
    max_words = serializers.IntegerField(required=False, min_value=1, max_value=MAX_WORDS)
    structure = serializers.ChoiceField(choices=list(STRUCTURES), required=False)
    should_clarify = serializers.BooleanField(required=False)


@closed_request_body  # the case schema forbids unknown fields
class ExpectInputSerializer(ExpectSerializer):
    """`expect` as sent: null stands for "not expected", as the case schema reads it."""

    min_words = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_WORDS)
    max_words = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_WORDS)
    structure = serializers.ChoiceField(choices=list(STRUCTURES), required=False, allow_null=True)
    should_clarify = serializers.BooleanField(required=False, allow_null=True)


@closed_request_body
class EvalCaseInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    message = serializers.CharField(max_length=8000)
    interaction_context = serializers.ChoiceField(choices=INTERACTION_CONTEXT_CHOICES, required=False, allow_null=True)
    expected_intent = serializers.ChoiceField(choices=list(INTENT_LABELS), required=False, allow_null=True)
    expect = ExpectInputSerializer(required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=MAX_TAGS)
    active = serializers.BooleanField(required=False, default=True)


class EvalCaseSerializer(serializers.ModelSerializer):
    twin_id = serializers.UUIDField(read_only=True)
    interaction_context = serializers.SerializerMethodField()
    expected_intent = serializers.SerializerMethodField()
    expect = ExpectSerializer()

    class Meta:
        model = EvalCase
        fields = ["id", "twin_id", "name", "message", "interaction_context", "expected_intent", "expect", "tags",
                  "active", "created_at", "updated_at"]
        read_only_fields = fields

    def get_interaction_context(self, case) -> str | None:
        return case.interaction_context or None

    def get_expected_intent(self, case) -> str | None:
        return case.expected_intent or None


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class EvalResultSerializer(serializers.ModelSerializer):
    case_id = serializers.CharField(source="case_key")
    checks = CheckSerializer(many=True)
    compliance = serializers.JSONField()

    class Meta:
        model = EvalResult
        fields = ["case_id", "source", "name", "message", "intent_label", "reply", "prompt_fingerprint", "compliance",
                  "checks", "passed", "latency_ms", "error"]
        read_only_fields = fields


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")


class SummarySerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    pass_rate = serializers.FloatField(allow_null=True)
    compliance_mean = serializers.FloatField(allow_null=True)
    regressions = serializers.ListField(child=serializers.CharField())
    baseline_run_id = serializers.CharField(allow_null=True, required=False)


class EvalRunSerializer(serializers.ModelSerializer):
    """A run without its results (lists)."""

    progress = ProgressSerializer(source="*")
    summary = serializers.SerializerMethodField(help_text="Null until the run has finished.")
    note = serializers.SerializerMethodField(help_text="Why a queued run has not started, when it has waited long.")
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EvalRun
        fields = ["id", "version", "spec_hash", "provider", "model", "status", "progress", "summary", "error", "note",
                  "requested_by", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(SummarySerializer(allow_null=True))
    def get_summary(self, run) -> dict | None:
        return SummarySerializer(run.summary).data if run.summary else None

    def get_note(self, run) -> str | None:
        if unpicked(run):
            return ("No worker has picked this run up for over a minute: is a worker running? `make run` starts "
                    "one; in production run `manage.py procrastinate worker` (README).")
        return None


class EvalRunDetailSerializer(EvalRunSerializer):
    results = EvalResultSerializer(many=True, read_only=True)

    class Meta(EvalRunSerializer.Meta):
        fields = [*EvalRunSerializer.Meta.fields, "results"]
        read_only_fields = fields
