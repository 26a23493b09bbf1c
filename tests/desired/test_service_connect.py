"""ECS Service Connect: ``${services.NAME.internal_url}``, the app's Cloud Map namespace,
each service's place in it, security groups open to exactly the calling services, and
``public: false`` services kept off the load balancer."""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator

from ecsdeploy.desired import desired_resources
from ecsdeploy.images.refs import ImageRef, resolve
from ecsdeploy.plan.cost import estimate
from ecsdeploy.plan.model import Action
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired, Ref
from ecsdeploy.resources.ecs_service import ServiceHandler
from ecsdeploy.resources.service_connect import connect_request, observed_connect
from ecsdeploy.spec import load_spec, parse_spec
from ecsdeploy.spec.errors import SpecError

from conftest import CONFIGS, Harness, owned_anything

REGION = "us-west-2"
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
# the API answers only inside the VPC; the UI calls it there; a worker calls nobody
CONNECTED = f"""\
app: mlapp
env: dev
region: {REGION}
network:
  nat: single
  endpoints: [s3]
services:
  api:
    image: {IMAGE}/api:v1
    port: 8000
    public: false
  ui:
    image: {IMAGE}/ui:v1
    port: 8501
    route: /*
    env:
      API_URL: ${{services.api.internal_url}}/api
  batch:
    image: {IMAGE}/batch:v1
"""


def desired(text: str = CONNECTED) -> dict[str, Desired]:
    spec = parse_spec(text, "t.yaml")
    images = {n: ImageRef(n, s.image or "") for n, s in spec.services.items()}
    return {d.key: d for d in desired_resources(spec, [f"{REGION}a", f"{REGION}b"], images)}


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "t.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_services_join_one_namespace_and_the_ui_gets_the_internal_url() -> None:
    want = desired()
    namespace = want[keys.NAMESPACE]
    assert namespace.kind == "servicediscovery.namespace"
    assert namespace.props.name == "mlapp-dev"
    arn = Ref(keys.NAMESPACE, "arn")
    service = {n: want[keys.ecs_service(n)].props for n in ("api", "ui", "batch")}
    assert service["api"].service_connect == (arn, frozenset({("api", "api", "api", 8000)}))
    assert service["ui"].service_connect == (arn, frozenset({("ui", "ui", "ui", 8501)}))
    assert service["batch"].service_connect == (arn, frozenset())  # calls only
    task = {n: want[keys.task_definition(n)].props for n in ("api", "ui", "batch")}
    assert (task["api"].port_name, task["ui"].port_name, task["batch"].port_name) == (
        "api",
        "ui",
        None,
    )
    assert task["ui"].env["API_URL"] == "http://api:8000/api"


def test_security_groups_let_in_exactly_the_callers_on_the_port() -> None:
    want = desired()
    assert want[keys.service_group("api")].props.ingress == frozenset(
        {("tcp", 8000, 8000, Ref(keys.service_group("ui")))}
    )
    # the UI: from the load balancer only; nobody calls it, nor the worker
    assert want[keys.service_group("ui")].props.ingress == frozenset(
        {("tcp", 8501, 8501, Ref(keys.LOAD_BALANCER_GROUP))}
    )
    assert want[keys.service_group("batch")].props.ingress == frozenset()


def test_a_private_service_has_no_target_group_rule_or_url() -> None:
    want = desired()
    assert keys.target_group("api") not in want
    assert keys.listener_rule("api") not in want
    assert want[keys.ecs_service("api")].props.load_balancers == frozenset()
    assert keys.target_group("ui") in want  # the public one is routed as before


def test_no_public_service_no_load_balancer() -> None:
    text = CONNECTED.replace("    route: /*\n", "    public: false\n")
    want = desired(text)
    lb_kinds = {"elbv2.load_balancer", "elbv2.listener", "elbv2.target_group", "elbv2.rule"}
    assert not [k for k, d in want.items() if d.kind in lb_kinds]
    assert keys.LOAD_BALANCER_GROUP not in want
    assert want[keys.service_group("api")].props.ingress == frozenset(
        {("tcp", 8000, 8000, Ref(keys.service_group("ui")))}
    )


