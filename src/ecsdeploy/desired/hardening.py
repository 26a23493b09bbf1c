"""spec -> the load balancer's hardening: WAF web ACL and its association, the
access-log bucket and its policy, the load balancer's attributes; and the ECS Exec
permissions of a task role. Pure.

Access logs: the load balancer writes to ``s3://BUCKET/AWSLogs/ACCOUNT/...``. In Regions
opened before August 2022 the writer is a per-Region Elastic Load Balancing account
(``ELB_ACCOUNTS``, from AWS's "Enable access logs for your Application Load Balancer"
page); newer Regions use the ``logdelivery.elasticloadbalancing.amazonaws.com`` service
principal. The policy grants the service principal everywhere and the account too where
the Region has one. Only SSE-S3 (AES256) encryption works for these logs.
"""

from __future__ import annotations

from typing import Any, TypedDict

from ecsdeploy.aws.regions import partition
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.iam_role import canonical
from ecsdeploy.resources.s3_bucket import BucketProps
from ecsdeploy.resources.waf_association import WebAclAssociationProps
from ecsdeploy.resources.waf_web_acl import LARGE_BODIES_RULE, MANAGED_RULE_GROUPS, WebAclProps
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import Owner, fit
from ecsdeploy.spec.network_models import LoadBalancer

LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
EXEC_ACTIONS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


def log_bucket_name(owner: Owner, account: str) -> str:
    return fit(f"{owner.prefix}-lb-logs-{account}", 63)


def log_bucket_policy(bucket: str, account: str, region: str) -> str:
    """Who may write the load balancer's logs; canonical JSON (as observe reads it)."""
    arn = f"arn:{partition(region)}:s3:::{bucket}"
    write = f"{arn}/AWSLogs/{account}/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "LoadBalancerLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": write,
        }
    ]
    if region in ELB_ACCOUNTS:
        statements.append(
            {
                "Sid": "LoadBalancerAccountLogDelivery",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition(region)}:iam::{ELB_ACCOUNTS[region]}:root"},
                "Action": "s3:PutObject",
                "Resource": write,
            }
        )
    statements.append(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    return canonical({"Version": "2012-10-17", "Statement": statements})


class LbAttributes(TypedDict):
    """The load balancer's attribute props (``LoadBalancerProps``) that hardening sets."""

    drop_invalid_headers: bool
    deletion_protection: bool
    access_logs: Ref | None


def lb_attribute_props(lb: LoadBalancer | None) -> LbAttributes:
    """The load balancer's attribute props: invalid headers always dropped."""
    return {
        "drop_invalid_headers": True,
        "deletion_protection": bool(lb and lb.deletion_protection),
        "access_logs": Ref(keys.LOG_BUCKET, "name") if lb and lb.access_logs else None,
    }


def build_hardening(spec: Spec, owner: Owner, account: str | None) -> list[Desired]:
    """The web ACL and its association, and the access-log bucket, as the spec asks."""
    lb = spec.load_balancer
    out: list[Desired] = []
    if lb is None:
        return out
    if lb.waf is not None:
        name = owner.name("waf")
        out.append(
            Desired(
                "wafv2.web_acl",
                keys.WEB_ACL,
                name,
                WebAclProps(
                    name=name,
                    managed=MANAGED_RULE_GROUPS,
                    counted=(LARGE_BODIES_RULE,) if lb.waf.large_bodies == "count" else (),
                    rate_limit=lb.waf.rate_limit,
                ),
            )
        )
        out.append(
            Desired(
                "wafv2.association",
                keys.waf_association(keys.LOAD_BALANCER),
                name,
                WebAclAssociationProps(
                    web_acl=Ref(keys.WEB_ACL, "arn"), resource=Ref(keys.LOAD_BALANCER, "arn")
                ),
                # WAF refuses a load balancer that is still provisioning
                # (WAFUnavailableEntityException): associate once it is active
                needs_ready=(keys.LOAD_BALANCER,),
            )
        )
    if lb.access_logs is not None:
        if account is None:
            raise ValueError("the access-log bucket's name needs the account id")
        bucket = log_bucket_name(owner, account)
        out.append(
            Desired(
                "s3.bucket",
                keys.LOG_BUCKET,
                bucket,
                BucketProps(
                    name=bucket,
                    private=True,
                    encryption="AES256",
                    expire_days=lb.access_logs.retention_days,
                    policy=log_bucket_policy(bucket, account, spec.region),
                ),
            )
        )
    return out


def exec_policy() -> str:
    """What a task role needs for ECS Exec: the SSM agent's message channels."""
    return canonical(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": EXEC_ACTIONS, "Resource": "*"}],
        }
    )
