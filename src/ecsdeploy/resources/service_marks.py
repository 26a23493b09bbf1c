"""What `restart` and `scale` leave on an ECS service so that the next `plan` and `up` can
say so: a tag on the service, read with it (DescribeServices ``include=["TAGS"]``, which
the observe makes anyway), so no other call and no other store is needed.

``ecsdeploy:scaled`` holds ``desired=3 was=1 at=2026-12-07T10:00:00Z by=alice`` (or
``min=2 max=6 was=1-4 ...`` for the autoscaling range); ``ecsdeploy:restarted`` holds
``at=... by=...``. ECS tag values allow letters, digits, spaces and ``+ - = . _ : / @``
(at most 256 characters): the value is words of ``name=value``, no JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

TAG_SCALED = "ecsdeploy:scaled"
TAG_RESTARTED = "ecsdeploy:restarted"
MAX_VALUE = 256
_UNSAFE = re.compile(r"[^A-Za-z0-9+\-=._:/@]")  # and no space: words are split on it


@dataclass(frozen=True)
class Mark:
    """One operation made on a service outside the spec."""

    at: str  # ISO 8601 UTC
    by: str = ""
    desired: int | None = None
    min: int | None = None
    max: int | None = None
    was: str = ""  # the count ("1") or range ("1-4") before

    def encode(self) -> str:
        words = {"desired": self.desired, "min": self.min, "max": self.max, "was": self.was}
        parts = [f"{k}={v}" for k, v in words.items() if v not in (None, "")]
        parts += [f"at={self.at}", f"by={_UNSAFE.sub('_', self.by)}" if self.by else ""]
        return " ".join(p for p in parts if p)[:MAX_VALUE]

    @classmethod
    def decode(cls, text: str) -> Mark | None:
        words = dict(w.split("=", 1) for w in text.split() if "=" in w)
        if "at" not in words:
            return None
        try:
            return cls(
                at=words["at"],
                by=words.get("by", ""),
                desired=int(words["desired"]) if "desired" in words else None,
                min=int(words["min"]) if "min" in words else None,
                max=int(words["max"]) if "max" in words else None,
                was=words.get("was", ""),
            )
        except ValueError:
            return None


def mark_of(tags: Mapping[str, str], tag: str) -> Mark | None:
    value = tags.get(tag)
    return Mark.decode(value) if value else None


def who(arn: str) -> str:
    """The short name of a caller's STS ARN (``assumed-role/deployer/alice`` -> ``alice``)."""
    return arn.rsplit("/", 1)[-1] or arn
