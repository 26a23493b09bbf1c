"""Idempotency tokens change when the request does (resources/ec2_common.client_token):
AWS answers a token it has seen with the resource it made then, or refuses it with other
parameters (EC2's IdempotentParameterMismatch). After `down` then `up`, every create is a
new request with new tokens; a retry of the same request keeps its token."""

from __future__ import annotations

from typing import Any

from ecsdeploy.resources.ec2_common import client_token
from ecsdeploy.spec.naming import Owner

from conftest import Harness, spec_text

OWNER = Owner("mlapp", "dev")
TOKENS = {"CreateService": "clientToken", "CreateNatGateway": "ClientToken"}


def test_the_token_follows_the_request() -> None:
    request = {"SubnetId": "subnet-1", "AllocationId": "eipalloc-1"}
    same = client_token(OWNER, "nat/0", dict(reversed(list(request.items()))))
    assert client_token(OWNER, "nat/0", request) == same  # argument order does not matter
    assert client_token(OWNER, "nat/0", {**request, "SubnetId": "subnet-2"}) != same
    assert client_token(OWNER, "nat/1", request) != same
    assert client_token(Owner("mlapp", "prod"), "nat/0", request) != same
    assert len(same) <= 64


def _tokens(harness: Harness) -> dict[str, list[str]]:
    """operation -> the tokens sent, from a hook on the clients of the next deployment."""
    seen: dict[str, list[str]] = {op: [] for op in TOKENS}

    def hook(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in TOKENS:
            seen[model.name].append(params[TOKENS[model.name]])

    dep: Any = harness.deployment(spec_text())
    for service in ("ecs", "ec2"):
        dep.aws.client(service).raw.meta.events.register("provide-client-params.*.*", hook)
    result = dep.apply(dep.plan_up())
    assert result.ok, [(s.key, str(e)) for s, e in result.failed]
    return seen


def test_down_then_up_sends_new_tokens(harness: Harness) -> None:
    first = _tokens(harness)
    harness.down(spec_text())
    again = _tokens(harness)
    for operation in TOKENS:
        assert first[operation], f"{operation} was not called"
        assert len(again[operation]) == len(first[operation])
        assert not set(first[operation]) & set(again[operation]), operation
