from django.urls import re_path

from evaluations.api import (
    EvalCaseDetailView,
    EvalCaseExportView,
    EvalCaseImportView,
    EvalCaseListView,
    EvalRunCancelView,
    EvalRunDetailView,
    VersionEvaluationsView,
)

TWIN = r"twins/(?P<twin_id>[0-9a-fA-F-]{36})"
UUID = r"[0-9a-fA-F-]{36}"

urlpatterns = [
    re_path(rf"^{TWIN}/eval-cases/?$", EvalCaseListView.as_view(), name="eval-cases"),
    re_path(rf"^{TWIN}/eval-cases/export/?$", EvalCaseExportView.as_view(), name="eval-cases-export"),
    re_path(rf"^{TWIN}/eval-cases/import/?$", EvalCaseImportView.as_view(), name="eval-cases-import"),
    re_path(rf"^{TWIN}/eval-cases/(?P<case_id>{UUID})/?$", EvalCaseDetailView.as_view(), name="eval-case"),
    re_path(rf"^{TWIN}/persona-specs/(?P<version>\d+\.\d+\.\d+)/evaluations/?$", VersionEvaluationsView.as_view(),
            name="version-evaluations"),
    re_path(rf"^{TWIN}/evaluations/(?P<run_id>{UUID})/?$", EvalRunDetailView.as_view(), name="eval-run"),
    re_path(rf"^{TWIN}/evaluations/(?P<run_id>{UUID})/cancel/?$", EvalRunCancelView.as_view(), name="eval-run-cancel"),
]
