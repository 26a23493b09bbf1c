"""The first read sent at start-up (``Aws.early``, ``cli.shared.reach``): taken once by
the run's clients, the applied record read from it without a second call; a read nobody
took is not handed to a later command."""

from __future__ import annotations

import pytest

from ecsdeploy.aws import clients
from ecsdeploy.aws.clients import Aws
from ecsdeploy.reconcile import applied
from ecsdeploy.spec.naming import Owner


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    Aws.forget_early()


def test_taken_once_by_any_clients_of_the_same_region_and_profile() -> None:
    Aws("us-west-2").early("k", lambda: 42)
    assert Aws("us-east-1").take_early("k") is None  # another region: not its read
    taken = Aws("us-west-2").take_early("k")
    assert taken is not None and taken.result(timeout=5) == 42
    assert Aws("us-west-2").take_early("k") is None


def test_errors_reach_the_taker_and_stale_reads_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails() -> None:
        raise RuntimeError("no")

    Aws("us-west-2").early("k", fails)
    taken = Aws("us-west-2").take_early("k")
    assert taken is not None
    with pytest.raises(RuntimeError):
        taken.result(timeout=5)
    monkeypatch.setattr(clients, "EARLY_FRESH", 0.0)
    Aws("us-west-2").early("k", lambda: 1)
    assert Aws("us-west-2").take_early("k") is None
    Aws("us-west-2").early("k", lambda: 1)
    Aws.forget_early()
    monkeypatch.setattr(clients, "EARLY_FRESH", 10.0)
    assert Aws("us-west-2").take_early("k") is None


def test_the_applied_record_is_read_from_the_early_answer() -> None:
    owner = Owner("shop", "dev")
    answer = {"Parameter": {"Value": '{"vpc": "f1"}', "Version": 3, "LastModifiedDate": "t"}}
    Aws("us-west-2").early(owner.applied_record(), lambda: answer)
    aws = Aws("us-west-2")
    seen = applied.read(aws, owner)
    assert seen.record == {"vpc": "f1"} and seen.stamp == "3@t"
    assert aws.recorder.calls == []  # no second GetParameter
