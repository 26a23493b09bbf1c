"""Cloud Map's asynchronous namespace operations, which moto answers at once.

On AWS, CreateHttpNamespace and DeleteNamespace return an operation id, and GetOperation
says SUBMITTED, then PENDING, then SUCCESS (or FAIL with an error code and message) while
Cloud Map works (https://docs.aws.amazon.com/cloud-map/latest/api/API_GetOperation.html).
``OperationLag`` sits on a botocore servicediscovery client next to moto: each operation's
first ``polls`` GetOperation calls are answered SUBMITTED, then PENDING (or its last one
FAIL with ``fail``); after that moto answers (SUCCESS). Every request is checked against
botocore's model of GetOperation and every answer against its output shape.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

from express_fake import check_output

_CTX = "cloudmap_lag_params"


@dataclass
class _Http:
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class OperationLag:
    def __init__(self, polls: int, fail: str | None = None) -> None:
        self.polls = polls
        self.fail = fail  # FAIL's ErrorMessage, answered instead of the last lagging poll
        self.asked: Counter[str] = Counter()  # GetOperation calls per operation id

    def install(self, raw_client: Any) -> OperationLag:
        events = raw_client.meta.events
        events.register("before-parameter-build.servicediscovery.GetOperation", self._check)
        events.register("before-call.servicediscovery.GetOperation", self._answer)
        return self

    def _check(self, params: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        report = ParamValidator().validate(params, model.input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        context[_CTX] = dict(params)

    def _answer(self, model: Any, context: Any, **_: Any) -> tuple[_Http, dict[str, Any]] | None:
        ident = context[_CTX]["OperationId"]
        self.asked[ident] += 1
        seen = self.asked[ident]
        if seen > self.polls:
            return None  # moto: SUCCESS
        operation: dict[str, Any] = {"Id": ident, "Status": "SUBMITTED" if seen == 1 else "PENDING"}
        if self.fail is not None and seen == self.polls:
            operation.update(
                Status="FAIL", ErrorCode="CANNOT_CREATE_HOSTED_ZONE", ErrorMessage=self.fail
            )
        body = {"Operation": operation}
        check_output(model, body)
        return _Http(), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}
