"""Reading a service's CloudWatch logs: the backend of ``ecsdeploy logs``.

Every service logs to its own group, ``/ecsdeploy/APP/ENV/SERVICE``, through the awslogs
driver with the stream prefix "ecs", so each task writes the stream
``ecs/<container>/<task id>``. One FilterLogEvents search over the group reads all tasks at
once; each line carries the task id taken from its stream name.

``read`` returns the newest ``limit`` events of a time window, oldest first (newest last,
like ``tail``). It asks CloudWatch for the newest events first (``startFromHead=False``) so
that it can stop after ``limit`` events; servers that ignore that flag (moto, which the
tests and the demo use, and AWS itself for start times before 2024) answer oldest first, and
then the whole window is read, at most ``MAX_PAGES`` pages, keeping the newest ``limit``.

``follow`` prints that, then polls for newer events. CloudWatch ingests the streams of
different tasks independently, so an event can become searchable after a newer one from
another task was already shown: each poll looks ``lookback`` seconds behind the newest event
seen and drops, by event id, what it has already printed.

No printing here: lines go to the caller (see ``output.logs_view.LogPrinter``).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ecsdeploy.aws.clients import Aws, Client
from ecsdeploy.aws.errors import NotFound
from ecsdeploy.resources.base import Timing

PAGE_SIZE = 10_000  # FilterLogEvents' largest page
MAX_PAGES = 50  # pages one ``read`` may ask for; pages can be empty and still have a token
POLL_PAGES = 5  # pages one poll of ``follow`` may ask for; the next poll goes on from there
POLL_PAGE_SIZE = 1_000
LOOKBACK = 15.0  # seconds each poll looks behind the newest event seen (late ingestion)

# AWS refuses startFromHead=False with a startTime before this instant (2024-01-01 UTC).
_NEWEST_FIRST_SINCE_MS = 1_704_067_200_000

_STREAM_RE = re.compile(r"^[^/]+/[^/]+/([^/]+)$")  # <prefix>/<container>/<task id>
_SINCE_RE = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class LogGroupMissing(NotFound):
    """The service's log group does not exist: no task of it has been set up to log yet."""

    def __init__(self, log_group: str, service: str = "") -> None:
        self.log_group = log_group
        self.service = service or log_group.rstrip("/").rsplit("/", 1)[-1]
        super().__init__(
            f"no log group {log_group} for service {self.service}: the service may never "
            "have started, or `ecsdeploy up` has not been run for this app and env",
            code="ResourceNotFoundException",
            operation="FilterLogEvents",
        )

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class LogLine:
    """One log event: when (epoch seconds), which task, what it said."""

    time: float
    task: str  # the task id from ecs/<container>/<task id>; the stream name otherwise
    message: str
    event_id: str


def parse_since(text: str) -> float:
    """Seconds in a duration such as "90s", "10m", "2h" or "1d"."""
    match = _SINCE_RE.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(
            f"invalid duration {text!r}: use a positive whole number and a unit, "
            "s (seconds), m (minutes), h (hours) or d (days), e.g. 90s, 10m, 2h, 1d"
        )
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def task_of(stream: str) -> str:
    """The task id of an awslogs stream name, else the stream name itself."""
    match = _STREAM_RE.match(stream)
    return match.group(1) if match else stream


