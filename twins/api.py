"""Twin and memory endpoints: parse, call one service or selector, shape the output."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from twins.selectors import memory_list_for_twin, twin_get_for_user, twin_list_for_user
from twins.serializers import MemorySerializer, TwinCreateSerializer, TwinSerializer, TwinUpdateSerializer
from twins.services import memory_create, twin_create, twin_update


class TwinViewSet(viewsets.GenericViewSet):
    serializer_class = TwinSerializer
    lookup_url_kwarg = "twin_id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return twin_list_for_user(self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TwinSerializer(page, many=True).data)

    @extend_schema(request=TwinCreateSerializer, responses={201: TwinSerializer})
    def create(self, request):
        data = TwinCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        twin = twin_create(owner=request.user, **data.validated_data)
        return Response(TwinSerializer(twin).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, twin_id=None):
        return Response(TwinSerializer(twin_get_for_user(request.user, twin_id)).data)

    @extend_schema(request=TwinUpdateSerializer, responses={200: TwinSerializer})
    def partial_update(self, request, twin_id=None):
        twin = twin_get_for_user(request.user, twin_id)
        data = TwinUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        twin = twin_update(twin=twin, actor=request.user, **data.validated_data)
        return Response(TwinSerializer(twin).data)


class MemoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MemorySerializer

    def get_queryset(self):
        twin = twin_get_for_user(self.request.user, self.kwargs["twin_id"])
        return memory_list_for_twin(twin)

    @extend_schema(request=MemorySerializer, responses={201: MemorySerializer})
    def create(self, request, twin_id=None):
        twin = twin_get_for_user(request.user, twin_id)
        data = MemorySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        memory = memory_create(twin=twin, actor=request.user, **data.validated_data)
        return Response(MemorySerializer(memory).data, status=status.HTTP_201_CREATED)
