"""spec -> the IAM layer: the tasks' execution role, Express Mode's infrastructure role,
and a task role per service with exactly the permissions the spec grants it. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from ecsdeploy.aws.regions import partition
from ecsdeploy.desired.env import artifacts_used
from ecsdeploy.desired.hardening import exec_policy
from ecsdeploy.images.artifacts import ArtifactRef
from ecsdeploy.resources import keys
from ecsdeploy.resources.base import Desired
from ecsdeploy.resources.iam_role import RoleProps, canonical, trust_policy
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.naming import Owner

EXECUTION_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy"
INFRASTRUCTURE_POLICY = "service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"


def managed_policy(region: str, name: str) -> str:
    """The ARN of AWS's managed policy ``name`` in the region's partition (aws, aws-cn,
    aws-us-gov: an ``arn:aws:`` ARN does not exist in China or GovCloud)."""
    return f"arn:{partition(region)}:iam::aws:policy/{name}"


def iam_roles(spec: Spec, owner: Owner, artifacts: Mapping[str, ArtifactRef]) -> list[Desired]:
    """The execution role, the infrastructure role (with Express services), task roles."""
    path = owner.iam_path()
    tasks = trust_policy("ecs-tasks.amazonaws.com")
    secret_arns = sorted({arn for svc in spec.services.values() for arn in svc.secrets.values()})
    secret_arns = sorted(
        {*secret_arns, *(a for j in spec.jobs.values() for a in j.secrets.values())}
    )
    inline: dict[str, str] = {}
    if secret_arns:
        inline["read-secrets"] = canonical(_secrets_policy(secret_arns))
    out = [
        Desired(
            "iam.role",
            keys.EXECUTION_ROLE,
            owner.role_name("execution"),
            RoleProps(
                path=path,
                trust=tasks,
                managed=frozenset({managed_policy(spec.region, EXECUTION_POLICY)}),
                inline=inline,
            ),
        )
    ]
    if any(svc.mode == "express" for svc in spec.services.values()):
        out.append(
            Desired(
                "iam.role",
                keys.INFRASTRUCTURE_ROLE,
                owner.role_name("infrastructure"),
                RoleProps(
                    path=path,
                    trust=trust_policy("ecs.amazonaws.com"),
                    managed=frozenset({managed_policy(spec.region, INFRASTRUCTURE_POLICY)}),
                    inline={},
                ),
            )
        )
    for name, svc in spec.services.items():
        policy: dict[str, str] = {}
        if svc.permissions:
            policy["permissions"] = canonical(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": p.effect, "Action": list(p.actions), "Resource": p.resources}
                        for p in svc.permissions
                    ],
                }
            )
        if svc.exec:
            policy["exec"] = exec_policy()
        used = sorted(artifacts_used(svc, artifacts))
        if used:  # read access to exactly the artifacts its env names, every version
            policy["artifacts"] = canonical(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject"],
                            "Resource": [
                                f"arn:{partition(spec.region)}:s3:::"
                                f"{artifacts[a].bucket}/{artifacts[a].prefix}/*"
                                for a in used
                            ],
                        }
                    ],
                }
            )
        out.append(
            Desired(
                "iam.role",
                keys.task_role(name),
                owner.role_name(name, "task"),
                RoleProps(path=path, trust=tasks, managed=frozenset(), inline=policy),
            )
        )
    return out


def _secrets_policy(arns: list[str]) -> dict[str, object]:
    statements: list[dict[str, object]] = []
    ssm = [a for a in arns if ":ssm:" in a]
    sm = [a for a in arns if ":secretsmanager:" in a]
    if ssm:
        statements.append({"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": ssm})
    if sm:
        # ``valueFrom`` may add ":json-key::" to a secret ARN; the grant is on the secret.
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": sorted({_secret_base(a) for a in sm}),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _secret_base(arn: str) -> str:
    parts = arn.split(":")
    return ":".join(parts[:7])
