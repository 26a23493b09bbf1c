"""Reads that cost round trips, made as few times and as concurrently as AWS allows.

* ``read_each``: AWS has no batch call for some per-resource reads (a role's policies, a
  target group's attributes, a task definition family's latest revision). Made one after
  the other they add a round trip per resource, so an observe grows with the number of
  services; made concurrently they cost about one round trip together.
* ``both``: two independent reads (or chains of reads) side by side.
* ``SharedReads``: during one observe several kinds need the same read (every ELBv2 kind
  lists the load balancers with their tags; the classic and Express service kinds both
  describe the cluster's services). The first kind to ask makes the call; the others wait
  for its answer. A ``SharedReads`` lives for one observe only, so what the executor reads
  afterwards (waits, re-reads) is always fresh.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

READ_WORKERS = 8  # concurrent reads per kind; botocore's standard retries absorb throttling


def read_each(read: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``read(item)`` for every item, concurrently; results in the items' order. An error
    from any read is raised once all have finished."""
    todo = list(items)
    if len(todo) < 2:
        return [read(item) for item in todo]
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(todo))) as pool:
        # each read runs in a copy of the caller's context (context variables follow it)
        futures = [pool.submit(contextvars.copy_context().run, read, item) for item in todo]
        return [f.result() for f in futures]


def both(first: Callable[[], T], second: Callable[[], R]) -> tuple[T, R]:
    """``first()`` and ``second()`` at once (``second`` on a thread of its own, in a copy of
    the caller's context); an error from either is raised once both have finished."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(contextvars.copy_context().run, second)
        mine = first()  # should it fail, leaving the pool waits for ``second``
        return mine, other.result()


class SharedReads:
    """Answers of reads made during one observe, by key; each read is made once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, read: Callable[[], T]) -> T:
        with self._lock:
            answer = self._answers.get(key)
            mine = answer is None
            if answer is None:
                answer = self._answers[key] = Future()
        if mine:
            try:
                answer.set_result(read())
            except BaseException as exc:
                answer.set_exception(exc)
        result: T = answer.result()
        return result


def shared(reads: SharedReads | None, key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, shared with the other kinds of the same observe when there is one."""
    return read() if reads is None else reads.get(key, read)
