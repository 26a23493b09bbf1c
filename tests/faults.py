"""A small fault layer at the botocore seam: answer chosen calls with an AWS error.

botocore's ``before-call`` event lets a handler return a response instead of sending the
request, so the code under test sees exactly what AWS would have answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
