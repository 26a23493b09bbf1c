"""AWS clients for one region, built once up front and shared by all threads.

botocore sessions are not thread-safe but clients are, so every client is created here
before the executor starts its threads. Clients use botocore's standard retry mode with
bounded attempts, honour the standard credential chain and AWS_ENDPOINT_URL (how the demo
and tests point ecsdeploy at an emulator), and raise the domain errors of ``aws.errors``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any

from ecsdeploy.aws.errors import AwsError, CredentialsMissing, translate
from ecsdeploy.aws.rate_limits import RateLimits, attach
from ecsdeploy.aws.recorder import CallRecorder

MAX_ATTEMPTS = 8  # per call, the first try included

# One botocore session per profile for the whole process: it caches the parsed service
# models, which take most of the time of creating a client. Client creation goes through
# _SESSION_LOCK because sessions are not thread-safe.
_SESSIONS: dict[str | None, _Session] = {}
_SESSION_LOCK = threading.Lock()
# Reads sent at start-up (``Aws.early``), by (region, profile, key): taken once by the
# run's clients, whichever ``Aws`` they belong to.
_EARLY: dict[tuple[str, str | None, str], tuple[float, Future[Any]]] = {}
EARLY_FRESH = 10.0  # seconds an early answer is taken; older ones are read again


class _Session:
    """A botocore session for one profile, with the two things of boto3's ``Session``
    ecsdeploy uses (``client``, ``region_name``): boto3 itself (its resources, docs and
    s3transfer) would add some 40 ms to every command's start."""

    def __init__(self, profile: str | None) -> None:
        from ecsdeploy.aws.model_cache import botocore_session

        self.botocore = botocore_session()
        if profile is not None:
            self.botocore.set_config_variable("profile", profile)

    @property
    def region_name(self) -> Any:
        return self.botocore.get_config_variable("region")

    def client(self, service: str, **options: Any) -> Any:
        return self.botocore.create_client(service, **options)


def _session(profile: str | None) -> _Session:
    found = _SESSIONS.get(profile)
    if found is None:
        found = _SESSIONS[profile] = _Session(profile)
    return found


def _profile_session(profile: str | None) -> _Session:
    """The shared session of ``profile``; an unknown profile is an AwsError saying so."""
    from botocore.exceptions import ProfileNotFound

    try:
        with _SESSION_LOCK:
            return _session(profile)
    except ProfileNotFound as exc:
        raise AwsError(f"{exc}; check --profile / AWS_PROFILE") from exc


def default_region(profile: str | None) -> str | None:
    """The region the environment or the profile names (AWS_REGION, config), if any."""
    region = _profile_session(profile).region_name
    return str(region) if region else None


