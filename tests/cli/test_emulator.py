"""moto answers one request at a time, in-process (the ``aws`` fixture) and as a server
(scripts/emulator.py): its backends are not thread-safe, and ecsdeploy calls AWS from
several threads."""

from __future__ import annotations

import runpy
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from conftest import ROOT

POLICY = '{"Version": "2012-10-17", "Statement": []}'
SIGNED_FOR_IAM = (
    "AWS4-HMAC-SHA256 Credential=testing/20261202/us-east-1/iam/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


class InFlight:
    """Wraps a moto backend method: counts the calls inside it at once, each held a while."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self.method = method
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(0.05)  # long enough for the other threads' requests to arrive
            return self.method(*args, **kwargs)
        finally:
            with self._lock:
                self.now -= 1


@pytest.fixture
def create_role_in_flight(monkeypatch: pytest.MonkeyPatch) -> Iterator[InFlight]:
    from moto.iam.models import IAMBackend

    counter = InFlight(IAMBackend.create_role)

    def create_role(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        return counter(self, *args, **kwargs)

    monkeypatch.setattr(IAMBackend, "create_role", create_role)
    yield counter


def _together(n: int, work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)


def test_in_process_moto_answers_one_request_at_a_time(
    aws: None, create_role_in_flight: InFlight
) -> None:
    iam = boto3.client("iam", region_name="us-west-2")

    _together(4, lambda i: iam.create_role(RoleName=f"r{i}", AssumeRolePolicyDocument=POLICY))

    assert create_role_in_flight.most == 1
    assert len(iam.list_roles()["Roles"]) == 4


def test_the_emulator_server_answers_one_request_at_a_time(
    monkeypatch: pytest.MonkeyPatch, create_role_in_flight: InFlight
) -> None:
    # the server's WSGI application, as scripts/emulator.py leaves it, called from threads
    # the way werkzeug's threaded server calls it (a thread per request)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.test import Client

    answer = DomainDispatcherApplication.__call__
    runpy.run_path(str(ROOT / "scripts" / "emulator.py"), run_name="emulator")
    serialised = DomainDispatcherApplication.__call__
    monkeypatch.setattr(DomainDispatcherApplication, "__call__", answer)  # undone after
    assert serialised is not answer
    app = DomainDispatcherApplication(create_backend_app)
    monkeypatch.setattr(DomainDispatcherApplication, "__call__", serialised)
    statuses: list[int] = []

    def create(i: int) -> None:
        response = Client(app).post(
            "/",
            # moto's server tells the service from the signature's credential scope
            headers={"Authorization": SIGNED_FOR_IAM},
            data={
                "Action": "CreateRole",
                "Version": "2010-05-08",
                "RoleName": f"server-role-{i}",
                "AssumeRolePolicyDocument": POLICY,
            },
        )
        statuses.append(response.status_code)
        assert b"<CreateRoleResponse" in response.data

    _together(4, create)

    assert statuses == [200] * 4
    assert create_role_in_flight.most == 1