def test_without_a_reference_nothing_joins_unless_asked() -> None:
    plain = CONNECTED.replace("${services.api.internal_url}/api", "http://example.com")
    want = desired(plain)
    assert keys.NAMESPACE not in want
    assert want[keys.ecs_service("api")].props.service_connect is None
    assert want[keys.task_definition("api")].props.port_name is None
    assert want[keys.service_group("api")].props.ingress == frozenset()
    asked = desired(plain.replace(ENDPOINTS, ENDPOINTS + "  service_connect: true\n"))
    assert keys.NAMESPACE in asked
    assert asked[keys.ecs_service("api")].props.service_connect is not None
    # joined, but nobody refers to the API: its port stays closed
    assert asked[keys.service_group("api")].props.ingress == frozenset()


REF = "${services.api.internal_url}"
ENDPOINTS = "  endpoints: [s3]\n"
PRIVATE = "    public: false\n"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((REF, "${services.apx.internal_url}"), "names no service; did you mean 'api'?"),
        ((REF, "${services.batch.internal_url}"), "service 'batch' has no `port:`"),
        (
            (ENDPOINTS, ENDPOINTS + "  service_connect: false\n"),
            "network.service_connect is false",
        ),
        (
            (PRIVATE, PRIVATE + "    route: /api/*\n"),
            "`public: false` keeps the service off the load balancer",
        ),
    ],
)
def test_wrong_references_and_settings_are_spec_errors(
    change: tuple[str, str], expected: str
) -> None:
    found = problems(CONNECTED.replace(*change))
    assert len(found) == 1, found
    assert expected in found[0]
    assert "t.yaml:" in found[0]  # file:line


def test_an_express_service_cannot_be_called_internally() -> None:
    text = CONNECTED.replace(
        "    port: 8000\n    public: false\n", "    port: 8000\n    mode: express\n"
    )
    (found,) = problems(text)
    assert "Service Connect joins classic services only" in found


def test_the_requests_fit_botocores_model() -> None:
    want = desired()
    model = boto3.client("ecs", region_name=REGION).meta.service_model
    props = want[keys.ecs_service("api")].props.resolved(lambda r: f"arn:aws:x:{r.key}")
    args = {**ServiceHandler._args(props), "cluster": "c", "serviceName": "api"}
    report = ParamValidator().validate(args, model.operation_model("CreateService").input_shape)
    assert not report.has_errors(), report.generate_report()
    config = args["serviceConnectConfiguration"]
    assert config["services"][0]["portName"] == "api"
    assert config["services"][0]["clientAliases"] == [{"port": 8000, "dnsName": "api"}]
    off = {"cluster": "c", "service": "api", "serviceConnectConfiguration": connect_request(None)}
    update = model.operation_model("UpdateService").input_shape
    assert not ParamValidator().validate(off, update).has_errors()


def test_describe_services_reports_it_on_the_primary_deployment() -> None:
    config = connect_request(("arn:ns", frozenset({("api", "api", "api", 8000)})))
    svc: dict[str, Any] = {
        "deploymentConfiguration": {},
        "deployments": [{"status": "PRIMARY", "serviceConnectConfiguration": config}],
    }
    model = boto3.client("ecs", region_name=REGION).meta.service_model
    shape = model.operation_model("DescribeServices").output_shape
    answer = {"services": [{"serviceArn": "arn:s", **svc}]}
    assert not ParamValidator().validate(answer, shape).has_errors()
    assert observed_connect(svc) == (True, ("arn:ns", frozenset({("api", "api", "api", 8000)})))
    svc["deployments"][0].pop("serviceConnectConfiguration")
    assert observed_connect(svc) == (True, None)  # AWS says: off
    assert observed_connect({}) == (False, None)  # an emulator that does not say


