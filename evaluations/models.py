"""Evaluation suites and runs, in each tenant's schema.

- An `EvalCase` is one message a twin must handle well, with what the reply must (not) contain.
- An `EvalRun` runs every active case of the twin, plus one case per canonical example of the version
  under test, through the same prompt renderer and provider chat uses; `EvalResult` is one case's
  outcome. A run is bound to the exact content it tested (`spec_hash`): the publish gate only counts
  runs of the hash being published.

Invariant the database keeps: at most one queued or running run per (twin, spec hash, provider,
model), so asking twice never pays for the same model calls twice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

CASE_NAME_MAX_LENGTH = 200
CASE_MESSAGE_MAX_LENGTH = 8000


class EvalCase(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    twin = models.ForeignKey("twins.Twin", on_delete=models.CASCADE, related_name="eval_cases")
    name = models.CharField(max_length=CASE_NAME_MAX_LENGTH)
    message = models.TextField(max_length=CASE_MESSAGE_MAX_LENGTH)
    interaction_context = models.CharField(max_length=32, blank=True)
    expected_intent = models.CharField(max_length=100, blank=True)
    # {"must_include_any"?, "must_not_include"?, "min_words"?, "max_words"?, "structure"?, "should_clarify"?}
    expect = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["twin", "name"]
        constraints = [models.UniqueConstraint(fields=["twin", "name"], name="uniq_eval_case_twin_name")]

    def __str__(self) -> str:
        return self.name


class EvalRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    UNFINISHED = (Status.QUEUED, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    twin = models.ForeignKey("twins.Twin", on_delete=models.CASCADE, related_name="eval_runs")
    persona_spec = models.ForeignKey("personas.PersonaSpec", on_delete=models.CASCADE, related_name="eval_runs")
    version = models.CharField(max_length=40)
    spec_hash = models.CharField(max_length=64)
    provider = models.CharField(max_length=40)
    model = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # {"cases", "passed", "failed", "pass_rate", "compliance_mean", "regressions": [case keys]}
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["persona_spec", "-created_at"], name="eval_run_spec_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "passed", "failed", "error", "cancelled"]),
                name="eval_run_status_valid"),
            models.UniqueConstraint(fields=["twin", "spec_hash", "provider", "model"],
                                    condition=models.Q(status__in=["queued", "running"]),
                                    name="one_unfinished_eval_run_per_content"),
        ]

    def __str__(self) -> str:
        return f"{self.twin} v{self.version} evaluation ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in self.UNFINISHED


class EvalResult(models.Model):
    class Source(models.TextChoices):
        CASE = "case", "Written case"
        SPEC_EXAMPLE = "spec_example", "Canonical example of the version"

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField()
    # Stable across runs, to find regressions: the case's id, or "spec_example:<example id or index>".
    case_key = models.CharField(max_length=200)
    case = models.ForeignKey(EvalCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    name = models.CharField(max_length=CASE_NAME_MAX_LENGTH)
    message = models.TextField()
    intent_label = models.CharField(max_length=100, blank=True)
    reply = models.TextField(blank=True)
    prompt_fingerprint = models.CharField(max_length=64, blank=True)
    compliance = models.JSONField(default=dict, blank=True)
    checks = models.JSONField(default=list, blank=True)  # [{"name", "passed", "detail"}]
    passed = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "case_key"], name="uniq_eval_result_run_case")]
