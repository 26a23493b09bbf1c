"""A local HTTP proxy in front of the AWS emulator: fixed latency, call log, slow AWS.

Every request waits ``latency`` seconds before it is forwarded (a round trip to a real
AWS endpoint), so concurrent calls overlap as they would on a network. Each call is logged
with its service, operation and whether it mutates, read from the request itself:

* JSON protocols (ECS, CloudWatch Logs, SSM, ECR, Application Auto Scaling): the
  ``X-Amz-Target`` header, ``Service.Operation``;
* query protocols (EC2, ELBv2, IAM, STS): the ``Action`` field of the form body;
* REST protocols (S3): the method and path (GET/HEAD read, the others mutate).

The service is the one named in the SigV4 credential scope of the Authorization header.

Throttling mode (``bench/throttle.py``) answers calls beyond AWS's per-API rate limits
with the throttling error of their protocol, as AWS does.

Slow mode makes the emulator answer the way AWS does while resources come up: a NAT
gateway stays ``pending``, a load balancer ``provisioning`` and an interface VPC endpoint
``pending`` for a while after its create call (durations divided by ``scale``). It rewrites
the Describe responses of those resources until their time has come; the emulator itself
is unchanged.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from bench.rollouts import EmulatedRollouts
from bench.throttle import AwsThrottle, throttled_answer
from ecsdeploy.aws.recorder import is_mutating

# Seconds AWS takes, from the create call, before these are usable (see DESIGN notes and
# AWS's own figures: NAT gateways 1-2 min, load balancers 2-3 min).
SLOW_SECONDS = {"nat_gateway": 90.0, "load_balancer": 150.0, "interface_endpoint": 90.0}

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)


@dataclass(frozen=True)
class ProxyCall:
    service: str
    operation: str
    mutating: bool
    start: float  # when the request arrived (monotonic)
    end: float  # when the answer left
    upstream: float  # seconds the emulator took
    throttled: bool = False  # answered with a throttling error (throttling mode)


@dataclass
class CallLog:
    """Every call that went through the proxy; thread-safe."""

    calls: list[ProxyCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, call: ProxyCall) -> None:
        with self._lock:
            self.calls.append(call)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[ProxyCall]:
        with self._lock:
            return list(self.calls[mark:])


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[str, str]:
    """(service, operation) of one AWS request."""
    found = _SCOPE.search(headers.get("authorization", ""))
    service = found.group(1) if found else "?"
    target = headers.get("x-amz-target")
    rpc = re.search(r"/service/[^/]+/operation/([A-Za-z0-9]+)", path)
    if rpc:  # Smithy RPC v2 CBOR (CloudWatch)
        return service, rpc.group(1)
    if target:
        return service, target.rsplit(".", 1)[-1]
    if method == "POST" and "x-www-form-urlencoded" in headers.get("content-type", ""):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return service, action[0]
    return service, f"{method} {urlsplit(path).path}"


def mutates(method: str, operation: str) -> bool:
    if " " in operation:  # REST: the method says it
        return method not in ("GET", "HEAD")
    return is_mutating(operation)


@dataclass
class SlowAws:
    """Resources AWS takes time to make ready, and when each becomes ready."""

    scale: float
    ready_at: dict[str, float] = field(default_factory=dict)  # resource id -> monotonic time
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def seconds(self, what: str) -> float:
        return SLOW_SECONDS[what] / self.scale

    def created(self, ident: str, what: str) -> None:
        with self._lock:
            self.ready_at.setdefault(ident, time.monotonic() + self.seconds(what))

    def still_pending(self, ident: str) -> bool:
        with self._lock:
            ready = self.ready_at.get(ident)
        return ready is not None and time.monotonic() < ready

    def rewrite(self, operation: str, request: bytes, response: bytes) -> bytes:
        """The emulator's answer to ``operation``, as AWS would give it at this moment."""
        if operation == "CreateNatGateway":
            self._record(response, "natGatewayId", "nat_gateway")
        elif operation == "CreateLoadBalancer":
            self._record(response, "LoadBalancerArn", "load_balancer")
        elif operation == "CreateVpcEndpoint" and b"VpcEndpointType=Interface" in request:
            self._record(response, "vpcEndpointId", "interface_endpoint")
        elif operation == "DescribeNatGateways":
            return self._pending(response, "natGatewayId", ("state",), "pending")
        elif operation == "DescribeLoadBalancers":
            return self._pending(response, "LoadBalancerArn", ("State", "Code"), "provisioning")
        elif operation == "DescribeVpcEndpoints":
            return self._pending(response, "vpcEndpointId", ("state",), "pending")
        return response

    def _record(self, response: bytes, id_tag: str, what: str) -> None:
        found = re.search(rf"<{id_tag}>([^<]+)</{id_tag}>".encode(), response)
        if found:
            self.created(found.group(1).decode(), what)

    def _pending(self, response: bytes, id_tag: str, state_path: tuple[str, ...], to: str) -> bytes:
        try:
            root = ET.fromstring(response)
        except ET.ParseError:
            return response
        namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        prefix = f"{{{namespace}}}" if namespace else ""
        changed = False
        for parent in root.iter():
            ident = parent.find(prefix + id_tag)
            if ident is None or not self.still_pending(ident.text or ""):
                continue
            node: ET.Element | None = parent
            for part in state_path:
                node = node.find(prefix + part) if node is not None else None
            if node is not None:
                node.text = to
                changed = True
        if not changed:
            return response
        rewritten: bytes = ET.tostring(
            root, encoding="utf-8", xml_declaration=True, default_namespace=namespace or None
        )
        return rewritten


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of new connections (a client's
    # pool opening 8-32 at once) overflows it, and each dropped SYN is sent again by the
    # client's TCP 1 s later, a delay no AWS endpoint adds
    request_queue_size = 256


class Proxy:
    """Runs in a thread of the bench; ``endpoint`` is what AWS_ENDPOINT_URL points at."""

    def __init__(
        self,
        upstream_port: int,
        latency: float,
        slow: SlowAws | None = None,
        throttle: AwsThrottle | None = None,
    ) -> None:
        self.upstream_port = upstream_port
        self.latency = latency
        self.slow = slow
        self.rollouts: EmulatedRollouts | None = None  # --rollout: bench/rollouts.py
        self.throttle = throttle
        self.log = CallLog()
        self._local = threading.local()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _upstream(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=120)
            self._local.conn = conn
        return conn

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes, float]:
        sent = {k: v for k, v in headers.items() if k not in _HOP_HEADERS}
        sent["content-length"] = str(len(body))
        for attempt in (1, 2):
            conn = self._upstream()
            start = time.monotonic()
            try:
                conn.request(method, path, body=body, headers=sent)
                answer = conn.getresponse()
                data = answer.read()
            except (ConnectionError, http.client.HTTPException):
                conn.close()  # the emulator closed a kept-alive connection: open a new one
                self._local.conn = None
                if attempt == 2:
                    raise
                continue
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_HEADERS]
            return answer.status, kept, data, time.monotonic() - start
        raise AssertionError("unreachable")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # the answer goes out in two writes (headers, then body); with Nagle's
            # algorithm on, the body waits for the client to acknowledge the headers,
            # which it delays by up to 40 ms (TCP's delayed ACK): 40 ms more a call,
            # which no AWS endpoint adds
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _any(self) -> None:
                arrived = time.monotonic()
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = self.rfile.read(int(headers.get("content-length") or 0))
                service, operation = operation_of(self.command, self.path, headers, body)
                if proxy.latency:
                    time.sleep(proxy.latency)
                refused = None
                if proxy.throttle is not None:
                    refused = throttled_answer(service, headers, self.path)
                    if refused is not None and proxy.throttle.admit(service, operation):
                        refused = None
                if refused is not None:
                    (status, answer_headers, data), upstream = refused, 0.0
                else:
                    status, answer_headers, data, upstream = proxy.forward(
                        self.command, self.path, headers, body
                    )
                if proxy.slow is not None and status == 200:
                    data = proxy.slow.rewrite(operation, body, data)
                if proxy.rollouts is not None and status == 200:
                    data = proxy.rollouts.rewrite(operation, body, data)
                self.send_response(status)
                for key, value in answer_headers:
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                proxy.log.add(
                    ProxyCall(
                        service,
                        operation,
                        mutates(self.command, operation),
                        arrived,
                        time.monotonic(),
                        upstream,
                        refused is not None,
                    )
                )

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

        return Handler
