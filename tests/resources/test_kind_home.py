"""Each resource kind is one home: the plan view, the cost and ``down`` learn what they
show and decide about a kind from its handler, through the registry, and keep no tables of
kind names of their own. A kind added to the registry is shown, costed and kept without
an edit anywhere else."""

from __future__ import annotations

import ast
import dataclasses
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from rich.console import Console

from ecsdeploy.desired.compose import desired_resources
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.images.refs import resolve
from ecsdeploy.output.plan_view import show_plan
from ecsdeploy.plan.cost import HOURS_PER_MONTH, MONTHLY, PRICES, estimate_now, estimate_observed
from ecsdeploy.plan.model import Action, Plan, Step
from ecsdeploy.plan.planner import set_aside_kept
from ecsdeploy.reconcile.executor import build_graph
from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Desired, DownKeeps, Handler, Observed, Ordering, Props, Ref
from ecsdeploy.resources.billing import Bill, Meter, Tasks, Usage
from ecsdeploy.resources.describe import Line, Names, value
from ecsdeploy.spec.loader import load_spec

from conftest import CONFIGS

SRC = Path(__file__).parents[2] / "src" / "ecsdeploy"


@dataclass(frozen=True, kw_only=True)
class GadgetProps(Props):
    socket: str | Ref


class GadgetHandler(Handler[GadgetProps]):
    """A kind no module outside this test knows of."""

    kind: ClassVar[str] = "test.gadget"
    props_class: ClassVar[type[Props]] = GadgetProps
    label: ClassVar[str] = "gadget (a test kind)"
    delete_note: ClassVar[str] = "its widgets go too"
    layer: ClassVar[str] = "services"
    rank: ClassVar[int] = 4
    services: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def describe(cls, props: GadgetProps, names: Names) -> list[Line]:
        return [("plugged into", value(props.socket, names))]

    @classmethod
    def bills(cls, have: Observed, observed: Mapping[str, Observed]) -> list[Bill]:
        return [Usage(Meter.DASHBOARD, int(have.props["screens"]))]

    @classmethod
    def down_keeps(cls, have: Observed) -> DownKeeps | None:
        return DownKeeps("--purge-gadgets", by_default=True, note="Keeping gadget {name}.")


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """GadgetHandler in the registry: one line, as for a real kind."""
    monkeypatch.setattr(registry, "KINDS", (*registry.KINDS, GadgetHandler))


def test_every_kind_declares_its_props_class() -> None:
    for cls in registry.KINDS:
        declared = vars(cls).get("props_class")  # its own, not inherited
        assert isinstance(declared, type) and issubclass(declared, Props), cls.kind
        assert dataclasses.is_dataclass(declared), cls.kind
        assert declared.__dataclass_params__.frozen, cls.kind  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "config", ["example.yaml", "hardened.yaml", "express.yaml", "private-no-nat.yaml"]
)
def test_desired_resources_hold_the_props_of_their_kind(config: str) -> None:
    spec = load_spec(CONFIGS / config)
    images = resolve(spec, CONFIGS, "123456789012.dkr.ecr.us-west-2.amazonaws.com")
    artifacts = {
        "model": ArtifactRef(
            "model", Path("model.joblib"), "bucket", "model/0123/model.joblib", "0" * 64, True
        )
    }
    zones = ["us-west-2a", "us-west-2b", "us-west-2c"]
    desired = desired_resources(spec, zones, images, artifacts, account="123456789012")
    for want in desired:
        kind = registry.kind_class(want.kind)
        assert kind is not None, want.kind
        assert type(want.props) is kind.props_class, want.key


def test_every_kind_declares_what_it_is() -> None:
    for cls in registry.KINDS:
        assert "label" in vars(cls) and cls.label, cls.kind  # its own, not inherited
        assert cls.layer and isinstance(cls.rank, int), cls.kind
        assert registry.kind_class(cls.kind) is cls
    assert registry.kind_class("test.nothing") is None


def _rendered(plan: Plan) -> str:
    out = Console(width=100, record=True, color_system=None, file=io.StringIO())
    show_plan(out, plan, "Plan")
    return out.export_text()


