"""Domain errors that AWS ClientErrors are mapped to at the seam.

Resource modules catch these instead of matching error-code strings, so the AWS quirks
(which code means "not found" for which service) live in one table.
"""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """An AWS call failed; ``code`` and ``operation`` say which and how."""

    def __init__(self, message: str, code: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.operation = operation

    def __str__(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        code = f"{self.code}: " if self.code else ""
        return f"{where}{code}{self.message}"


class NotFound(AwsError):
    """The resource does not exist (or no longer does)."""


class AlreadyExists(AwsError):
    """A resource with that name already exists."""


class DependencyViolation(AwsError):
    """Something still uses the resource (e.g. network interfaces that linger)."""


class AccessDenied(AwsError):
    """The credentials may not do this."""


class Throttled(AwsError):
    """AWS rate-limited the call beyond botocore's retries."""


class InvalidRequest(AwsError):
    """AWS rejected the request as invalid; retrying will not help."""


class CredentialsMissing(AwsError):
    """No AWS credentials were found."""


_NOT_FOUND_SUFFIXES = (".NotFound", "NotFound", "NotFoundException", ".Malformed")
_EXACT: dict[str, type[AwsError]] = {
    "NoSuchEntity": NotFound,
    "ResourceNotFoundException": NotFound,
    "ServiceNotFoundException": NotFound,
    "ClusterNotFoundException": NotFound,
    "LoadBalancerNotFound": NotFound,
    "TargetGroupNotFound": NotFound,
    "ListenerNotFound": NotFound,
    "RuleNotFound": NotFound,
    "ParameterNotFound": NotFound,
    "EntityAlreadyExists": AlreadyExists,
    "ResourceAlreadyExistsException": AlreadyExists,
    "InvalidGroup.Duplicate": AlreadyExists,
    "DuplicateLoadBalancerName": AlreadyExists,
    "DuplicateTargetGroupName": AlreadyExists,
    "ParameterAlreadyExists": AlreadyExists,
    "RouteAlreadyExists": AlreadyExists,
    "InvalidPermission.Duplicate": AlreadyExists,
    "Resource.AlreadyAssociated": AlreadyExists,
    "WAFNonexistentItemException": NotFound,
    "WAFDuplicateItemException": AlreadyExists,
    # a web ACL still associated with a resource (AWS clears associations in a moment)
    "WAFAssociatedItemException": DependencyViolation,
    "DependencyViolation": DependencyViolation,
    "DeleteConflict": DependencyViolation,
    "ResourceInUse": DependencyViolation,
    "ResourceInUseException": DependencyViolation,
    "InvalidIPAddress.InUse": DependencyViolation,
    "ClusterContainsServicesException": DependencyViolation,
    "ClusterContainsTasksException": DependencyViolation,
    "AuthFailure": AccessDenied,
    "AccessDenied": AccessDenied,
    "AccessDeniedException": AccessDenied,
    "UnauthorizedOperation": AccessDenied,
    "UnrecognizedClientException": AccessDenied,
    "InvalidClientTokenId": AccessDenied,
    "ExpiredToken": AccessDenied,
    "Throttling": Throttled,
    "ThrottlingException": Throttled,
    "RequestLimitExceeded": Throttled,
    "TooManyRequestsException": Throttled,
}


def classify(code: str) -> type[AwsError]:
    if code in _EXACT:
        return _EXACT[code]
    if code.endswith(_NOT_FOUND_SUFFIXES) or code.startswith("NoSuch"):
        return NotFound
    if code.endswith(".Duplicate") or code.endswith("AlreadyExists"):
        return AlreadyExists
    return InvalidRequest


# "Not found" answered as a validation error: AWS's Application Auto Scaling says
# ObjectNotFoundException, moto says ValidationException with this message.
_NOT_FOUND_MESSAGES = ("No scalable target found", "No scaling policy found")


def translate(exc: Any, operation: str) -> AwsError:
    """Map a botocore ClientError to a domain error, keeping AWS's message."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "") or exc)
    kind = classify(code)
    if code == "ValidationException" and message.startswith(_NOT_FOUND_MESSAGES):
        kind = NotFound
    return kind(message, code=code, operation=operation)
