"""Persona spec endpoints under /api/twins/{twin_id}/persona-specs.

Thin views: an input serializer parses, one selector, service or transition acts, and the output
serializer that the OpenAPI schema documents shapes the response, so the two cannot drift apart.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Conflict, ValidationFailed
from core.openapi import errors
from personas.comparison import persona_spec_compare, suggested_version
from personas.previews import prompt_plan_preview
from personas.prompting import INTERACTION_CONTEXTS, default_interaction_context, preview_system_prompt
from personas.selectors import (
    audit_event_list,
    persona_spec_active_of,
    persona_spec_get,
    persona_spec_list,
    persona_spec_page,
    persona_spec_read,
    persona_spec_with_twin,
    twin_for_spec_access,
    version_not_found,
)
from personas.serializers import (
    DIFF_MESSAGE_MAX_LENGTH,
    ActivePersonaSpecSerializer,
    AuditEventSerializer,
    PersonaSpecCreatedSerializer,
    PersonaSpecCreateSerializer,
    PersonaSpecGeneratedSerializer,
    PersonaSpecGenerateSerializer,
    PersonaSpecSerializer,
    PreviewRequestSerializer,
    PreviewSerializer,
    PublishedSerializer,
    PublishRequestSerializer,
    VersionDiffSerializer,
)
from personas.services import persona_spec_create, persona_spec_generate
from personas.spec import INTENT_LABELS, SpecValidationError, persona_spec_json_schema
from personas.transitions import OVERRIDE_OPTION, persona_spec_publish


class PersonaSpecViewSet(viewsets.GenericViewSet):
    serializer_class = PersonaSpecSerializer
    lookup_field = "version"
    lookup_value_regex = r"\d+\.\d+\.\d+"

    def twin(self):
        return twin_for_spec_access(self.request.user, self.kwargs["twin_id"])

    def get_queryset(self):  # for the schema generator; every action goes through the selectors
        return persona_spec_list(twin=self.twin(), user=self.request.user)

    def list(self, request, twin_id=None):
        # One statement for the twin, the page and the count; the usual three for an empty page.
        page = self.paginator.paginate_counted(
            request, lambda offset, limit: persona_spec_page(user=request.user, twin_id=twin_id,
                                                             offset=offset, limit=limit))
        if page is None:
            page = self.paginate_queryset(persona_spec_list(twin=self.twin(), user=request.user))
        return self.get_paginated_response(PersonaSpecSerializer(page, many=True).data)

    def retrieve(self, request, twin_id=None, version=None):
        persona_spec = persona_spec_read(user=request.user, twin_id=twin_id, version=version)
        return Response(PersonaSpecSerializer(persona_spec).data)

    @extend_schema(responses=ActivePersonaSpecSerializer)
    @action(detail=False, methods=["get"])
    def active(self, request, twin_id=None):
        active = persona_spec_active_of(user=request.user, twin_id=twin_id)
        return Response(ActivePersonaSpecSerializer({"active": active is not None, "spec": active}).data)

    @extend_schema(request=PersonaSpecCreateSerializer, responses={
        201: PersonaSpecCreatedSerializer,
        **errors(**{"409": "The version already exists, or no patch number is left after the highest one."})})
    def create(self, request, twin_id=None):
        twin = self.twin()
        data = PersonaSpecCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        persona_spec = persona_spec_create(twin=twin, actor=request.user, **data.validated_data)
        body = PersonaSpecCreatedSerializer(_stored_version(persona_spec)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonaSpecGenerateSerializer, responses={
        201: PersonaSpecGeneratedSerializer,
        **errors(**{"409": "No patch number is left, or auto_publish was blocked."})})
    @action(detail=False, methods=["post"])
    def generate(self, request, twin_id=None):
        twin = self.twin()
        data = PersonaSpecGenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = persona_spec_generate(twin=twin, actor=request.user, **data.validated_data)
        body = PersonaSpecGeneratedSerializer(_stored_version(result.persona_spec,
                                                             generated_from=result.generated_from)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("intent", str, enum=[*INTENT_LABELS],
                             description="Render both prompts for this intent (default: classify `message`; none without one)."),
            OpenApiParameter("message", {"type": "string", "maxLength": DIFF_MESSAGE_MAX_LENGTH},
                             description="A sample user message for the prompt diff."),
            OpenApiParameter("context", str, enum=sorted(INTERACTION_CONTEXTS),
                             description="Interaction context of the prompts (default: as chat decides for the caller)."),
        ],
        responses=VersionDiffSerializer,
    )
    @action(detail=True, methods=["get"], url_path=r"diff/(?P<other>\d+\.\d+\.\d+)")
    def diff(self, request, twin_id=None, version=None, other=None):
        """What changed from `version` to `other`: structural changes matched by id, the full prompt diff
        for one message, and the semver bump the changes call for."""
        twin = self.twin()
        before = persona_spec_get(twin=twin, user=request.user, version=version)
        after = persona_spec_get(twin=twin, user=request.user, version=other)
        intent, context = request.query_params.get("intent"), request.query_params.get("context")
        errors = []
        if intent is not None and intent not in INTENT_LABELS:
            errors.append({"path": "/intent", "message": f"not an intent label; one of {', '.join(INTENT_LABELS)}"})
        if context is not None and context not in INTERACTION_CONTEXTS:
            errors.append({"path": "/context", "message": f"one of {', '.join(sorted(INTERACTION_CONTEXTS))}"})
        message = request.query_params.get("message", "")
        if len(message) > DIFF_MESSAGE_MAX_LENGTH:
            errors.append({"path": "/message", "message": f"at most {DIFF_MESSAGE_MAX_LENGTH} characters in a query "
                                                         "string; POST .../preview takes longer ones"})
        if errors:
            raise ValidationFailed("Invalid query parameters.", errors=errors)
        comparison = persona_spec_compare(
            before=before, after=after, intent_label=intent, message=message,
            interaction_context=context or default_interaction_context(twin, request.user),
        )
        return Response(VersionDiffSerializer(comparison).data)

    @extend_schema(request=PreviewRequestSerializer, responses={
        200: PreviewSerializer, **errors(**{"409": "The version does not compile."})})
    @action(detail=True, methods=["post"])
    def preview(self, request, twin_id=None, version=None):
        """What a chat turn with this message would send to the model if this version were active."""
        twin = self.twin()
        data = PreviewRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        persona_spec = persona_spec_get(twin=twin, user=request.user, version=version)
        options = data.validated_data
        try:
            prompt = preview_system_prompt(
                persona_spec, message=options["message"], intent_label=options.get("intent_label"),
                interaction_context=options.get("interaction_context")
                or default_interaction_context(twin, request.user),
            )
        except SpecValidationError as exc:
            raise Conflict(f"Version {version} does not compile.", errors=exc.errors) from None
        return Response(PreviewSerializer(prompt).data)

    @extend_schema(request=PublishRequestSerializer, responses={200: PublishedSerializer, **errors(**{
        "409": "The active version changed (expected_active_version), the publish policy blocks it, or the "
        "version does not compile."})})
    @action(detail=True, methods=["post"])
    def publish(self, request, twin_id=None, version=None):
        # The twin and the version in one query; a missing version is still a 404 after a bad body's 400.
        _, persona_spec = persona_spec_with_twin(user=request.user, twin_id=twin_id, version=version)
        data = PublishRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if persona_spec is None:
            raise version_not_found(version)
        options = dict(data.validated_data)
        override = {OVERRIDE_OPTION: True} if options.pop("override_gate") else None
        result = persona_spec_publish(persona_spec=persona_spec, actor=request.user, options=override, **options)
        return Response(PublishedSerializer(result).data)


def _stored_version(persona_spec, **extra) -> dict:
    """What create and generate answer: the row, what the compiler makes of it, and the version number
    its changes against the active version deserve."""
    return {"status": persona_spec.status, "persona_spec": persona_spec,
            "prompt_plan_preview": prompt_plan_preview(persona_spec.spec),
            "suggestion": suggested_version(twin=persona_spec.twin, spec=persona_spec.spec, exclude_pk=persona_spec.pk,
                                            neighbours=getattr(persona_spec, "neighbours_at_create", None)),
            **extra}


class AuditEventListView(ListAPIView):
    """GET /api/twins/{twin_id}/audit-events: who created, published and rolled back what, newest first."""

    serializer_class = AuditEventSerializer

    def get_queryset(self):
        twin = twin_for_spec_access(self.request.user, self.kwargs["twin_id"])
        return audit_event_list(twin=twin, user=self.request.user)


class PersonaSpecJsonSchemaView(APIView):
    """The JSON Schema of persona spec v1, for editors and client-side validation."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(persona_spec_json_schema())