def test_a_registered_kind_shows_its_label_details_and_delete_note(registered: None) -> None:
    created = Step(Action.CREATE, "test.gadget", "gadget/a", "a", "services", want=gadget())
    socket = Step(Action.CREATE, "ec2.vpc", "vpc", "the-vpc", "network")
    gone = Step(
        Action.DELETE,
        "test.gadget",
        "gadget/b",
        "b",
        "services",
        have=Observed("test.gadget", "gadget/b", "b", "b", {"screens": 1}),
    )
    text = _rendered(Plan([socket, created, gone]))
    assert "test.gadget a  gadget (a test kind)" in text
    assert "plugged into: the-vpc" in text  # a Ref, shown by the name it points at
    assert "its widgets go too" in text


def gadget() -> Desired:
    return Desired("test.gadget", "gadget/a", "a", GadgetProps(socket=Ref("vpc")))


def test_an_unknown_kind_shows_its_name_and_nothing_more() -> None:
    step = Step(Action.CREATE, "test.unknown", "u", "u", "services", want=gadget())
    text = _rendered(Plan([step]))
    assert "test.unknown u  test.unknown" in text
    assert "plugged into" not in text


def test_a_registered_kind_is_costed_by_what_it_bills(registered: None) -> None:
    observed = {"gadget/a": Observed("test.gadget", "gadget/a", "a", "a", {"screens": 2})}
    est = estimate_now(observed, "us-west-2")
    assert [(x.item, x.quantity) for x in est.lines] == [("CloudWatch dashboard", 2)]
    assert est.total == pytest.approx(2 * MONTHLY.dashboard)


def test_a_registered_kind_is_kept_by_down_on_its_own_flag(registered: None) -> None:
    def plan() -> Plan:
        have = Observed("test.gadget", "gadget/a", "a", "a", {"screens": 1})
        logs = Observed("logs.log_group", "logs/api", "/x/api", "/x/api", {})
        return Plan(
            [Step(Action.DELETE, o.kind, o.key, o.name, "services", have=o) for o in (have, logs)]
        )

    kept_plan = plan()
    kept = set_aside_kept(kept_plan, ())
    assert [(s.key, why.note.format(name=s.name)) for s, why in kept] == [
        ("gadget/a", "Keeping gadget a.")
    ]
    assert [s.key for s in kept_plan.steps] == ["logs/api"]
    purged = plan()
    assert [s.key for s, _ in set_aside_kept(purged, {"--purge-gadgets", "--keep-logs"})] == [
        "logs/api"
    ]
    assert [s.key for s in purged.steps] == ["gadget/a"]


def test_down_keeps_only_the_artifacts_bucket_and_logs_on_request() -> None:
    def plan() -> Plan:
        found = [
            Observed("s3.bucket", "bucket/artifacts", "data", "data", {}),
            Observed("s3.bucket", "bucket/lb-logs", "logs", "logs", {}),
            Observed("logs.log_group", "logs/api", "/x/api", "/x/api", {}),
            Observed("ec2.vpc", "vpc", "vpc-1", "vpc", {}),
        ]
        return Plan([Step(Action.DELETE, o.kind, o.key, o.name, "x", have=o) for o in found])

    default = plan()
    assert [s.key for s, _ in set_aside_kept(default, ())] == ["bucket/artifacts"]
    assert [s.key for s in default.steps] == ["bucket/lb-logs", "logs/api", "vpc"]
    both = plan()
    assert [s.key for s, _ in set_aside_kept(both, {"--keep-logs"})] == [
        "bucket/artifacts",
        "logs/api",
    ]
    purged = plan()
    assert set_aside_kept(purged, {"--purge-data"}) == []
    assert len(purged.steps) == 4


