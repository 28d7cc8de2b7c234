from django.urls import re_path

from governance.api import ApprovalListView, TenantPublishPolicyView, TwinPublishPolicyView

TWIN = r"twins/(?P<twin_id>[0-9a-fA-F-]{36})"

urlpatterns = [
    re_path(r"^publish-policy/?$", TenantPublishPolicyView.as_view(), name="tenant-publish-policy"),
    re_path(rf"^{TWIN}/publish-policy/?$", TwinPublishPolicyView.as_view(), name="twin-publish-policy"),
    re_path(rf"^{TWIN}/persona-specs/(?P<version>\d+\.\d+\.\d+)/approvals/?$", ApprovalListView.as_view(),
            name="persona-spec-approvals"),
]
