"""A small fault layer at the botocore seam: answer chosen calls with an AWS error, or
kill the run after a chosen call.

botocore's ``before-call`` event lets a handler return a response instead of sending the
request, so the code under test sees exactly what AWS would have answered; ``after-call``
sees each answer before the caller does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
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
