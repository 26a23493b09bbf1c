"""The ACM certificate of ``load_balancer.domain``: requested for the domain, its aliases
and the route hosts, validated by DNS, tagged at request, with an idempotency token.

The key is made of the names (``keys.certificate``): other names make another
certificate, created, validated and put on the listener before the old one is deleted
(a delete of what is no longer wanted runs last). ACM cannot change a certificate's
names, so this is also how a name is added.

Validation is a settling step: the create returns once ACM has published the CNAME each
name is validated by (a few seconds after RequestCertificate, AWS documents that
``ResourceRecord`` may be missing at first); ``wait_ready`` then waits, bounded by
``Timing.certificate_issued``, for ``ISSUED`` while the validation records are written
beside it. Only the HTTPS listener waits for it. The spec wants it ``ISSUED`` (its
``status`` prop): one a run left pending is waited for again by the next (an update). A
validation that never completes names the records to check and the usual cause: the
hosted zone is not the one the domain's registrar delegates to.
(https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html,
https://docs.aws.amazon.com/acm/latest/userguide/troubleshooting-DNS-validation.html)

Found by listing the region's certificates and reading their tags. It is read only when
the spec asks for a domain or the applied record holds a certificate (an app without a
domain makes no ACM call). AWS refuses to delete a certificate a listener still uses
(``ResourceInUseException``), also for a while after the listener let go of it: the
delete is retried like any ``DependencyViolation``, bounded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ecsdeploy.aws.clients import Client
from ecsdeploy.aws.errors import AwsError, NotFound
from ecsdeploy.resources.base import Change, Desired, Handler, Observed, Props, owned_key
from ecsdeploy.resources.describe import Line, Names
from ecsdeploy.resources.reads import read_each
from ecsdeploy.resources.waiting import WaitTimeout, wait_for
from ecsdeploy.spec.naming import dict_to_tags, tags_to_dict

KEY_PREFIX = "cert/"
# statuses from which a certificate never becomes ISSUED
DEAD = frozenset({"FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "INACTIVE", "EXPIRED"})


def names_digest(names: Sequence[str]) -> str:
    """The digest of a set of names, for ``keys.certificate``."""
    return hashlib.sha256(",".join(sorted(set(names))).encode()).hexdigest()[:12]


def validation_attr(part: str, domain: str) -> str:
    """The attr holding the ``part`` ("name" or "value") of ``domain``'s validation CNAME."""
    return f"validation_{part}:{domain}"


class CertificateFailed(AwsError):
    """ACM gave up validating a certificate (FAILED, VALIDATION_TIMED_OUT, ...)."""


@dataclass(frozen=True, kw_only=True)
class CertificateProps(Props):
    domain: str  # the certificate's main name
    names: frozenset[str]  # every name on it, the domain included
    status: str  # ISSUED: what the apply waits for


