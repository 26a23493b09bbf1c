"""Facts about AWS regions that need no call: the shape of a region name and its partition.

Pure (no boto3), so the spec's checks use it too.
"""

from __future__ import annotations

import re

REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def partition(region: str) -> str:
    """The ARN partition of a region: aws, aws-cn or aws-us-gov."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"
