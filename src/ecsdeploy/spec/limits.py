"""AWS's limits and name shapes that the spec's checks test against: Fargate sizes, the
patterns of ARNs, hosts and paths, threshold ranges. Data only."""

from __future__ import annotations

import re
from collections.abc import Iterator

Path = tuple[str | int, ...]
Found = Iterator[tuple[Path, str]]

# Fargate task sizes: cpu units -> (min MiB, max MiB, step MiB).
FARGATE_SIZES: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512),  # 512, 1024, 2048 (and 1536 is not valid: handled below)
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def fargate_memory_choices(cpu: int) -> list[int]:
    if cpu == 256:
        return [512, 1024, 2048]
    low, high, step = FARGATE_SIZES[cpu]
    return list(range(low, high + 1, step))


def describe_choices(cpu: int) -> str:
    if cpu == 256:
        return "choose 512, 1024 or 2048"
    low, high, step = FARGATE_SIZES[cpu]
    return f"choose {low}-{high} in steps of {step}"


# free gateway endpoints (a route in each private route table); every other is interface
GATEWAY_ENDPOINTS = frozenset({"s3", "dynamodb"})
# The endpoint services (com.amazonaws.REGION.NAME) a Fargate app commonly reaches from
# private subnets; a name outside this list is refused at validate time, with a suggestion,
# instead of failing CreateVpcEndpoint in the middle of `up`.
KNOWN_ENDPOINTS = frozenset(
    {
        "s3", "dynamodb",  # gateway endpoints (free)
        "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "ec2messages",
        "sts", "kms", "monitoring", "elasticloadbalancing", "ecs", "ecs-agent",
        "ecs-telemetry", "ec2", "autoscaling", "application-autoscaling", "events",
        "sagemaker.runtime", "sagemaker.api", "bedrock", "bedrock-runtime",
        "bedrock-agent-runtime", "sqs", "sns", "execute-api", "xray", "elasticfilesystem",
        "kinesis-streams", "kinesis-firehose", "states", "lambda", "athena", "glue", "rds",
        "rds-data", "elasticache", "servicediscovery", "appconfig", "appconfigdata",
        "codeartifact.api", "codeartifact.repositories", "textract", "comprehend",
        "rekognition", "translate", "transcribe", "polly", "email-smtp", "cloudtrail",
        "aps-workspaces", "airflow.api", "airflow.env",
    }
)  # fmt: skip
# Shorthands people write for what takes several endpoints.
ENDPOINT_GROUPS = {
    "ecr": "ecr.api and ecr.dkr (and s3: ECR keeps image layers in S3)",
    "sagemaker": "sagemaker.runtime (invoking endpoints) or sagemaker.api",
    "cloudwatch": "logs (CloudWatch Logs) or monitoring (metrics)",
}
SECRET_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:\d{12}:parameter/.+"
    r"|secretsmanager:[a-z0-9-]+:\d{12}:secret:.+)$"
)
ACTION_RE = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")
ARN_RE = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
CERT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
PATH_PATTERN_RE = re.compile(r"^/[A-Za-z0-9_\-.$/~\"'@:+*?&=%]*$")
HOST_RE = re.compile(r"^(\*\.)?([a-z0-9-*?]+\.)+[a-z0-9-]+$", re.IGNORECASE)
REF_RE = re.compile(r"\$\{([^}]*)\}")
URL_REF_RE = re.compile(r"^services\.([a-z0-9-]+)\.url$")
INTERNAL_REF_RE = re.compile(r"^services\.([a-z0-9-]+)\.internal_url$")
ARTIFACT_REF_RE = re.compile(r"^artifacts\.([a-z0-9-]+)\.uri$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOPIC_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
# threshold -> (low, high, unit) for the alarms blocks
THRESHOLD_RANGES: dict[str, tuple[float, float, str]] = {
    "cpu": (1, 100, "percent"),
    "memory": (1, 100, "percent"),
    "p95_ms": (1, 120_000, "ms"),
    "unhealthy_minutes": (1, 1440, "minutes"),
    "error_rate": (0.01, 100, "percent"),
}
WAF_RATE_LIMIT = (10, 2_000_000_000)  # AWS's bounds for a rate-based rule, per 5 minutes