class CertificateHandler(Handler[CertificateProps]):
    kind: ClassVar[str] = "acm.certificate"
    props_class: ClassVar[type[Props]] = CertificateProps
    label: ClassVar[str] = "certificate"
    delete_note: ClassVar[str] = "HTTPS with it ends"
    layer: ClassVar[str] = "load_balancer"
    rank: ClassVar[int] = 4  # deleted after the listener (6) and the DNS records (8)
    services: ClassVar[tuple[str, ...]] = ("acm",)
    replace_on: ClassVar[frozenset[str]] = frozenset({"domain", "names"})
    settles: ClassVar[bool] = True
    slow: ClassVar[float] = 120.0

    @classmethod
    def describe(cls, props: CertificateProps, names: Names) -> list[Line]:
        return [
            ("names", ", ".join(sorted(props.names))),
            ("validated by", "DNS (CNAME records in Route 53)"),
        ]

    # --- reading -----------------------------------------------------------------------
    def observe(self, wants: Sequence[Desired]) -> list[Observed]:
        if not wants and not any(k.startswith(KEY_PREFIX) for k in self.ctx.recorded):
            return []
        acm = self.client("acm")
        listed = acm.pages("ListCertificates", "CertificateSummaryList")
        arns = [c["CertificateArn"] for c in listed]
        tags = read_each(lambda arn: self._tags(acm, arn), arns)
        ours = [
            (key, arn, t)
            for arn, t in zip(arns, tags, strict=True)
            if (key := owned_key(self.ctx.owner, t)) is not None
        ]
        found = read_each(lambda item: self._describe(acm, *item), ours)
        return [o for o in found if o is not None]

    @staticmethod
    def _tags(acm: Client, arn: str) -> dict[str, str]:
        try:
            return tags_to_dict(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
        except NotFound:
            return {}  # deleted since it was listed

    def _describe(self, acm: Client, key: str, arn: str, tags: dict[str, str]) -> Observed | None:
        try:
            cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        except NotFound:
            return None
        return self._observed(key, cert, tags)

    def _observed(self, key: str, cert: Mapping[str, Any], tags: dict[str, str]) -> Observed:
        arn = str(cert["CertificateArn"])
        domain = str(cert.get("DomainName", ""))
        attrs: dict[str, Any] = {"arn": arn, "status": cert.get("Status", "")}
        for option in cert.get("DomainValidationOptions") or []:
            record = option.get("ResourceRecord") or {}
            if record:
                attrs[validation_attr("name", option["DomainName"])] = _bare(record["Name"])
                attrs[validation_attr("value", option["DomainName"])] = _bare(record["Value"])
        return Observed(
            kind=self.kind,
            key=key,
            id=arn,
            name=domain,
            props={
                "domain": domain,
                "names": frozenset({domain, *(cert.get("SubjectAlternativeNames") or [])}),
                "status": cert.get("Status", ""),
            },
            attrs=attrs,
            tags=tags,
            state=str(cert.get("Status", "")),
        )

    # --- acting ------------------------------------------------------------------------
    def create(self, want: Desired, props: CertificateProps) -> Observed:
        tags = self.tags(want)
        acm = self.client("acm")
        names = sorted(props.names)
        # the same token within an hour returns the same certificate: a retried or
        # re-run request after a lost answer makes no second one
        token = hashlib.sha256(f"{self.ctx.owner.prefix}/{want.key}".encode()).hexdigest()[:32]

        def request(token: str) -> str:
            return str(
                acm.request_certificate(
                    DomainName=props.domain,
                    SubjectAlternativeNames=names,
                    ValidationMethod="DNS",
                    IdempotencyToken=token,
                    Tags=dict_to_tags(tags),
                )["CertificateArn"]
            )

        arn = request(token)
        try:
            acm.describe_certificate(CertificateArn=arn)
        except NotFound:
            # the token named a certificate deleted since (`down` then `up` within the
            # hour ACM remembers a token): a request of its own, as idempotent. (moto
            # fails with an internal error there instead, so this is not tested on it.)
            arn = request(hashlib.sha256(f"{token}/{arn}".encode()).hexdigest()[:32])

        def published() -> dict[str, Any] | None:
            cert: dict[str, Any] = acm.describe_certificate(CertificateArn=arn)["Certificate"]
            options = cert.get("DomainValidationOptions") or []
            ready = len(options) >= len(names) and all(o.get("ResourceRecord") for o in options)
            return cert if ready else None

        cert = wait_for(
            self.ctx,
            f"ACM to publish the validation records of {props.domain}",
            published,
            self.ctx.timing.resource_ready,
        )
        return self._observed(want.key, cert, tags)

    def wait_ready(self, have: Observed) -> Observed:
        acm = self.client("acm")
        records = sorted(
            f"{v} CNAME {have.attrs.get(validation_attr('value', k.split(':', 1)[1]), '?')}"
            for k, v in have.attrs.items()
            if k.startswith("validation_name:")
        )

        def issued() -> dict[str, Any] | None:
            cert: dict[str, Any] = acm.describe_certificate(CertificateArn=have.id)["Certificate"]
            status = cert.get("Status")
            if status == "ISSUED":
                return cert
            if status in DEAD:
                reason = cert.get("FailureReason") or "no reason given"
                raise CertificateFailed(
                    f"the certificate of {have.name} is {status} ({reason}); check the "
                    f"validation records ({'; '.join(records)}) and run `up` again for a "
                    "new certificate after deleting this one in ACM",
                    code=str(status),
                    operation="DescribeCertificate",
                )
            return None

        timeout = self.ctx.timing.certificate_issued
        try:
            cert = wait_for(
                self.ctx,
                f"ACM to validate the certificate of {have.name} by DNS",
                issued,
                timeout,
            )
        except WaitTimeout as exc:
            raise WaitTimeout(
                f"{exc}: the certificate is still PENDING_VALIDATION. ACM looks these up in "
                f"public DNS: {'; '.join(records) or '(no records)'}. Check that they "
                "resolve (dig CNAME NAME); if they do not, the hosted zone they were "
                "written to is likely not the one the domain's registrar delegates to "
                "(compare its NS records with the registrar's). `up` again continues the "
                "wait."
            ) from exc
        return self._observed(have.key, cert, have.tags)

    def update(
        self, want: Desired, props: CertificateProps, have: Observed, changes: list[Change]
    ) -> Observed:
        # only "status" changes in place: a certificate left pending by an earlier run (its
        # wait gave up) is waited for again, and what uses it goes on once it is ISSUED
        return self.wait_ready(have)

    def delete(self, have: Observed) -> None:
        self.client("acm").delete_certificate(CertificateArn=have.id)


def _bare(name: str) -> str:
    """A DNS name without its final dot, in lower case."""
    return name.rstrip(".").lower()
