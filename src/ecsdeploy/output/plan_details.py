"""What a planned step is, in a few words, for people new to AWS: looked up on its kind.

Every kind declares its ``label`` ("NAT gateway"), its ``delete_note`` (what a delete
takes with it) and what ``describe`` says of a create (``resources.describe``); a kind
ecsdeploy does not know shows its name and nothing more.
"""

from __future__ import annotations

from ecsdeploy.resources import registry
from ecsdeploy.resources.base import Props
from ecsdeploy.resources.describe import Line, Names


def label(kind: str) -> str:
    cls = registry.kind_class(kind)
    return cls.label if cls is not None else kind


def delete_note(kind: str) -> str:
    cls = registry.kind_class(kind)
    return cls.delete_note if cls is not None else ""


def attributes(kind: str, props: Props, names: Names) -> list[Line]:
    """The main attributes a create of ``kind`` sets; [] for kinds with nothing to add."""
    cls = registry.kind_class(kind)
    return cls.describe(props, names) if cls is not None else []
