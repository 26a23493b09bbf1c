"""The zones an app's subnets may use: available, run Fargate, and offer every interface
endpoint the spec asks for.

Zones are compared by zone ID: the name -> ID mapping differs per account (us-east-1a in
one account is not us-east-1a in another), and AWS documents Fargate's limits by ID
(docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html: "The
supported Availability Zone IDs are noted when applicable"). The zones keep the order of
their names, so an app deployed before keeps the zones it has.
"""

from __future__ import annotations

from collections.abc import Sequence

from ecsdeploy.aws.clients import Aws

# Regions where Fargate runs in some zones only, by zone ID (AWS Fargate Regions)
FARGATE_ZONE_IDS: dict[str, frozenset[str]] = {
    "us-west-1": frozenset({"usw1-az1", "usw1-az3"}),
    "ap-northeast-1": frozenset({"apne1-az1", "apne1-az2", "apne1-az4"}),
    "cn-north-1": frozenset({"cnn1-az1", "cnn1-az2"}),
}


def usable_zones(aws: Aws, interface_endpoints: Sequence[str] = ()) -> list[str]:
    """The names of the region's zones that are available, run Fargate and offer each of
    ``interface_endpoints`` (short names: "ecr.api"), in name order. One read, and one more
    when there are interface endpoints."""
    ec2 = aws.client("ec2")
    zones = ec2.describe_availability_zones(
        Filters=[
            {"Name": "state", "Values": ["available"]},
            {"Name": "zone-type", "Values": ["availability-zone"]},
        ]
    )["AvailabilityZones"]
    fargate = FARGATE_ZONE_IDS.get(aws.region)
    names = [z["ZoneName"] for z in zones if fargate is None or z.get("ZoneId") in fargate]
    if interface_endpoints:
        services = [f"com.amazonaws.{aws.region}.{name}" for name in interface_endpoints]
        details = ec2.describe_vpc_endpoint_services(ServiceNames=services)["ServiceDetails"]
        for detail in details:
            offered = set(detail.get("AvailabilityZones") or ())
            names = [n for n in names if n in offered]
    return sorted(names)
