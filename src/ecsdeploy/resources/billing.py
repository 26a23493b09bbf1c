"""What a resource bills by the month, as quantities of a few meters.

A kind says what one of its resources uses of each meter (``Handler.bills``): a NAT
gateway one gateway, an internet-facing load balancer the balancer and a public IPv4
address per subnet, an ECS service its tasks. ``plan.cost`` prices the meters; prices
never live here. A meter's value is the name ``plan.cost.estimate_observed`` counts it by.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Meter(str, Enum):
    """A fixed charge AWS bills for as long as a resource exists."""

    NAT_GATEWAY = "ec2.nat_gateway"  # gateway-hours
    ELASTIC_IP = "ec2.elastic_ip"  # an allocated Elastic IP address
    LOAD_BALANCER = "elbv2.load_balancer"  # Application Load Balancer-hours, LCUs extra
    PUBLIC_IPV4 = "ec2.public_ipv4"  # other public IPv4 addresses: balancer nodes, tasks
    INTERFACE_ENDPOINT_AZ = "ec2.vpc_endpoint"  # an interface VPC endpoint in one zone
    WAF_WEB_ACL = "wafv2.web_acl"
    WAF_RULE = "wafv2.rule"  # a rule, an AWS managed rule group counting as one
    ALARM_METRIC = "cloudwatch.alarm_metric"  # a metric an alarm reads
    DASHBOARD = "cloudwatch.dashboard"


@dataclass(frozen=True)
class Usage:
    """``quantity`` of ``meter``."""

    meter: Meter
    quantity: int


@dataclass(frozen=True)
class Tasks:
    """``count`` Fargate tasks of ``cpu`` units and ``memory`` MiB each."""

    cpu: int
    memory: int
    count: int
    arm: bool = False  # Graviton (ARM64): Fargate's lower ARM price


Bill = Usage | Tasks
