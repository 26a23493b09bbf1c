"""`ecsdeploy logs` backend: reading and following a service's CloudWatch log group.

Against moto 5.2.5 (in-process), whose FilterLogEvents differs from AWS in ways that matter
here, so some behaviour is checked on the request instead of on moto's answer:

* quoted filter patterns are matched as the literal text between the outer quotes: the
  backslash escapes AWS understands (``\\"`` for a double quote) are not undone, so a
  filter containing a double quote matches nothing in moto; the escaping is checked on the
  pattern sent;
* ``startFromHead=False`` (newest first) is ignored: moto always answers oldest first, which
  is the path ``read`` takes for any server that ignores it; the newest-first early stop is
  checked with botocore's Stubber;
* events are ordered across streams only with ``interleaved=True`` (AWS always interleaves).

moto accepts events from the last 14 days only, so timestamps are built around the real
current time; the code under test gets that instant as its ``now``.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from rich.console import Console

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import NotFound
from ecsdeploy.output.logs_view import LogPrinter
from ecsdeploy.reconcile import service_logs
from ecsdeploy.reconcile.service_logs import (
    LogGroupMissing,
    LogLine,
    filter_pattern,
    follow,
    parse_since,
    read,
    task_of,
)
from ecsdeploy.resources.base import Timing

from conftest import FakeClock

GROUP = "/ecsdeploy/mlapp/dev/api"
TASK_A = "0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5"
TASK_B = "9f8e7d6c5b4a43210fedcba987654321"
T0 = float(int(time.time()))  # "now" for the code under test, whole seconds


def now() -> float:
    return T0


class Logs:
    """Puts events into the group with boto3 directly, independently of the code tested."""

    def __init__(self, group: str = GROUP) -> None:
        self.client = boto3.client("logs", region_name="us-west-2")
        self.group = group
        self.client.create_log_group(logGroupName=group)
        self.streams: set[str] = set()

    def put(self, stream: str, *events: tuple[float, str]) -> None:
        """Events as (seconds relative to T0, message), in time order."""
        if stream not in self.streams:
            self.client.create_log_stream(logGroupName=self.group, logStreamName=stream)
            self.streams.add(stream)
        answer = self.client.put_log_events(
            logGroupName=self.group,
            logStreamName=stream,
            logEvents=[
                {"timestamp": round((T0 + offset) * 1000), "message": message}
                for offset, message in events
            ],
        )
        assert not answer.get("rejectedLogEventsInfo"), answer


def stream(task: str) -> str:
    return f"ecs/api/{task}"


@pytest.fixture
def logs(aws: None) -> Logs:
    return Logs()


@pytest.fixture
def client() -> Aws:
    return Aws("us-west-2")


def requests_of(client: Aws) -> list[dict[str, Any]]:
    """Every FilterLogEvents request the code makes from now on, as sent."""
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    client.client("logs").raw.meta.events.register(
        "provide-client-params.logs.FilterLogEvents", record
    )
    return sent


def messages(lines: list[LogLine]) -> list[str]:
    return [line.message for line in lines]


# --- read ------------------------------------------------------------------------------


def test_read_puts_the_newest_last_across_streams_with_task_and_time(
    logs: Logs, client: Aws
) -> None:
    # each stream is put in one go, so moto stores them one after the other
    logs.put(stream(TASK_A), (-50, "a1"), (-30, "a2"), (-10, "a3\n"))
    logs.put(stream(TASK_B), (-40, "b1"), (-20, "b2"), (-5.5, "b3"))
    logs.put("some-other-stream", (-25, "other"))

    lines = read(client, GROUP, 600, None, now=now)

    assert messages(lines) == ["a1", "b1", "a2", "other", "b2", "a3", "b3"]
    assert [line.task for line in lines] == [
        TASK_A,
        TASK_B,
        TASK_A,
        "some-other-stream",  # not ecs/<container>/<task>: the stream name as it is
        TASK_B,
        TASK_A,
        TASK_B,
    ]
    assert lines[0].time == T0 - 50
    assert lines[-1].time == T0 - 5.5
    assert len({line.event_id for line in lines}) == 7


def test_read_and_follow_of_one_task_stream(logs: Logs, client: Aws) -> None:
    """`run` asks only for its task's stream, by name prefix, so that a stream not written
    yet is no error. (moto ignores logStreamNamePrefix and answers every stream: `run`
    also keeps only its task's lines, see tests/cli/test_run.py.)"""
    logs.put(stream(TASK_A), (-50, "a1"), (-10, "a2"))
    logs.put(stream(TASK_B), (-40, "b1"))
    sent = requests_of(client)
    assert "a2" in messages(read(client, GROUP, 600, None, now=now, stream=stream(TASK_A)))
    assert sent[-1]["logStreamNamePrefix"] == stream(TASK_A)
    assert "logStreamNames" not in sent[-1]
    read(client, GROUP, 600, None, now=now, stream="ecs/api/not-yet")  # no error
    seen: list[LogLine] = []
    clock = FakeClock()
    polls = iter([False, False, False, True])
    service_logs.follow(
        client, GROUP, 600, None, seen.append, Timing(sleep=clock.sleep, clock=clock),
        lambda: next(polls), now=now, stream=stream(TASK_B),
    )  # fmt: skip
    assert "b1" in messages(seen)
    assert all(request["logStreamNamePrefix"] == stream(TASK_B) for request in sent[3:])


def test_task_of_takes_the_task_id_of_an_awslogs_stream() -> None:
    assert task_of(f"ecs/api/{TASK_A}") == TASK_A
    assert task_of(f"ecs/ml-ui/{TASK_B}") == TASK_B
    assert task_of("ecs/api") == "ecs/api"
    assert task_of(f"ecs/api/{TASK_A}/extra") == f"ecs/api/{TASK_A}/extra"


def test_since_excludes_older_events(logs: Logs, client: Aws) -> None:
    logs.put(stream(TASK_A), (-3600, "an hour ago"), (-601, "just too old"))
    logs.put(stream(TASK_A), (-600, "exactly ten minutes ago"), (-1, "a second ago"))

    assert messages(read(client, GROUP, parse_since("10m"), None, now=now)) == [
        "exactly ten minutes ago",
        "a second ago",
    ]
    assert len(read(client, GROUP, parse_since("2h"), None, now=now)) == 4


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        # unquoted, CloudWatch would match events holding both words anywhere
        ("internal error", ["500 internal error"]),
        # unquoted, "[" would start a space-delimited pattern (moto: matches everything)
        ("[warn] disk 90%", ["[warn] disk 90% full"]),
        # unquoted, a leading "-" would exclude the term
        ("-v flag", ["started with -v flag"]),
    ],
)
def test_filter_matches_the_text_as_one_phrase(
    logs: Logs, client: Aws, text: str, wanted: list[str]
) -> None:
    logs.put(
        stream(TASK_A),
        (-9, "500 internal error"),
        (-8, "error: internal"),
        (-7, "internal server error"),
        (-6, "[warn] disk 90% full"),
        (-5, "[warn] disk 80% full"),
        (-4, "started with -v flag"),
    )
    assert messages(read(client, GROUP, 60, text, now=now)) == wanted


