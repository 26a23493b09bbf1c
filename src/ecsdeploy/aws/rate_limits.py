"""AWS's request rate limits per API, kept by a token bucket per API and run.

AWS throttles each account's calls per API (or family of APIs) and Region with token
buckets; a throttled call fails with ``Throttling`` / ``RequestLimitExceeded``, which
botocore's standard retry mode retries with backoff (8 attempts, aws/clients.py). The
executor runs up to 32 steps at once on a big plan (``auto_parallelism``): 20 services'
101 PutMetricAlarm calls would meet CloudWatch's 3 per second in the first round and lean
on those retries. So an API that AWS has throttled once in this run is paced from then on
at the rate AWS documents for it (every attempt takes a token, retries included), and the
rest of the run's calls to it wait for their turn instead of failing again. APIs AWS
does not throttle cost nothing: no bucket is consulted until the first
``Throttling`` answer (AWS's limits are per account and shared with whatever else runs
in it, so the documented rate is a ceiling, not a promise).

AWS evaluates each API on its own (each has its bucket), so a family here is one
operation of one service. The limits (requests per second refilled; the bucket holds
``burst``), as AWS's pages give them:

* Amazon EC2, "Request throttling for the Amazon EC2 API"
  (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): non-mutating
  (Describe*) actions such as DescribeHosts 20 per second into a bucket of 100; mutating
  actions are taken at 5 per second into a bucket of 50, the lower end of that page's
  table;
* CloudWatch, "CloudWatch service quotas" (Amazon CloudWatch User Guide,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html):
  PutMetricAlarm 3 TPS, DeleteAlarms 3, DescribeAlarms 9 (no burst given: the bucket
  holds one second's worth);
* CloudWatch Logs, "CloudWatch Logs quotas"
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html):
  CreateLogGroup, DeleteLogGroup, PutRetentionPolicy and DescribeLogGroups 5 TPS;
* everything else (ELBv2, ECS, IAM, SNS, ...): paced at ``UNDOCUMENTED`` once throttled;
  ecsdeploy makes one such call per resource, and these services' per-API rates are
  of that order or above (ECS's "Request throttling for the Amazon ECS API" gives a
  sustained rate and a burst per action).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ecsdeploy.aws.recorder import is_mutating


@dataclass(frozen=True)
class Limit:
    rate: float  # tokens added per second
    burst: float  # tokens the bucket holds


UNDOCUMENTED = Limit(10.0, 10.0)

# (endpoint prefix, operation) -> its limit; (service, "mutating" / "reading"): the
# service's other actions of that kind
LIMITS: dict[tuple[str, str], Limit] = {
    ("monitoring", "PutMetricAlarm"): Limit(3.0, 3.0),
    ("monitoring", "DeleteAlarms"): Limit(3.0, 3.0),
    ("monitoring", "DescribeAlarms"): Limit(9.0, 9.0),
    ("logs", "CreateLogGroup"): Limit(5.0, 5.0),
    ("logs", "DeleteLogGroup"): Limit(5.0, 5.0),
    ("logs", "PutRetentionPolicy"): Limit(5.0, 5.0),
    ("logs", "DescribeLogGroups"): Limit(5.0, 5.0),
    ("ec2", "mutating"): Limit(5.0, 50.0),
    ("ec2", "reading"): Limit(20.0, 100.0),
}

THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)


def limit_of(service: str, operation: str) -> Limit:
    """The limit of ``operation`` of ``service`` (botocore's endpoint prefix): its own,
    else that of the service's actions of its kind, else ``UNDOCUMENTED``."""
    own = LIMITS.get((service, operation))
    if own is not None:
        return own
    kind = (service, "mutating" if is_mutating(operation) else "reading")
    return LIMITS.get(kind, UNDOCUMENTED)


def pause(seconds: float) -> None:
    """How a paced attempt waits (tests that throttle on purpose skip it, as they skip
    botocore's backoff)."""
    time.sleep(seconds)


@dataclass
class Bucket:
    limit: Limit
    tokens: float
    at: float  # time.monotonic() of the last refill

    def take(self, now: float) -> float:
        """Take a token; the seconds to wait before the call may go (0: at once)."""
        self.tokens = min(self.limit.burst, self.tokens + (now - self.at) * self.limit.rate)
        self.at = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.limit.rate


@dataclass
class RateLimits:
    """The buckets of one run, each created when AWS first throttles its API."""

    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)
    throttled: dict[tuple[str, str], int] = field(default_factory=dict)  # answers, by API
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    sleep: Callable[[float], None] | None = None  # None: ``pause``

    def before_send(self, service: str, operation: str) -> None:
        """Wait for a token of this API, if AWS has throttled it in this run."""
        with self._lock:
            bucket = self.buckets.get((service, operation))
            delay = bucket.take(time.monotonic()) if bucket is not None else 0.0
        if delay > 0:
            (self.sleep or pause)(delay)

    def answered(self, service: str, operation: str, code: str | None) -> None:
        """AWS's answer to one attempt: a throttling code starts pacing the API (an empty
        bucket: the next call waits one interval)."""
        if code not in THROTTLE_CODES:
            return
        key = (service, operation)
        with self._lock:
            self.throttled[key] = self.throttled.get(key, 0) + 1
            if key not in self.buckets:
                self.buckets[key] = Bucket(limit_of(*key), 0.0, time.monotonic())


def attach(client: object, limits: RateLimits) -> None:
    """Pace ``client``'s attempts by ``limits`` (botocore's ``before-send``: every attempt,
    retries included) and tell it AWS's answers (``needs-retry``: every attempt's)."""
    service = client.meta.service_model.endpoint_prefix  # type: ignore[attr-defined]
    events = client.meta.events  # type: ignore[attr-defined]

    def before_send(event_name: str, **_: object) -> None:
        limits.before_send(service, event_name.rsplit(".", 1)[-1])

    def needs_retry(response: object = None, operation: object = None, **_: object) -> None:
        if isinstance(response, tuple) and len(response) == 2 and isinstance(response[1], dict):
            code = response[1].get("Error", {}).get("Code")
            limits.answered(service, getattr(operation, "name", ""), code)

    events.register("before-send.*.*", before_send)
    events.register("needs-retry.*.*", needs_retry)
