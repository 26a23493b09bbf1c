"""The resource kinds ecsdeploy knows. Adding a kind = one line here.

Everything ecsdeploy knows of a kind is declared by its handler class (see
``resources.base``); the rest of ecsdeploy finds it here by kind name (``kind_class``)
rather than keeping tables of its own. The order of ``KINDS`` is the order kinds are
observed in, so the order of a plan's deletes; the order between kinds for creating and
deleting is their ``rank`` (``ordering``).
"""

from __future__ import annotations

import functools

from ecsdeploy.resources.acm_certificate import CertificateHandler
from ecsdeploy.resources.base import Context, Handler, Ordering
from ecsdeploy.resources.cloudmap_namespace import NamespaceHandler
from ecsdeploy.resources.cloudwatch_alarm import AlarmHandler
from ecsdeploy.resources.cloudwatch_dashboard import DashboardHandler
from ecsdeploy.resources.ecr_image import ImageHandler
from ecsdeploy.resources.ecr_repository import RepositoryHandler
from ecsdeploy.resources.ecs_cluster import ClusterHandler
from ecsdeploy.resources.ecs_service import ServiceHandler
from ecsdeploy.resources.ecs_task_definition import TaskDefinitionHandler
from ecsdeploy.resources.elastic_ip import ElasticIpHandler
from ecsdeploy.resources.events_rule import EventRuleHandler
from ecsdeploy.resources.express_service import ExpressServiceHandler
from ecsdeploy.resources.iam_role import IamRoleHandler
from ecsdeploy.resources.internet_gateway import InternetGatewayHandler
from ecsdeploy.resources.listener import ListenerHandler
from ecsdeploy.resources.listener_rule import ListenerRuleHandler
from ecsdeploy.resources.load_balancer import LoadBalancerHandler
from ecsdeploy.resources.log_group import LogGroupHandler
from ecsdeploy.resources.nat_gateway import NatGatewayHandler
from ecsdeploy.resources.route53_record import RecordHandler
from ecsdeploy.resources.route_table import RouteTableHandler
from ecsdeploy.resources.s3_bucket import BucketHandler
from ecsdeploy.resources.s3_object import ObjectHandler
from ecsdeploy.resources.scaling_policy import ScalingPolicyHandler
from ecsdeploy.resources.scaling_target import ScalingTargetHandler
from ecsdeploy.resources.scheduler_group import ScheduleGroupHandler
from ecsdeploy.resources.scheduler_schedule import ScheduleHandler
from ecsdeploy.resources.security_group import SecurityGroupHandler
from ecsdeploy.resources.sns_subscription import SubscriptionHandler
from ecsdeploy.resources.sns_topic import TopicHandler
from ecsdeploy.resources.sns_topic_policy import TopicPolicyHandler
from ecsdeploy.resources.subnet import SubnetHandler
from ecsdeploy.resources.target_group import TargetGroupHandler
from ecsdeploy.resources.vpc import VpcHandler
from ecsdeploy.resources.vpc_endpoint import VpcEndpointHandler
from ecsdeploy.resources.waf_association import WebAclAssociationHandler
from ecsdeploy.resources.waf_web_acl import WebAclHandler

KINDS: tuple[type[Handler], ...] = (
    VpcHandler,
    SubnetHandler,
    InternetGatewayHandler,
    ElasticIpHandler,
    NatGatewayHandler,
    RouteTableHandler,
    SecurityGroupHandler,
    VpcEndpointHandler,
    IamRoleHandler,
    LogGroupHandler,
    RepositoryHandler,
    ImageHandler,
    BucketHandler,
    ObjectHandler,
    TopicHandler,
    SubscriptionHandler,
    WebAclHandler,
    LoadBalancerHandler,
    TargetGroupHandler,
    ListenerHandler,
    ListenerRuleHandler,
    WebAclAssociationHandler,
    ClusterHandler,
    TaskDefinitionHandler,
    ServiceHandler,
    ExpressServiceHandler,
    ScalingTargetHandler,
    ScalingPolicyHandler,
    AlarmHandler,
    DashboardHandler,
    CertificateHandler,
    RecordHandler,
    NamespaceHandler,
    ScheduleGroupHandler,
    ScheduleHandler,
    EventRuleHandler,
    TopicPolicyHandler,
)


def handlers(ctx: Context) -> dict[str, Handler]:
    """One handler per kind, keyed by kind name."""
    return {cls.kind: cls(ctx) for cls in KINDS}


def kind_class(kind: str) -> type[Handler] | None:
    """The handler class of ``kind``, or None for a kind ecsdeploy does not know."""
    return _by_kind(KINDS).get(kind)


@functools.cache
def _by_kind(kinds: tuple[type[Handler], ...]) -> dict[str, type[Handler]]:
    return {cls.kind: cls for cls in kinds}


def ordering() -> Ordering:
    """The order between the kinds (the executor's, for tests and the benchmark)."""
    return Ordering.of(KINDS)