def test_filter_text_is_sent_quoted_with_quotes_and_backslashes_escaped(
    logs: Logs, client: Aws
) -> None:
    sent = requests_of(client)
    read(client, GROUP, 60, 'say "hi" to C:\\temp', now=now)
    read(client, GROUP, 60, None, now=now)
    read(client, GROUP, 60, "   ", now=now)

    assert sent[0]["filterPattern"] == '"say \\"hi\\" to C:\\\\temp"'
    assert "filterPattern" not in sent[1]  # no filter: every event
    assert "filterPattern" not in sent[2]  # nothing to search for is no filter either


def test_filter_pattern() -> None:
    assert filter_pattern("ERROR") == '"ERROR"'
    assert filter_pattern('a "b" c') == '"a \\"b\\" c"'
    assert filter_pattern("back\\slash") == '"back\\\\slash"'
    assert filter_pattern("") is None
    assert filter_pattern(None) is None


def test_limit_keeps_the_newest_events(logs: Logs, client: Aws) -> None:
    logs.put(stream(TASK_A), *[(-100 + 2 * i, f"a{i:02}") for i in range(20)])
    logs.put(stream(TASK_B), *[(-99 + 2 * i, f"b{i:02}") for i in range(20)])
    sent = requests_of(client)

    lines = read(client, GROUP, 600, None, limit=5, now=now)

    assert messages(lines) == ["b17", "a18", "b18", "a19", "b19"]
    # moto answers oldest first whatever startFromHead says: every page had to be read
    assert len(sent) == 8
    assert all(r["limit"] == 5 and r["startFromHead"] is False for r in sent)