def filter_pattern(text: str | None) -> str | None:
    """A CloudWatch filter pattern matching ``text`` literally, as one exact phrase.

    Unquoted, CloudWatch would read spaces as AND, a leading "-" or "?" as operators, and
    "{", "[" or "%" as the start of a JSON, space-delimited or regex pattern; so the text is
    always quoted, with backslashes and double quotes escaped by a backslash (as the AWS
    CDK's FilterPattern does). Empty text filters nothing: None.
    """
    if text is None or not text.strip():
        return None
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read(
    aws: Aws,
    log_group: str,
    since_seconds: float,
    text_filter: str | None,
    limit: int = 1000,
    now: Callable[[], float] = time.time,
    stream: str | None = None,
) -> list[LogLine]:
    """The newest ``limit`` events of the last ``since_seconds``, oldest first (of the one
    log stream ``stream`` when given)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    start_ms = max(0, int((now() - since_seconds) * 1000))
    newest_first = start_ms >= _NEWEST_FIRST_SINCE_MS
    events: list[dict[str, Any]] = []
    descending = newest_first
    for page, _more in _pages(
        aws.client("logs"),
        log_group,
        start_ms,
        filter_pattern(text_filter),
        newest_first=newest_first,
        page_size=min(limit, PAGE_SIZE),
        max_pages=MAX_PAGES,
        stream=stream,
    ):
        # Only stop early when the answer really is newest first: a server that ignored
        # startFromHead=False sends the oldest events first, and those are not the ones kept.
        descending = descending and _non_increasing(events[-1:] + page)
        events += page
        if descending and len(events) >= limit:
            break
    if descending:
        events.reverse()
    events.sort(key=lambda e: int(e["timestamp"]))  # stable: the server's order within a ms
    return [_line(e) for e in events[-limit:]]


def follow(
    aws: Aws,
    log_group: str,
    since_seconds: float,
    text_filter: str | None,
    on_line: Callable[[LogLine], None],
    timing: Timing,
    stop: Callable[[], bool],
    poll: float = 2.0,
    limit: int = 1000,
    now: Callable[[], float] = time.time,
    lookback: float = LOOKBACK,
    stream: str | None = None,
) -> None:
    """Pass ``read``'s lines to ``on_line``, then each new event, once, until ``stop()``
    (of the one log stream ``stream`` when given)."""
    lines = read(aws, log_group, since_seconds, text_filter, limit=limit, now=now, stream=stream)
    for line in lines:
        on_line(line)
    window_start = max(0, int((now() - since_seconds) * 1000))
    # When read kept only the newest `limit` events, older ones must not appear later on.
    floor = _ms(lines[0].time) if len(lines) >= limit else window_start
    newest = max((_ms(line.time) for line in lines), default=window_start)
    seen = {line.event_id: _ms(line.time) for line in lines}
    lookback_ms = int(lookback * 1000)
    pattern = filter_pattern(text_filter)
    logs = aws.client("logs")
    catching_up = False
    while not stop():
        if not catching_up:
            timing.sleep(poll)
            if stop():
                return
        start = max(floor, newest if catching_up else newest - lookback_ms)
        catching_up = False
        for page, more in _pages(
            logs,
            log_group,
            start,
            pattern,
            newest_first=False,
            page_size=POLL_PAGE_SIZE,
            max_pages=POLL_PAGES,
            stream=stream,
        ):
            # a poll that ends with more to read: the next one goes on from here at once
            catching_up = more
            page.sort(key=lambda e: int(e["timestamp"]))
            for event in page:
                stamp = int(event["timestamp"])
                if event["eventId"] in seen or stamp < floor:
                    continue
                seen[event["eventId"]] = stamp
                newest = max(newest, stamp)
                on_line(_line(event))
        keep_from = newest - lookback_ms
        seen = {ident: stamp for ident, stamp in seen.items() if stamp >= keep_from}


def _pages(
    logs: Client,
    log_group: str,
    start_ms: int,
    pattern: str | None,
    newest_first: bool,
    page_size: int,
    max_pages: int,
    stream: str | None = None,
) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """The events of at most ``max_pages`` FilterLogEvents pages, each with whether more
    pages follow."""
    request: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": start_ms,
        "limit": page_size,
        # ignored by AWS since 2019 (it always interleaves the streams, in time order);
        # moto sorts across streams only when asked
        "interleaved": True,
    }
    if newest_first:
        request["startFromHead"] = False
    if pattern is not None:
        request["filterPattern"] = pattern
    if stream is not None:
        # a prefix, not logStreamNames: a stream not written yet is then no error
        request["logStreamNamePrefix"] = stream
    token: str | None = None
    for _ in range(max_pages):
        try:
            answer = logs.filter_log_events(**request, **({"nextToken": token} if token else {}))
        except NotFound as exc:
            raise LogGroupMissing(log_group) from exc
        following = answer.get("nextToken")
        more = bool(following) and following != token
        yield list(answer.get("events", [])), more
        if not more:
            return
        token = following


def _non_increasing(events: list[dict[str, Any]]) -> bool:
    stamps = [int(e["timestamp"]) for e in events]
    return all(a >= b for a, b in itertools.pairwise(stamps))


def _line(event: dict[str, Any]) -> LogLine:
    return LogLine(
        time=int(event["timestamp"]) / 1000,
        task=task_of(str(event.get("logStreamName", ""))),
        message=str(event.get("message", "")).rstrip("\n"),
        event_id=str(event["eventId"]),
    )


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
