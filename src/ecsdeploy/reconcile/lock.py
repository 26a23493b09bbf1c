"""One `up` or `down` at a time per app and env: a lock held as an SSM parameter.

The parameter ``/ecsdeploy/APP/ENV/lock`` is created with ``Overwrite=False``, which AWS
turns down when it exists: exactly one of two concurrent runs gets it. It holds who took
it, where and when, and an expiry that a background thread pushes forward while the run
lasts, so the lock of a killed run frees itself after the TTL; `ecsdeploy unlock` frees it
at once. `plan` and `status` take no lock.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType

from ecsdeploy.aws.clients import Aws
from ecsdeploy.aws.errors import AlreadyExists, NotFound
from ecsdeploy.spec.naming import Owner, dict_to_tags

TTL = 600.0  # seconds a lock outlives its last refresh (a killed run's lock frees itself)


class LockHeld(Exception):
    """Another run holds the lock."""

    def __init__(self, holder: str, since: str, expires_in: float) -> None:
        self.holder = holder
        self.since = since
        self.expires_in = expires_in
        super().__init__(
            f"another ecsdeploy run holds the lock of this app and env: {holder}, since "
            f"{since} (it expires in {max(0, expires_in) / 60:.0f} min unless that run goes "
            "on). Wait for it, or if it was killed, run `ecsdeploy unlock`"
        )


@dataclass(frozen=True)
class Holder:
    token: str
    who: str
    since: str
    expires: float

    def value(self) -> str:
        return json.dumps(
            {"token": self.token, "who": self.who, "since": self.since, "expires": self.expires}
        )

    @classmethod
    def parse(cls, value: str) -> Holder:
        try:
            data = json.loads(value)
            return cls(str(data["token"]), str(data["who"]), str(data["since"]),
                       float(data["expires"]))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return cls("?", "an unreadable lock", "?", 0.0)


def lock_name(owner: Owner) -> str:
    return f"/ecsdeploy/{owner.app}/{owner.env}/lock"


def whoami(command: str) -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()} ({command})"


class Lock:
    """``with Lock(aws, owner, "up"):`` — raises LockHeld when another run has it."""

    def __init__(self, aws: Aws, owner: Owner, command: str, ttl: float = TTL) -> None:
        self.aws = aws
        self.owner = owner
        self.name = lock_name(owner)
        self.ttl = ttl
        self.token = uuid.uuid4().hex
        self.who = whoami(command)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # True when this run took over the expired lock of a killed run, which may have
        # changed things without leaving a trace anywhere else (see reconcile.applied)
        self.took_over = False

    def _holder(self) -> Holder:
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        return Holder(self.token, self.who, since, time.time() + self.ttl)

    def acquire(self) -> None:
        ssm = self.aws.client("ssm")
        try:
            self._create()
        except AlreadyExists:
            current = self.current()
            if current is None:  # released between the two calls: try once more
                self._create()
            elif current.expires < time.time():
                # a killed run's lock: take it over. Two runs taking over at once both
                # delete, but only one create succeeds.
                ssm.delete_parameter(Name=self.name)
                self._create()
                self.took_over = True
            else:
                left = current.expires - time.time()
                raise LockHeld(current.who, current.since, left) from None
        self._thread = threading.Thread(target=self._refresh, name="ecsdeploy-lock", daemon=True)
        self._thread.start()

    def _create(self) -> None:
        """Create the parameter; AWS refuses (ParameterAlreadyExists) if it exists."""
        self.aws.client("ssm").put_parameter(
            Name=self.name,
            Value=self._holder().value(),
            Type="String",
            Overwrite=False,
            Description="ecsdeploy: the run that is changing this app and env",
            Tags=dict_to_tags(self.owner.tags("lock")),
        )

    def current(self) -> Holder | None:
        try:
            out = self.aws.client("ssm").get_parameter(Name=self.name)
        except NotFound:
            return None
        return Holder.parse(out["Parameter"]["Value"])

    def _refresh(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            current = self.current()
            if current is None or current.token != self.token:
                return  # unlocked by hand, or taken over: stop refreshing
            self.aws.client("ssm").put_parameter(
                Name=self.name,
                Value=Holder(self.token, self.who, current.since, time.time() + self.ttl).value(),
                Type="String",
                Overwrite=True,
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        current = self.current()
        if current is not None and current.token == self.token:
            try:
                self.aws.client("ssm").delete_parameter(Name=self.name)
            except NotFound:
                pass

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def unlock(aws: Aws, owner: Owner) -> Holder | None:
    """Remove the lock whoever holds it; return who held it (None: there was none)."""
    name = lock_name(owner)
    ssm = aws.client("ssm")
    try:
        held = Holder.parse(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        ssm.delete_parameter(Name=name)
    except NotFound:
        return None
    return held
