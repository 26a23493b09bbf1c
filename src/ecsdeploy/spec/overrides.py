"""One-off overrides of spec keys from the command line: ``--set services.api.image=...``.

Each ``KEY=VALUE`` sets one scalar key by its dotted path (mappings on the way are made
when missing; a list item is named by its index). The value is read as a YAML scalar, as
the same text in the file would be (``512`` a number, ``true`` a flag, ``repo:tag`` text),
and the spec is then validated as a whole, so an override is checked like the file; a
problem at an overridden key names the ``--set`` it came from.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import yaml

from ecsdeploy.spec.errors import Problem, UsageError
from ecsdeploy.spec.yaml_source import Path, Source


def parse(text: str) -> tuple[Path, Any]:
    """``a.b.c=value`` -> (("a", "b", "c"), the YAML scalar ``value``); ValueError if not."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise ValueError(f"{text!r}: expected KEY=VALUE, e.g. services.api.image=repo:v2")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw  # e.g. "a: b: c": the text itself
    if isinstance(value, dict | list):
        raise ValueError(
            f"{text!r}: the value must be a single value, not a YAML {type(value).__name__}"
        )
    path = tuple(int(p) if p.isdigit() else p for p in parts)
    return path, value


def apply(source: Source, sets: Sequence[str]) -> Source:
    """``source`` with each ``KEY=VALUE`` of ``sets`` set; UsageError for one that is not
    KEY=VALUE or does not lead to a scalar key."""
    if not sets:
        return source
    data = copy.deepcopy(source.data)
    overridden: dict[Path, str] = dict(source.overrides)
    problems = []
    for text in sets:
        try:
            path, value = parse(text)
            _set(data, path, value)
        except ValueError as exc:
            problems.append(Problem("", str(exc), file="--set"))
            continue
        overridden[path] = text
    if problems:
        raise UsageError(problems)
    return replace(source, data=data, overrides=overridden)


def _set(data: Any, path: Path, value: Any) -> None:
    shown = ".".join(str(p) for p in path)
    if not isinstance(data, dict):
        raise ValueError(f"{shown}: the spec is not a mapping")
    node: Any = data
    for i, part in enumerate(path[:-1]):
        here = ".".join(str(p) for p in path[: i + 1])
        if isinstance(node, dict):
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            raise ValueError(f"{shown}: {here} is not in the spec")
        if not isinstance(node, dict | list):
            raise ValueError(f"{shown}: {here} is a single value, not a mapping")
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or last >= len(node):
            raise ValueError(f"{shown}: no item {last} in that list")
        current = node[last]
    else:
        current = node.get(last)
    if isinstance(current, dict | list):
        kind = "mapping" if isinstance(current, dict) else "list"
        raise ValueError(f"{shown}: that key holds a {kind}; set one of its keys")
    node[last] = value