def test_read_stops_at_limit_when_the_server_answers_newest_first(client: Aws) -> None:
    from botocore.stub import Stubber

    def event(i: int) -> dict[str, Any]:
        return {
            "logStreamName": stream(TASK_A),
            "timestamp": int((T0 - 100 + i) * 1000),
            "message": f"m{i}",
            "eventId": str(i),
        }

    raw = client.client("logs").raw
    with Stubber(raw) as stub:
        stub.add_response(  # the only page asked for: a second request would fail the test
            "filter_log_events",
            {"events": [event(9), event(8), event(7)], "nextToken": "more"},
            {
                "logGroupName": GROUP,
                "startTime": int((T0 - 600) * 1000),
                "limit": 3,
                "interleaved": True,
                "startFromHead": False,
            },
        )
        lines = read(client, GROUP, 600, None, limit=3, now=now)
        stub.assert_no_pending_responses()

    assert messages(lines) == ["m7", "m8", "m9"]


def test_read_does_not_ask_newest_first_before_2024(logs: Logs, client: Aws) -> None:
    # AWS refuses startFromHead=False with a startTime before 2024-01-01
    sent = requests_of(client)
    read(client, GROUP, parse_since("5000d"), None, now=now)
    read(client, GROUP, 600, None, now=now)

    assert "startFromHead" not in sent[0]
    assert sent[1]["startFromHead"] is False


def test_read_is_bounded_in_pages(logs: Logs, client: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_logs, "MAX_PAGES", 3)
    logs.put(stream(TASK_A), *[(-100 + i, f"m{i:02}") for i in range(50)])
    sent = requests_of(client)

    lines = read(client, GROUP, 600, None, limit=4, now=now)

    assert len(sent) == 3
    assert messages(lines) == ["m08", "m09", "m10", "m11"]  # the newest of what was read


def test_missing_log_group_says_why(aws: None, client: Aws) -> None:
    with pytest.raises(LogGroupMissing) as caught:
        read(client, GROUP, 600, None, now=now)

    error = caught.value
    assert isinstance(error, NotFound)  # still an AWS "not found" for generic handlers
    assert error.log_group == GROUP
    assert error.service == "api"
    text = str(error)
    assert GROUP in text
    assert "service api" in text
    assert "may never have started" in text
    assert "ecsdeploy up" in text


def test_read_refuses_a_limit_below_one(logs: Logs, client: Aws) -> None:
    with pytest.raises(ValueError, match="limit"):
        read(client, GROUP, 600, None, limit=0, now=now)


# --- follow ----------------------------------------------------------------------------


class Polls:
    """A fake clock whose sleeps put scripted events, as if tasks logged meanwhile."""

    def __init__(self, logs: Logs, script: dict[int, Callable[[], None]]) -> None:
        self.clock = FakeClock()
        self.logs = logs
        self.script = script
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)
        self.sleeps += 1
        self.script.get(self.sleeps, lambda: None)()

    def timing(self) -> Timing:
        return Timing(sleep=self.sleep, clock=self.clock)

    def stop_after(self, polls: int, poll: float = 2.0) -> Callable[[], bool]:
        return lambda: self.clock.now >= polls * poll


def test_follow_prints_each_event_once_in_order(logs: Logs, client: Aws) -> None:
    logs.put(stream(TASK_A), (-120, "old"), (-2, "before"))
    a, b = stream(TASK_A), stream(TASK_B)
    polls = Polls(
        logs,
        {
            1: lambda: (logs.put(a, (1, "p1 a1"), (1.5, "p1 a2")), logs.put(b, (1.2, "p1 b1"))),
            # 2: nothing new; every event is found again and must not be printed again
            3: lambda: logs.put(b, (1.5, "p3 same ms as the newest seen")),
            # from another task, ingested late: older than what was already printed
            4: lambda: logs.put(a, (-1, "p4 late"), (3, "p4 a")),
        },
    )
    printed: list[LogLine] = []

    follow(
        client,
        GROUP,
        60,
        None,
        printed.append,
        polls.timing(),
        polls.stop_after(6),
        now=now,
    )

    assert messages(printed) == [
        "before",
        "p1 a1",
        "p1 b1",
        "p1 a2",
        "p3 same ms as the newest seen",
        "p4 late",
        "p4 a",
    ]
    assert polls.sleeps == 6
    assert len({line.event_id for line in printed}) == len(printed)


def test_follow_applies_the_filter_to_new_events(logs: Logs, client: Aws) -> None:
    logs.put(stream(TASK_A), (-2, "GET /health 200"), (-1, "GET /predict 500 internal error"))
    polls = Polls(
        logs,
        {1: lambda: logs.put(stream(TASK_A), (1, "internal error again"), (2, "internal ok"))},
    )
    printed: list[LogLine] = []

    follow(
        client,
        GROUP,
        60,
        "internal error",
        printed.append,
        polls.timing(),
        polls.stop_after(2),
        now=now,
    )

    assert messages(printed) == ["GET /predict 500 internal error", "internal error again"]


