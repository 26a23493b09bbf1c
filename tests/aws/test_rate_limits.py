"""AWS's per-API rate limits: nothing is paced until AWS throttles an API; from then on
that API's attempts are spaced at its documented rate, and no other API's."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ecsdeploy.aws.rate_limits import LIMITS, UNDOCUMENTED, RateLimits, attach, limit_of


def test_documented_limits_and_the_rest() -> None:
    assert limit_of("monitoring", "PutMetricAlarm").rate == 3
    assert limit_of("logs", "CreateLogGroup").rate == 5
    assert limit_of("ec2", "DescribeSubnets") == LIMITS[("ec2", "reading")]
    assert limit_of("ec2", "CreateSubnet") == LIMITS[("ec2", "mutating")]
    assert limit_of("ecs", "CreateService") == UNDOCUMENTED


def test_paced_only_after_a_throttle_and_only_that_api(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    limits = RateLimits(sleep=slept.append)
    clock = [100.0]
    monkeypatch.setattr("ecsdeploy.aws.rate_limits.time.monotonic", lambda: clock[0])
    for _ in range(5):
        limits.before_send("monitoring", "PutMetricAlarm")
    assert slept == []  # AWS has not pushed back: at full speed
    limits.answered("monitoring", "PutMetricAlarm", "ValidationError")
    assert not limits.buckets
    limits.answered("monitoring", "PutMetricAlarm", "Throttling")
    for _ in range(3):  # three attempts at the same moment: 1/3 s apart
        limits.before_send("monitoring", "PutMetricAlarm")
    assert slept == pytest.approx([1 / 3, 2 / 3, 1.0])
    limits.before_send("monitoring", "DescribeAlarms")
    limits.before_send("logs", "CreateLogGroup")
    assert len(slept) == 3  # other APIs go on
    clock[0] += 10.0  # a quiet while refills the bucket (one second's worth: 3)
    slept.clear()
    for _ in range(4):
        limits.before_send("monitoring", "PutMetricAlarm")
    assert slept == pytest.approx([1 / 3])
    assert limits.throttled == {("monitoring", "PutMetricAlarm"): 1}


def test_attached_to_a_client_sees_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real client: the throttled answer comes back through botocore's retry handler;
    the limiter learns of it, and the retry waits for its token."""
    from botocore.awsrequest import AWSResponse
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    client = boto3.client(
        "logs", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x"
    )
    slept: list[float] = []
    limits = RateLimits(sleep=slept.append)
    attach(client, limits)
    bodies = iter([b'{"__type": "ThrottlingException", "message": "Rate exceeded"}', b"{}"])
    sent: list[str] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.headers["X-Amz-Target"].decode())
        body = next(bodies)
        status = 400 if b"Throttling" in body else 200
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse("https://logs", status, headers, _Raw(body))

    client.meta.events.register_last("before-send.*.*", answer)
    client.create_log_group(logGroupName="g")
    assert sent == ["Logs_20140328.CreateLogGroup"] * 2  # throttled, then retried
    assert limits.throttled == {("logs", "CreateLogGroup"): 1}
    assert slept == pytest.approx([1 / 5], abs=0.01)  # the retry waited its turn: 5 a second


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body
