"""Throttling mode: the proxy answers as AWS does when an account calls an API faster than
its rate limit, with the limits ecsdeploy paces itself by (``ecsdeploy.aws.rate_limits``):
a token bucket per API (service from the SigV4 scope, operation from the request), full at
the start; a call finding it empty is answered with that protocol's throttling error
instead of being forwarded:

* EC2: HTTP 503, ``RequestLimitExceeded`` (EC2's own XML error document);
* other query APIs (ELBv2, IAM, SNS, STS): HTTP 400, ``Throttling`` (``ErrorResponse``);
* JSON APIs (ECS, Logs, SSM, ...): HTTP 400, ``ThrottlingException``;
* CloudWatch (Smithy RPC v2 CBOR): HTTP 400, ``Throttling`` in a CBOR body;
* REST APIs (S3, Route 53) are not throttled here.

The run must succeed anyway (botocore retries a throttled attempt; ecsdeploy then paces
that API), and the bench reports how many answers were throttles.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecsdeploy.aws.rate_limits import Limit, limit_of

Answer = tuple[int, list[tuple[str, str]], bytes]


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    if len(data) < 24:
        return bytes([0x60 + len(data)]) + data
    return bytes([0x78, len(data)]) + data  # texts under 256 bytes


def _cbor_error(code: str, message: str) -> bytes:
    """A CBOR map {"__type": code, "message": message}."""
    return (
        b"\xa2"
        + _cbor_text("__type")
        + _cbor_text(code)
        + _cbor_text("message")
        + _cbor_text(message)
    )


def throttled_answer(service: str, headers: dict[str, str], path: str) -> Answer | None:
    """The throttling error AWS gives for this request's protocol; None: not throttled
    here (REST)."""
    if "/operation/" in path:  # Smithy RPC v2 CBOR (CloudWatch)
        return (
            400,
            [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")],
            _cbor_error("Throttling", "Rate exceeded"),
        )
    if headers.get("x-amz-target"):
        body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
        return 400, [("Content-Type", "application/x-amz-json-1.1")], body
    if "x-www-form-urlencoded" not in headers.get("content-type", ""):
        return None
    if service == "ec2":
        body = (
            b"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error>"
            b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
            b"</Error></Errors><RequestID>bench</RequestID></Response>"
        )
        return 503, [("Content-Type", "text/xml")], body
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        b"<Message>Rate exceeded</Message></Error><RequestId>bench</RequestId></ErrorResponse>"
    )
    return 400, [("Content-Type", "text/xml")], body


@dataclass
class AwsThrottle:
    """AWS's buckets, one per API, created full on first use."""

    tokens: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)  # answers, by service:operation
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self, service: str, operation: str) -> bool:
        """Take a token for one call; False: AWS would throttle it."""
        limit: Limit = limit_of(service, operation)
        now = time.monotonic()
        with self._lock:
            left, at = self.tokens.get((service, operation), (limit.burst, now))
            left = min(limit.burst, left + (now - at) * limit.rate)
            if left < 1.0:
                self.tokens[(service, operation)] = (left, now)
                key = f"{service}:{operation}"
                self.throttled[key] = self.throttled.get(key, 0) + 1
                return False
            self.tokens[(service, operation)] = (left - 1.0, now)
            return True


def run(emulator: Any, work: Path, latency: float, count: int) -> dict[str, Any]:
    """``count`` services' first ``up`` and ``down`` through a throttling proxy: both must
    succeed (a throttle surfacing as an error fails the run, and the bench with it)."""
    from bench import specs
    from bench.__main__ import Runner
    from bench.proxy import Proxy

    spec = specs.write(specs.services_spec(count, "throttled"), work / "throttled.yaml")
    throttle = AwsThrottle()
    proxy = Proxy(emulator.port, latency, throttle=throttle).start()
    runner = Runner(proxy, work)
    print(f"-- throttling: {count} services, AWS's per-API rate limits", flush=True)
    try:
        up = runner.ecsdeploy("first up", ["up", str(spec), "--yes", "--no-wait"], "throttled-up")
        up_calls = proxy.log.calls[:]
        down = runner.ecsdeploy("down", ["down", str(spec), "--yes"], "throttled-down")
    finally:
        proxy.stop()
    throttled_up = sum(1 for c in up_calls if c.throttled)
    return {
        "services": count,
        "first_up_wall_s": up.wall,
        "down_wall_s": down.wall,
        "throttled_answers_up": throttled_up,
        "throttled_answers_down": sum(1 for c in proxy.log.calls if c.throttled) - throttled_up,
        "throttled_by_api": dict(throttle.throttled),
        "errors": 0,  # both runs exited 0: no throttle surfaced
    }


def summary(result: dict[str, Any]) -> str:
    r = result
    worst = sorted(r["throttled_by_api"].items(), key=lambda kv: -kv[1])[:4]
    return (
        f"throttling, {r['services']} services: first up {r['first_up_wall_s']:.1f} s, down "
        f"{r['down_wall_s']:.1f} s, both succeeded; AWS answered {r['throttled_answers_up']} "
        f"+ {r['throttled_answers_down']} attempts with a throttle, all retried "
        f"({', '.join(f'{k} {v}' for k, v in worst) or 'none'})"
    )