def test_what_exists_is_costed_through_each_kinds_bill() -> None:
    """The meters each kind bills, summed, are what ``estimate_observed`` prices."""

    def o(kind: str, key: str, props: dict[str, Any], **attrs: Any) -> Observed:
        return Observed(kind, key, key, key.split("/")[-1], props, attrs=attrs)

    found = [
        o("ec2.vpc", "vpc", {}),
        o("ec2.nat_gateway", "nat/0", {}),
        o("ec2.elastic_ip", "eip/nat-0", {}),
        o("elbv2.load_balancer", "lb", {"scheme": "internet-facing", "subnets": ["a", "b"]}),
        o("ec2.vpc_endpoint", "endpoint/logs", {"type": "Interface", "subnets": ["a", "b"]}),
        o("ec2.vpc_endpoint", "endpoint/s3", {"type": "Gateway"}),
        o("wafv2.web_acl", "waf", {"managed": ["one", "two", "three"]}),
        o("cloudwatch.alarm", "alarm/a", {"Metrics": [{"MetricStat": {}}, {"MetricStat": {}}]}),
        o("cloudwatch.alarm", "alarm/b", {}),
        o("cloudwatch.dashboard", "dashboard", {}),
        o("ecs.task_definition", "taskdef/api", {"cpu": "512", "memory": "1024"}),
        o("ecs.service", "service/api", {"desired_count": 2, "public_ip": True}, desired=3),
        o("ecs.service", "service/ui", {"desired_count": 1}),  # no task definition seen
    ]
    observed = {x.key: x for x in found}
    vpc = registry.kind_class("ec2.vpc")
    assert vpc is not None and vpc.bills(observed["vpc"], observed) == []  # free: no bill
    expected = estimate_observed(
        {
            "ec2.nat_gateway": 1,
            "ec2.elastic_ip": 1,
            "elbv2.load_balancer": 1,
            "ec2.public_ipv4": 2 + 3,  # the balancer in two subnets, three public tasks
            "ec2.vpc_endpoint": 2,
            "wafv2.web_acl": 1,
            "wafv2.rule": 4,
            "cloudwatch.alarm_metric": 3,
            "cloudwatch.dashboard": 1,
        },
        [(512, 1024, 3)],
        "us-west-2",
    )
    assert estimate_now(observed, "us-west-2") == expected
    ipv4 = next(x for x in expected.lines if x.item.startswith("Public IPv4"))
    assert ipv4.monthly == pytest.approx(5 * PRICES["us-west-2"].ipv4_hour * HOURS_PER_MONTH)


def test_a_service_bills_its_tasks_at_its_task_definitions_size() -> None:
    service = registry.kind_class("ecs.service")
    assert service is not None
    task = Observed("ecs.task_definition", "taskdef/api", "t", "api", {"cpu": 256, "memory": 512})
    have = Observed("ecs.service", "service/api", "s", "api", {"desired_count": 2})
    assert service.bills(have, {"taskdef/api": task}) == [Tasks(256, 512, 2)]


def test_the_ordering_is_the_kinds_ranks_and_what_settles() -> None:
    ordering = registry.ordering()
    assert ordering == Ordering.of(registry.KINDS)
    assert ordering.rank["ecs.service"] > ordering.rank["ecs.cluster"]
    assert ordering.settles == frozenset({"elbv2.load_balancer", "acm.certificate"})
    lb = Observed("elbv2.load_balancer", "lb", "arn", "lb", {})
    vpc = Observed("ec2.vpc", "vpc", "vpc-1", "vpc", {})
    plan = Plan([Step(Action.DELETE, o.kind, o.key, o.name, "x", have=o) for o in (vpc, lb)])
    graph = build_graph(plan, ordering)
    assert graph["delete:vpc:vpc-1"][2] == {"delete:lb:arn"}  # what sits on it goes first


def _string_constants(path: Path) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


@pytest.mark.parametrize(
    "module",
    [
        "output/plan_details.py",
        "output/plan_view.py",
        "output/cost_view.py",
        "plan/cost.py",
        "plan/planner.py",
        "cli/commands/down.py",
        "reconcile/executor.py",
    ],
)
def test_no_tables_of_kind_names_left(module: str) -> None:
    kinds = {cls.kind for cls in registry.KINDS}
    assert _string_constants(SRC / module) & kinds == set()
