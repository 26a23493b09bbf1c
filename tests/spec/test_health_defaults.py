"""The health-check defaults are the fastest Elastic Load Balancing allows, and pass the
spec's own checks (interval 5-300 s, timeout 2-120 s and below the interval, thresholds
2-10; ELB's "Health checks for Application Load Balancer target groups")."""

from __future__ import annotations

from ecsdeploy.spec.models import HealthCheck, Service
from ecsdeploy.spec.service_checks import _health


def test_defaults_are_albs_fastest_without_flapping() -> None:
    hc = HealthCheck()
    assert (hc.interval, hc.healthy_threshold) == (5, 2)  # ELB's minimums: healthy in 10 s
    assert hc.timeout == hc.interval - 1  # the longest a check may take below the interval
    assert hc.unhealthy_threshold == 3  # one slow answer does not take a task out
    svc = Service.model_validate({"image": "nginx", "port": 80, "route": "/*"})
    assert svc.health_check == hc
    assert list(_health(("services", "api"), svc)) == []
    assert Service.model_fields["deregistration_delay"].default == 15


def test_a_timeout_alone_gets_an_interval_above_it() -> None:
    # `timeout: 10` alone was valid with the old 30 s default interval; AWS wants the
    # timeout below the interval, so the interval follows it rather than the spec failing
    svc = Service.model_validate(
        {"image": "nginx", "port": 80, "route": "/*", "health_check": {"timeout": 10}}
    )
    assert (svc.health_check.timeout, svc.health_check.interval) == (10, 11)
    assert list(_health(("services", "api"), svc)) == []
    given = Service.model_validate(
        {
            "image": "nginx",
            "port": 80,
            "route": "/*",
            "health_check": {"timeout": 10, "interval": 8},
        }
    )
    assert given.health_check.interval == 8  # an interval given is the user's: checked
    assert [p for p, _ in _health(("services", "api"), given)] == [
        ("services", "api", "health_check", "timeout")
    ]
