"""Which IAM action an AWS API call needs, and whether a policy document allows an action.

The CallRecorder sees calls as (endpoint prefix, operation); IAM names them
``service:Action``. Mostly the action is the operation under the service's IAM prefix; the
few that differ are listed in ``RENAMED``. An operation whose service has no prefix here
is an error, so a new AWS service in the code cannot slip past the policy test.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

# botocore endpoint prefix -> IAM service prefix
IAM_PREFIX = {
    "acm": "acm",
    "api.ecr": "ecr",
    "application-autoscaling": "application-autoscaling",
    "ec2": "ec2",
    "ecs": "ecs",
    "elasticloadbalancing": "elasticloadbalancing",
    "iam": "iam",
    "logs": "logs",
    "sns": "sns",
    "wafv2": "wafv2",
    "monitoring": "cloudwatch",
    "route53": "route53",
    "s3": "s3",
    "secretsmanager": "secretsmanager",
    "ssm": "ssm",
    "tagging": "tag",  # the Resource Groups Tagging API
    "sts": "sts",
    "servicediscovery": "servicediscovery",
    "scheduler": "scheduler",
    "events": "events",
}

# (IAM prefix, operation) -> the IAM actions it needs, where not simply prefix:Operation
RENAMED: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "PutPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
    ("s3", "PutBucketEncryption"): ("s3:PutEncryptionConfiguration",),
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "PutBucketLifecycleConfiguration"): ("s3:PutLifecycleConfiguration",),
    ("s3", "GetBucketLifecycleConfiguration"): ("s3:GetLifecycleConfiguration",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "AbortMultipartUpload"): ("s3:AbortMultipartUpload",),
    ("s3", "DeleteBucketLifecycle"): ("s3:PutLifecycleConfiguration",),
    # WAF checks a permission of the protected resource's own service as well: for an
    # Application Load Balancer, elasticloadbalancing:SetWebAcl on the load balancer
    ("wafv2", "AssociateWebACL"): ("wafv2:AssociateWebACL", "elasticloadbalancing:SetWebAcl"),
    ("wafv2", "DisassociateWebACL"): (
        "wafv2:DisassociateWebACL",
        "elasticloadbalancing:SetWebAcl",
    ),
    # it reads the web ACL it finds with GetWebACL, under the caller's permissions
    ("wafv2", "GetWebACLForResource"): ("wafv2:GetWebACLForResource", "wafv2:GetWebACL"),
}


def actions_for(endpoint_prefix: str, operation: str) -> tuple[str, ...]:
    """The IAM actions an API call needs; KeyError for a service not mapped here."""
    prefix = IAM_PREFIX[endpoint_prefix]
    return RENAMED.get((prefix, operation), (f"{prefix}:{operation}",))


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(pattern: str, action: str) -> bool:
    # IAM action names are case-insensitive; `*` and `?` are the only wildcards
    return re.fullmatch(fnmatch.translate(pattern.lower()), action.lower()) is not None


def allows(policy: dict[str, Any], action: str) -> bool:
    """Whether ``policy`` allows ``action`` on some resource: an Allow statement names it
    (Action wildcards count) and no unconditional Deny on every resource names it."""
    allowed = False
    for statement in _as_list_of_statements(policy):
        names = _as_list(statement.get("Action"))
        if "NotAction" in statement:
            raise ValueError("NotAction is not supported by this matcher; list the actions")
        if not any(_matches(name, action) for name in names):
            continue
        if statement.get("Effect") == "Deny":
            if _as_list(statement.get("Resource")) == ["*"] and "Condition" not in statement:
                return False
        elif statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _as_list_of_statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)
