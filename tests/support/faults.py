"""A small fault layer at the botocore seam: answer chosen calls with an AWS error, or
kill the run after a chosen call.

botocore's ``before-call`` event lets a handler return a response instead of sending the
request, so the code under test sees exactly what AWS would have answered; ``after-call``
sees each answer before the caller does.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ecsdeploy.aws.recorder import is_mutating


@dataclass
class _Http:
    status_code: int = 400
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """Fail ``operation`` with ``code`` while ``active()`` says so; count the failures."""

    operation: str
    code: str
    message: str
    active: Callable[[], bool]
    fired: int = 0

    def __call__(self, model: Any, **_: Any) -> tuple[_Http, dict[str, Any]] | None:
        if model.name != self.operation or not self.active():
            return None
        self.fired += 1
        return _Http(), {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }


def first_n(n: int) -> Callable[[], bool]:
    """Active for the first ``n`` calls it is asked about."""
    left = [n]

    def active() -> bool:
        left[0] -= 1
        return left[0] >= 0

    return active


def inject(aws: Any, service: str, fault: Fault) -> Fault:
    aws.client(service).raw.meta.events.register("before-call.*.*", fault)
    return fault


class Crash(BaseException):
    """The process died: not an Exception, so no ``except Exception`` in the code under
    test can swallow it (like SIGKILL, nothing after it runs)."""


@dataclass
class CrashAfter:
    """Let ``k`` mutating calls succeed, then die: the caller of the k-th never sees its
    answer, a call in flight in another thread loses its answer, and every later call in
    any thread is refused. ``k=None`` never crashes and only counts."""

    k: int | None
    succeeded: list[str] = field(default_factory=list)  # the mutating calls that went through
    crashed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def before(self, model: Any, **_: Any) -> None:
        if self.crashed:
            raise Crash(f"{model.name} after the crash")

    def after(self, http_response: Any, model: Any, **_: Any) -> None:
        with self._lock:
            if self.crashed:
                raise Crash(f"{model.name} answered after the crash")
            if not is_mutating(model.name) or http_response.status_code >= 300:
                return
            self.succeeded.append(model.name)
            if len(self.succeeded) == self.k:
                self.crashed = True
                raise Crash(f"crash right after mutating call {self.k} ({model.name})")

    def attach(self, aws: Any, services: Iterable[str]) -> None:
        for service in services:
            events = aws.client(service).raw.meta.events
            events.register("before-call.*.*", self.before)
            events.register("after-call.*.*", self.after)


# What each wire protocol answers when AWS throttles: (HTTP status, headers, body).
_THROTTLED: dict[str, tuple[int, dict[str, str], bytes]] = {
    "ec2": (
        503,
        {},
        b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
        b"exceeded.</Message></Error></Errors><RequestID>throttle</RequestID></Response>",
    ),
    "query": (
        400,
        {},
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
        b"exceeded</Message></Error><RequestId>throttle</RequestId></ErrorResponse>",
    ),
    "json": (
        400,
        {"x-amzn-RequestId": "throttle"},
        b'{"__type": "ThrottlingException", "message": "Rate exceeded"}',
    ),
    "rest-json": (  # EventBridge Scheduler: ThrottlingException, HTTP 429
        429,
        {"x-amzn-ErrorType": "ThrottlingException", "x-amzn-RequestId": "throttle"},
        b'{"message": "Rate exceeded"}',
    ),
    "rest-xml": (
        503,
        {},
        b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
    ),
}


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


@dataclass
class Throttle:
    """Throttle a share of all HTTP attempts, chosen by a seeded random generator.

    It answers at ``before-send``, below botocore's retry handler, so botocore retries
    (and backs off from) a throttled attempt exactly as it would one from AWS."""

    share: float
    rng: random.Random
    only: str | None = None  # an operation name: throttle just that one
    throttled: int = 0
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, aws: Any, services: Iterable[str]) -> None:
        # moto answers at before-send too, and botocore runs every before-send handler
        # (the first answer wins): a throttled attempt must not reach moto at all, so
        # moto's handler is called from here, only for the attempts let through.
        from moto.core.models import botocore_stubber

        for service in services:
            raw = aws.client(service).raw
            send = functools.partial(
                self._send, raw.meta.service_model.resolved_protocol, botocore_stubber
            )
            raw.meta.events.unregister("before-send", botocore_stubber)
            raw.meta.events.register("before-send", send)

    def _send(self, protocol: str, moto: Any, request: Any, event_name: str, **kw: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        if self.only is None or event_name.endswith(f".{self.only}"):
            with self._lock:
                self.attempts += 1
                throttled = self.rng.random() < self.share
                self.throttled += throttled
            if throttled:
                status, headers, body = _THROTTLED[protocol]
                return AWSResponse(request.url, status, headers, _Raw(body))
        return moto(event_name=event_name, request=request, **kw)


@dataclass
class Lingering:
    """Network interfaces that outlive the NAT gateway, load balancer or ECS task they
    belonged to: a resource that held them fails to delete for ``seconds`` of ``clock``
    from its first delete attempt. ``log`` keeps the order of the owners' deletions and
    of those first attempts."""

    clock: Callable[[], float]
    seconds: float
    log: list[str] = field(default_factory=list)
    _first_try: dict[str, float] = field(default_factory=dict)
    OWNERS = ("DeleteNatGateway", "DeleteLoadBalancer", "DeleteService")

    def attach(self, aws: Any) -> None:
        for service in ("ec2", "elbv2", "ecs"):
            aws.client(service).raw.meta.events.register("after-call.*.*", self._deleted)

    def _deleted(self, http_response: Any, model: Any, **_: Any) -> None:
        if model.name in self.OWNERS and http_response.status_code < 300:
            self.log.append(model.name)

    def active(self, operation: str) -> Callable[[], bool]:
        """For a Fault on ``operation``: true for the first ``seconds`` of its attempts."""

        def lingers() -> bool:
            if operation not in self._first_try:
                self._first_try[operation] = self.clock()
                self.log.append(operation)
            return self.clock() < self._first_try[operation] + self.seconds

        return lingers


@dataclass
class Provisioning:
    """Load balancers that stay ``provisioning`` until ``until()`` says otherwise, as on
    AWS for two to three minutes (moto makes one active at its first Describe).
    ``activated`` keeps when each became active (``time.monotonic()``), by ARN."""

    until: Callable[[], bool]
    activated: dict[str, float] = field(default_factory=dict)

    def attach(self, monkeypatch: Any) -> None:
        from moto.elbv2.models import FakeLoadBalancer

        original = FakeLoadBalancer.activate

        def activate(lb: Any) -> None:
            if lb.state == "provisioning" and self.until():
                original(lb)
                self.activated.setdefault(lb.arn, time.monotonic())

        monkeypatch.setattr(FakeLoadBalancer, "activate", activate)

    @property
    def active(self) -> bool:
        return bool(self.activated)