def test_follow_catches_up_without_sleeping_when_a_poll_is_cut(
    logs: Logs, client: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_logs, "POLL_PAGES", 1)
    monkeypatch.setattr(service_logs, "POLL_PAGE_SIZE", 2)
    logs.put(stream(TASK_A), (-1, "start"))
    polls = Polls(logs, {1: lambda: logs.put(stream(TASK_A), *[(i, f"n{i}") for i in range(7)])})
    sent = requests_of(client)
    printed: list[LogLine] = []

    follow(
        client,
        GROUP,
        60,
        None,
        printed.append,
        polls.timing(),
        polls.stop_after(2),
        now=now,
    )

    assert messages(printed) == ["start", *[f"n{i}" for i in range(7)]]
    assert polls.sleeps == 2  # the polls that went on from a cut one did not wait
    assert all(r["limit"] == 2 for r in sent[1:])


def test_follow_does_not_go_back_before_what_read_kept(logs: Logs, client: Aws) -> None:
    # read keeps the newest 2 of 4 events within the lookback: the 2 older ones stay unshown
    logs.put(stream(TASK_A), (-4, "e1"), (-3, "e2"), (-2, "e3"), (-1, "e4"))
    polls = Polls(logs, {1: lambda: logs.put(stream(TASK_A), (1, "e5"))})
    printed: list[LogLine] = []

    follow(
        client,
        GROUP,
        60,
        None,
        printed.append,
        polls.timing(),
        polls.stop_after(2),
        limit=2,
        now=now,
    )

    assert messages(printed) == ["e3", "e4", "e5"]


def test_follow_stops_before_polling_when_told(logs: Logs, client: Aws) -> None:
    logs.put(stream(TASK_A), (-1, "only"))
    polls = Polls(logs, {})
    printed: list[LogLine] = []

    follow(client, GROUP, 60, None, printed.append, polls.timing(), lambda: True, now=now)

    assert messages(printed) == ["only"]
    assert polls.sleeps == 0


def test_follow_on_a_missing_group_raises(aws: None, client: Aws) -> None:
    polls = Polls(Logs("/ecsdeploy/mlapp/dev/other"), {})
    with pytest.raises(LogGroupMissing):
        follow(client, GROUP, 60, None, print, polls.timing(), lambda: False, now=now)


# --- parse_since -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), (" 15m ", 900), ("120m", 7200)],
)
def test_parse_since(text: str, seconds: float) -> None:
    assert parse_since(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "10", "m", "1.5h", "-5m", "10x", "10 m", "0s", "10M", "1w", "1h30m"]
)
def test_parse_since_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*e\.g\. 90s, 10m, 2h, 1d"):
        parse_since(text)


# --- LogPrinter ------------------------------------------------------------------------

LINE = LogLine(
    time=1_700_000_000.25,  # 2023-11-14 22:13:20 UTC
    task=TASK_A,
    message="[bold red]not markup[/] :smile: http://x/y 42",
    event_id="1",
)


def test_log_printer_prints_time_short_task_and_the_message_as_is() -> None:
    plain = io.StringIO()
    LogPrinter(Console(file=plain, width=40, color_system=None), utc=True)(LINE)
    # one line however narrow the terminal
    assert plain.getvalue() == f"22:13:20 0a1b2c3d  {LINE.message}\n"

    styled = io.StringIO()
    terminal = Console(file=styled, width=40, force_terminal=True, color_system="standard")
    LogPrinter(terminal, utc=True)(LINE)
    # on a terminal only the time and task are styled: the message is never read as markup,
    # emoji codes or something to highlight (numbers, URLs)
    assert "\x1b[" in styled.getvalue()
    assert styled.getvalue().endswith(f"  {LINE.message}\n")


def test_log_printer_pads_short_task_names() -> None:
    out = io.StringIO()
    LogPrinter(Console(file=out, color_system=None), utc=True)(
        LogLine(time=LINE.time, task="x", message="m", event_id="2")
    )
    assert out.getvalue() == "22:13:20 x         m\n"


def test_log_printer_uses_local_time_unless_utc() -> None:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "IST-5:30"  # POSIX form: UTC+5:30, no tz database needed
    time.tzset()
    try:
        out = io.StringIO()
        LogPrinter(Console(file=out, color_system=None))(LINE)
        LogPrinter(Console(file=out, color_system=None), utc=True)(LINE)
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert [ln[:8] for ln in out.getvalue().splitlines()] == ["03:43:20", "22:13:20"]


def test_log_printer_writes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    LogPrinter(utc=True)(LINE)
    captured = capsys.readouterr()
    assert captured.out.startswith("22:13:20 0a1b2c3d  [bold red]not markup[/]")
    assert captured.err == ""
