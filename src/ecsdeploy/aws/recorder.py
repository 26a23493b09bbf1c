"""Records every AWS API call through botocore's event hooks.

Tests use it to count mutating calls (a second ``up`` must make none); ``-v`` uses it to
log each call; fault-injection tests hook in at the same place.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

READ_PREFIXES = ("Describe", "List", "Get", "Lookup", "Search", "Head", "BatchGet", "Check")


def is_mutating(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    at: float

    @property
    def mutating(self) -> bool:
        return is_mutating(self.operation)

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class CallRecorder:
    """Thread-safe list of the calls made; ``listeners`` see each call as it starts."""

    calls: list[Call] = field(default_factory=list)
    listeners: list[Callable[[Call], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before_call)

    def _before_call(self, model: Any, **_: Any) -> None:
        call = Call(model.service_model.endpoint_prefix, model.name, time.monotonic())
        with self._lock:
            self.calls.append(call)
        for listener in self.listeners:
            listener(call)

    def mutating(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.mutating]

    def reads(self) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if not c.mutating]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
