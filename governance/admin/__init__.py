"""Publish governance in the tenant admin: publish policies (the tenant default and each twin's),
approvals (read-only, plus the view behind the review page's Approve / Request changes buttons), the
policy log, and the twin admin extended once more with the twin's policy.

Importing this package registers the model admins (the twin's in place of the personas app's).
"""

from governance.admin.approvals import ApprovalAdmin
from governance.admin.policies import PolicyChangeAdmin, PublishPolicyAdmin
from governance.admin.twins import PublishPolicyInline, TwinPublishPolicyAdmin

__all__ = ["ApprovalAdmin", "PolicyChangeAdmin", "PublishPolicyAdmin", "PublishPolicyInline",
           "TwinPublishPolicyAdmin"]