def test_up_re_up_and_down(harness: Harness) -> None:
    dep: Any = harness.deployment(CONNECTED)
    plan = dep.plan_up()
    created = {s.key for s in plan.steps if s.action is Action.CREATE}
    assert keys.NAMESPACE in created and keys.target_group("api") not in created
    sent: list[dict[str, Any]] = []
    ecs = dep.aws.client("ecs").raw
    ecs.meta.events.register(
        "before-parameter-build.ecs.CreateService", lambda params, **_: sent.append(dict(params))
    )
    assert dep.apply(plan).ok
    configs = {p["serviceName"]: p.get("serviceConnectConfiguration") for p in sent}
    assert configs["api"]["services"][0]["clientAliases"] == [{"port": 8000, "dnsName": "api"}]
    assert configs["batch"]["enabled"] and "services" not in configs["batch"]
    cloudmap = boto3.client("servicediscovery", region_name=REGION)
    (namespace,) = cloudmap.list_namespaces()["Namespaces"]
    assert namespace["Name"] == "mlapp-dev"
    assert {c["namespace"] for c in configs.values()} == {namespace["Arn"]}
    harness.assert_up_changes_nothing(CONNECTED)
    harness.recorder.clear()
    harness.down(CONNECTED)
    assert cloudmap.list_namespaces()["Namespaces"] == []
    order = [c.operation for c in harness.recorder.mutating()]
    deleted = [i for i, op in enumerate(order) if op == "DeleteService"]
    assert len(deleted) == 3 and max(deleted) < order.index("DeleteNamespace")
    assert owned_anything() == []


def test_the_cost_notes_the_nat_data_processing_the_calls_no_longer_pay() -> None:
    notes = estimate(parse_spec(CONNECTED, "t.yaml")).notes
    (saved,) = [n for n in notes if "Service Connect" in n]
    assert saved.startswith("ui calls api inside the VPC") and "$0.045/GB" in saved
    plain = CONNECTED.replace(REF, "http://example.com")
    assert not [n for n in estimate(parse_spec(plain, "t.yaml")).notes if "Service Connect" in n]
    no_nat = CONNECTED.replace(
        "  nat: single\n", "  nat: none\n  endpoints: [s3, ecr.api, ecr.dkr, logs]\n"
    )
    no_nat = no_nat.replace("  endpoints: [s3]\n", "", 1)
    assert not [n for n in estimate(parse_spec(no_nat, "t.yaml")).notes if "Service Connect" in n]


def test_drift_is_seen_where_describe_services_reports_it() -> None:
    arn = "arn:aws:servicediscovery:us-west-2:123456789012:namespace/ns-1"
    api = desired()[keys.ecs_service("api")].props.resolved(
        lambda r: arn if r.attr == "arn" else r.key
    )
    handler = ServiceHandler.__new__(ServiceHandler)

    def have(props: dict[str, Any]) -> Any:
        from ecsdeploy.resources.base import Observed

        return Observed("ecs.service", keys.ecs_service("api"), "s", "api", props)

    same = dict(api.as_mapping())
    assert handler.diff(api, have(same)) == []
    unreported = {k: v for k, v in same.items() if k != "service_connect"}
    assert handler.diff(api, have(unreported)) == []  # an emulator that does not say
    changed = {**same, "service_connect": (arn, frozenset())}  # answers no longer
    assert [c.field for c in handler.diff(api, have(changed))] == ["service_connect"]
    off = dataclasses.replace(api, service_connect=None)
    (change,) = handler.diff(off, have(same))
    assert (change.field, change.after) == ("service_connect", None)


def test_the_example_configs_call_the_api_inside_the_vpc() -> None:
    """configs/example.yaml: the UI calls the API at its internal URL, the API stays
    routed; configs/internal-api.yaml: the API is off the load balancer."""
    zones = [f"{REGION}a", f"{REGION}b"]
    found = {}
    for name in ("example.yaml", "internal-api.yaml"):
        spec = load_spec(CONFIGS / name)
        images = resolve(spec, CONFIGS, f"{IMAGE}")
        found[name] = {d.key: d for d in desired_resources(spec, zones, images)}
    for want in found.values():
        assert want[keys.task_definition("ui")].props.env["API_URL"] == "http://api:8000/api"
        assert keys.NAMESPACE in want
    ui = Ref(keys.service_group("ui"))
    lb = Ref(keys.LOAD_BALANCER_GROUP)
    example, private = found["example.yaml"], found["internal-api.yaml"]
    assert example[keys.service_group("api")].props.ingress == frozenset(
        {("tcp", 8000, 8000, lb), ("tcp", 8000, 8000, ui)}
    )
    assert private[keys.service_group("api")].props.ingress == frozenset({("tcp", 8000, 8000, ui)})
    assert keys.target_group("api") in example and keys.listener_rule("api") in example
    assert keys.target_group("api") not in private and keys.listener_rule("api") not in private
    assert keys.target_group("ui") in private  # the UI is still the public face