class Client:
    """A boto3 client whose calls raise ``AwsError`` subclasses instead of ClientError."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def __getattr__(self, operation: str) -> Any:
        method = getattr(self.raw, operation)

        def call(**kwargs: Any) -> Any:
            return _guard(method, operation, kwargs)

        return call

    def pages(self, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
        """Iterate every item of a paginated operation."""
        from botocore import xform_name

        paginator = self.raw.get_paginator(xform_name(operation))
        iterator = iter(paginator.paginate(**kwargs))
        while True:
            page = _guard(lambda: next(iterator, None), operation, {})
            if page is None:
                return
            yield from page.get(result_key, [])


def _guard(fn: Any, operation: str, kwargs: dict[str, Any]) -> Any:
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    try:
        return fn(**kwargs)
    except ClientError as exc:
        raise translate(exc, operation) from exc
    except NoCredentialsError as exc:
        raise CredentialsMissing(
            "no AWS credentials found; set AWS_PROFILE (or --profile), or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            operation=operation,
        ) from exc
    except PartialCredentialsError as exc:
        raise partial_credentials(exc, operation) from exc
    except EndpointConnectionError as exc:
        raise AwsError(f"cannot reach AWS: {exc}", operation=operation) from exc
    except NoRegionError as exc:
        raise AwsError(
            "no region; set `region:` in the spec or pass --region", operation=operation
        ) from exc


def partial_credentials(exc: Exception, operation: str = "") -> CredentialsMissing:
    """botocore's PartialCredentialsError (e.g. AWS_ACCESS_KEY_ID set without
    AWS_SECRET_ACCESS_KEY), met when a client is built or a call signed."""
    return CredentialsMissing(
        f"incomplete AWS credentials: {exc}; set both AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or use "
        "AWS_PROFILE / --profile",
        operation=operation,
    )


class Aws:
    """The clients of one deploy: one region, one credential chain, one recorder."""

    def __init__(
        self,
        region: str,
        profile: str | None = None,
        recorder: CallRecorder | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        from botocore.config import Config

        from ecsdeploy.aws.regions import REGION_RE

        if not REGION_RE.match(region):  # --region, AWS_REGION: checked like the spec's
            raise AwsError(
                f"'{region}' is not an AWS region name (e.g. us-west-2); check --region, "
                "the spec's region and AWS_REGION / AWS_DEFAULT_REGION"
            )
        self.region = region
        self.recorder = recorder or CallRecorder()
        self._profile = profile
        self._session = _profile_session(profile)
        self._config = Config(
            # botocore's "max_attempts" counts retries only (one more attempt than it says):
            # "total_max_attempts" is the bound as written
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=32,
        )
        self._clients: dict[str, Client] = {}
        self.rate_limits = RateLimits()  # AWS's per-API limits, once it throttles one
        self._prepared: list[str] = []  # clients to build once the first request is sent
        self._sent = False
        self._account: str | None = None
        self._caller: str | None = None  # the identity's ARN, from the same call
        self._account_lock = threading.Lock()

    def early(self, key: str, call: Callable[[], Any]) -> None:
        """Start ``call`` (a read the run makes first) on a thread of its own now; whoever
        needs its answer takes it with ``take_early(key)``. Sent before the rest of
        ecsdeploy is imported, its round trip overlaps that work."""
        future: Future[Any] = Future()

        def run() -> None:
            try:
                future.set_result(call())
            except BaseException as exc:  # handed to the taker, raised there
                future.set_exception(exc)

        with _SESSION_LOCK:
            _EARLY[(self.region, self._profile, key)] = (time.monotonic(), future)
        threading.Thread(target=run, name="ecsdeploy-early", daemon=True).start()

    def take_early(self, key: str) -> Future[Any] | None:
        """The read started by ``early(key)`` for this region and profile (by this or
        another ``Aws`` of the process), once; None when there was none."""
        with _SESSION_LOCK:
            sent, future = _EARLY.pop((self.region, self._profile, key), (0.0, None))
        return future if time.monotonic() - sent < EARLY_FRESH else None

    def get_parameter(self, name: str) -> Any:
        """SSM GetParameter of ``name``: the answer of the read ``cli.shared.reach`` sent
        for it at start-up (``early(name)``), when there is one; a new call otherwise."""
        early = self.take_early(name)
        if early is not None:
            return early.result()
        return self.client("ssm").get_parameter(Name=name)

    @staticmethod
    def forget_early() -> None:
        """Drop the early reads nobody took (a command that failed before it read them)."""
        with _SESSION_LOCK:
            _EARLY.clear()

    def prepare(self, services: Iterable[str]) -> None:
        """Build the clients for ``services`` on a background thread, in the order given,
        once the first request of this run has been sent.

        Building one parses its service model (10-100 ms each): done while the first calls
        (credentials, zones, the applied record) wait on the network, most are ready by the
        time the observe needs them all. Not sooner: on a busy machine the thread would
        hold the interpreter lock while the main thread is still on its way to the first
        call. Creation is serialised by the session lock, so a client asked for meanwhile
        is built once, by whoever gets there first; a failure is left for that caller to
        meet.
        """
        with _SESSION_LOCK:
            self._prepared = list(dict.fromkeys(services))
            sent = self._sent
        if sent:
            self._start_building()

    def _on_send(self, **_: Any) -> None:
        """botocore's ``before-send``: the first request of the run starts the builder."""
        with _SESSION_LOCK:
            first, self._sent = not self._sent, True
        if first:
            self._start_building()

    def _start_building(self) -> None:
        with _SESSION_LOCK:
            wanted, self._prepared = self._prepared, []
        if wanted:
            threading.Thread(
                target=self._build, args=(wanted,), name="ecsdeploy-clients", daemon=True
            ).start()

    def _build(self, services: list[str]) -> None:
        for service in services:
            try:
                self.client(service)
            except Exception:
                return  # the caller that needs this client gets the error

    def client(self, service: str) -> Client:
        with _SESSION_LOCK:
            found = self._clients.get(service)
            if found is None:
                try:
                    raw = self._session.client(
                        service, region_name=self.region, config=self._config
                    )
                except ValueError as exc:  # "Invalid endpoint: ..." from AWS_ENDPOINT_URL
                    raise AwsError(f"{exc}; check AWS_ENDPOINT_URL") from None
                except Exception as exc:
                    from botocore.exceptions import PartialCredentialsError

                    if isinstance(exc, PartialCredentialsError):
                        raise partial_credentials(exc) from None
                    raise
                self.recorder.attach(raw)
                attach(raw, self.rate_limits)
                raw.meta.events.register("before-send.*.*", self._on_send)
                found = self._clients[service] = Client(raw)
            return found

    def price_list(self, region: str = "us-east-1") -> Any:
        """A raw boto3 client of the AWS Price List API (endpoints only in us-east-1,
        eu-central-1 and ap-south-1), with short timeouts and a single attempt: the cost
        estimate falls back to its table rather than wait. Its errors are botocore's."""
        from botocore.config import Config

        with _SESSION_LOCK:
            raw = self._session.client(
                "pricing",
                region_name=region,
                config=Config(
                    retries={"mode": "standard", "total_max_attempts": 1},
                    connect_timeout=2,
                    read_timeout=3,
                    max_pool_connections=32,
                ),
            )
        self.recorder.attach(raw)
        return raw

    def account_id(self) -> str:
        """The account of these credentials (one STS call per run)."""
        with self._account_lock:  # steps running at once ask together: one call
            if self._account is None:
                self._remember(self.client("sts").get_caller_identity())
            assert self._account is not None
            return self._account

    def caller_arn(self) -> str:
        """The ARN of the identity these credentials run as (the same STS call as
        ``account_id``: one per run)."""
        with self._account_lock:
            if self._caller is None:
                self._remember(self.client("sts").get_caller_identity())
            return self._caller or "?"

    def _remember(self, who: dict[str, Any]) -> None:
        self._account = str(who["Account"])
        self._caller = str(who.get("Arn") or "?")

    def remember_account(self, account: str, arn: str | None = None) -> None:
        """The account (and identity), as another GetCallerIdentity (the `verify` check)
        found it."""
        self._account = account
        if arn is not None:
            self._caller = arn

    @property
    def partition(self) -> str:
        """The ARN partition of the region: aws, aws-cn or aws-us-gov."""
        from ecsdeploy.aws.regions import partition

        return partition(self.region)


__all__ = ["Aws", "AwsError", "Client"]
