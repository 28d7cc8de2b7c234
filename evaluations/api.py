"""Evaluation endpoints: a twin's cases (one by one and as JSON Lines), runs of a version, one run (and
cancelling it).

Thin views: parse, call one selector or service, shape with the documented serializer.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ValidationFailed
from core.openapi import errors
from evaluations.selectors import eval_case_get, eval_case_list, eval_run_get, eval_run_list
from evaluations.serializers import (
    EvalCaseInputSerializer,
    EvalCaseSerializer,
    EvalRunDetailSerializer,
    EvalRunSerializer,
    ImportResultSerializer,
)
from evaluations.services import (
    eval_case_create,
    eval_case_delete,
    eval_case_update,
    eval_cases_export,
    eval_cases_import,
    eval_run_cancel,
    eval_run_request,
)
from personas.selectors import persona_spec_get, twin_for_spec_access

JSONL_MEDIA_TYPE = "application/x-ndjson"
NAME_TAKEN = errors(**{"409": "Another case of the twin has that name."})


class JsonLinesParser(BaseParser):
    """A JSON Lines body, as text: each line is parsed (and reported) by the import itself."""

    media_type = JSONL_MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return stream.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed("The body is not UTF-8.", errors=[{"path": "", "message": "not UTF-8"}]) from None


class EvalCaseListView(ListAPIView):
    """GET: the twin's cases by name. POST: add one."""

    serializer_class = EvalCaseSerializer

    def twin(self):
        return twin_for_spec_access(self.request.user, self.kwargs["twin_id"])

    def get_queryset(self):
        return eval_case_list(twin=self.twin(), user=self.request.user)

    @extend_schema(request=EvalCaseInputSerializer, responses={201: EvalCaseSerializer, **NAME_TAKEN})
    def post(self, request, twin_id):
        case = eval_case_create(twin=self.twin(), actor=request.user, data=request.data)
        return Response(EvalCaseSerializer(case).data, status=status.HTTP_201_CREATED)


class EvalCaseDetailView(APIView):
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def case(self):
        twin = twin_for_spec_access(self.request.user, self.kwargs["twin_id"])
        return eval_case_get(twin=twin, user=self.request.user, case_id=self.kwargs["case_id"])

    @extend_schema(responses=EvalCaseSerializer)
    def get(self, request, twin_id, case_id):
        return Response(EvalCaseSerializer(self.case()).data)

    @extend_schema(request=EvalCaseInputSerializer, responses={200: EvalCaseSerializer, **NAME_TAKEN})
    def patch(self, request, twin_id, case_id):
        case = eval_case_update(case=self.case(), actor=request.user, changes=request.data)
        return Response(EvalCaseSerializer(case).data)

    @extend_schema(responses={204: None})
    def delete(self, request, twin_id, case_id):
        eval_case_delete(case=self.case(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvalCaseExportView(APIView):
    @extend_schema(responses={(200, JSONL_MEDIA_TYPE): OpenApiResponse(response=str, description="One case per line.")})
    def get(self, request, twin_id):
        twin = twin_for_spec_access(request.user, twin_id)
        body = eval_cases_export(cases=eval_case_list(twin=twin, user=request.user))
        response = HttpResponse(body, content_type=f"{JSONL_MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="eval-cases-{twin.pk}.jsonl"'
        return response


class EvalCaseImportView(APIView):
    """POST a JSON Lines body (Content-Type application/x-ndjson), or `{"jsonl": str}`: upserts by name."""

    parser_classes = [JsonLinesParser, JSONParser]

    @extend_schema(request={JSONL_MEDIA_TYPE: str, "application/json": {"type": "object", "properties": {
        "jsonl": {"type": "string"}}, "required": ["jsonl"]}}, responses=ImportResultSerializer)
    def post(self, request, twin_id):
        twin = twin_for_spec_access(request.user, twin_id)
        body = request.data
        text = body if isinstance(body, str) else body.get("jsonl") if isinstance(body, dict) else None
        if not isinstance(text, str):
            raise ValidationFailed("Send the cases as JSON Lines.", errors=[
                {"path": "/jsonl", "message": f"a string of JSON Lines, or a {JSONL_MEDIA_TYPE} body"}])
        result = eval_cases_import(twin=twin, actor=request.user, jsonl=text)
        return Response(ImportResultSerializer(result).data)


class VersionEvaluationsView(ListAPIView):
    """GET: the version's runs, newest first. POST: run its evaluation (202; the same run if one of the
    same content and provider is already queued or running)."""

    serializer_class = EvalRunSerializer

    def persona_spec(self):
        twin = twin_for_spec_access(self.request.user, self.kwargs["twin_id"])
        persona_spec = persona_spec_get(twin=twin, user=self.request.user, version=self.kwargs["version"])
        persona_spec.twin = twin
        return persona_spec

    def get_queryset(self):
        return eval_run_list(persona_spec=self.persona_spec(), user=self.request.user)

    @extend_schema(request=None, responses={
        202: EvalRunSerializer, **errors(**{"409": "The run would have more cases than EVAL_MAX_CASES_PER_RUN."})})
    def post(self, request, twin_id, version):
        requested = eval_run_request(persona_spec=self.persona_spec(), actor=request.user)
        return Response(EvalRunSerializer(requested.run).data, status=status.HTTP_202_ACCEPTED)


class EvalRunDetailView(APIView):
    @extend_schema(responses=EvalRunDetailSerializer)
    def get(self, request, twin_id, run_id):
        twin = twin_for_spec_access(request.user, twin_id)
        return Response(EvalRunDetailSerializer(eval_run_get(twin=twin, user=request.user, run_id=run_id)).data)


class EvalRunCancelView(APIView):
    @extend_schema(request=None, responses={200: EvalRunSerializer, **errors(**{
        "409": "The run has already finished."})})
    def post(self, request, twin_id, run_id):
        """Cancel a queued or running run: it finishes at once as `cancelled` (never counted by the publish
        gate); a running one stops asking the model within a second and keeps the results it has."""
        twin = twin_for_spec_access(request.user, twin_id)
        run = eval_run_cancel(run=eval_run_get(twin=twin, user=request.user, run_id=run_id), actor=request.user)
        return Response(EvalRunSerializer(run).data)
