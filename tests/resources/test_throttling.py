"""Retry-safety under throttling: a fifth of all HTTP attempts throttled (fixed seeds),
and `up` and `down` still succeed, through botocore's own standard-mode retries.

The throttled answers come from faults.Throttle at ``before-send``, below botocore's retry
handler; only the backoff sleep is skipped (so the test is fast), the retries are real.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from ecsdeploy.aws.clients import MAX_ATTEMPTS, Aws
from ecsdeploy.aws.errors import Throttled

from conftest import Harness, owned_anything, spec_text
from faults import Throttle


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """botocore computes each backoff as usual; the test records it and sleeps 0 instead
    (and so does the pacing of the APIs AWS throttled, aws/rate_limits.py)."""
    from botocore.retries.standard import ExponentialBackoff

    computed: list[float] = []
    real = ExponentialBackoff.delay_amount

    def delay_amount(self: ExponentialBackoff, context: Any) -> float:
        computed.append(real(self, context))
        return 0.0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", delay_amount)
    monkeypatch.setattr("ecsdeploy.aws.rate_limits.pause", lambda seconds: None)
    yield computed


def _connect(harness: Harness, text: str, throttle: Throttle) -> Any:
    dep: Any = harness.deployment(text)
    throttle.attach(
        dep.aws, {"sts", "ssm", *(s for h in dep.handlers.values() for s in h.services)}
    )
    return dep


def test_clients_use_standard_retries_with_bounded_attempts(aws: None) -> None:
    assert 3 <= MAX_ATTEMPTS <= 10
    client = Aws("us-west-2").client("ecs").raw
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS}


@pytest.mark.parametrize("seed", [7, 42, 2024])
def test_up_and_down_succeed_with_a_fifth_of_calls_throttled(
    harness: Harness, backoffs: list[float], seed: int
) -> None:
    text = spec_text(nat="single")
    throttle = Throttle(0.2, random.Random(seed))

    dep = _connect(harness, text, throttle)
    result = dep.apply(dep.plan_up())
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    assert _connect(harness, text, throttle).plan_up().empty
    dep = _connect(harness, text, throttle)
    result = dep.apply(dep.plan_down())
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    assert owned_anything() == []

    calls = len(harness.recorder.calls)
    assert 0.15 < throttle.throttled / throttle.attempts < 0.25
    # every throttled attempt was retried by botocore, none reached ecsdeploy's code
    assert throttle.attempts == calls + throttle.throttled
    assert len(backoffs) == throttle.throttled and all(0 <= b <= 20 for b in backoffs)


def test_throttling_beyond_the_bound_fails_with_awss_message(
    harness: Harness, backoffs: list[float]
) -> None:
    throttle = Throttle(1.0, random.Random(0), only="DescribeAvailabilityZones")
    dep = _connect(harness, spec_text(), throttle)
    with pytest.raises(Throttled, match="RequestLimitExceeded: Request limit exceeded"):
        dep.plan_up()
    assert throttle.attempts == MAX_ATTEMPTS
    assert harness.recorder.mutating() == []
