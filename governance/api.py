"""Publish policies and approvals: /api/publish-policy, /api/twins/{twin_id}/publish-policy and
/api/twins/{twin_id}/persona-specs/{version}/approvals.

Thin views, as in personas.api: an input serializer parses, one selector or service acts, and the
documented output serializer shapes the response.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import errors
from core.pagination import StandardPagination
from governance.selectors import approval_list, approval_status, publish_policy_for
from governance.serializers import (
    ApprovalCreateSerializer,
    ApprovalPageSerializer,
    ApprovalSerializer,
    PublishPolicySerializer,
    PublishPolicyUpdateSerializer,
)
from governance.services import approval_record, publish_policy_remove, publish_policy_update
from personas.selectors import persona_spec_get, twin_for_spec_access

POLICY_CONFLICT = errors(**{"409": "Someone else changed the policy at the same time: try again."})


class _PolicyView(APIView):
    def twin(self):
        raise NotImplementedError

    def get(self, request, **kwargs):
        return Response(PublishPolicySerializer(publish_policy_for(self.twin())).data)

    def put(self, request, **kwargs):
        twin = self.twin()
        data = PublishPolicyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = publish_policy_update(twin=twin, actor=request.user, **data.validated_data)
        return Response(PublishPolicySerializer(policy).data)


@extend_schema(tags=["publish policy"])
class TwinPublishPolicyView(_PolicyView):
    """A twin's publish policy: its own, else the tenant default, else the built-in defaults. Visible to
    whoever may see the twin's specs; changing it needs `governance.change_publishpolicy` (the twin's
    owner too: an owner must not switch off their own twin's approvals)."""

    def twin(self):
        return twin_for_spec_access(self.request.user, self.kwargs["twin_id"])

    @extend_schema(responses=PublishPolicySerializer)
    def get(self, request, twin_id=None):
        return super().get(request)

    @extend_schema(request=PublishPolicyUpdateSerializer, responses={200: PublishPolicySerializer, **POLICY_CONFLICT})
    def put(self, request, twin_id=None):
        return super().put(request)

    @extend_schema(request=None, responses={200: PublishPolicySerializer})
    def delete(self, request, twin_id=None):
        """Remove the twin's own policy: it follows the tenant default again (or the built-in defaults).
        Answers with the policy it follows now; a twin without a policy of its own is left as it is."""
        policy = publish_policy_remove(twin=self.twin(), actor=request.user)
        return Response(PublishPolicySerializer(policy).data)


@extend_schema(tags=["publish policy"])
class TenantPublishPolicyView(_PolicyView):
    """The tenant's default publish policy, followed by every twin without its own. Readable by any
    signed-in user of the tenant (a twin's policy shows it anyway where the twin inherits it); changing
    it needs `governance.change_publishpolicy`."""

    def twin(self):
        return None

    @extend_schema(responses=PublishPolicySerializer)
    def get(self, request):
        return super().get(request)

    @extend_schema(request=PublishPolicyUpdateSerializer, responses={200: PublishPolicySerializer, **POLICY_CONFLICT})
    def put(self, request):
        return super().put(request)


@extend_schema(tags=["approvals"])
class ApprovalListView(APIView):
    """Reviews of one version: approve it, or request changes (with a comment)."""

    pagination_class = StandardPagination

    def persona_spec(self):
        twin = twin_for_spec_access(self.request.user, self.kwargs["twin_id"])
        return persona_spec_get(twin=twin, user=self.request.user, version=self.kwargs["version"])

    @extend_schema(responses=ApprovalPageSerializer)
    def get(self, request, twin_id=None, version=None):
        """Decisions on the version, newest first and paginated, with `status`: where the version stands
        against its twin's policy."""
        persona_spec = self.persona_spec()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(approval_list(persona_spec=persona_spec, user=request.user), request,
                                           view=self)
        return Response(ApprovalPageSerializer({
            "count": paginator.page.paginator.count, "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(), "status": approval_status(persona_spec), "results": page,
        }).data)

    @extend_schema(request=ApprovalCreateSerializer, responses={
        201: ApprovalSerializer, **errors(**{"409": "The version is not a draft."})})
    def post(self, request, twin_id=None, version=None):
        """Record the caller's decision, bound to the version's content (spec_hash). Needs
        `personas.approve_personaspec`; not the version's author; drafts only."""
        persona_spec = self.persona_spec()
        data = ApprovalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approval = approval_record(persona_spec=persona_spec, reviewer=request.user, **data.validated_data)
        return Response(ApprovalSerializer(approval).data, status=status.HTTP_201_CREATED)
