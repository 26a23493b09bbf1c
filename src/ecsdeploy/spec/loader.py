"""Loads a spec file: YAML with line numbers -> pydantic models -> cross-field checks.

All problems are collected and reported together, each as ``file:line: key.path: message``,
sorted by file and line; nothing here touches AWS. A spec that ``extends`` another is merged
first (``spec.extends``) and validated as a whole.
"""

from __future__ import annotations

import copy
import difflib
import os
import types
import typing
from collections.abc import Sequence
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ecsdeploy.spec import checks, overrides
from ecsdeploy.spec.errors import Problem, SpecError
from ecsdeploy.spec.extends import load_source, resolve
from ecsdeploy.spec.interpolate import interpolate
from ecsdeploy.spec.models import Spec
from ecsdeploy.spec.yaml_source import Path, Source, dotted, read_yaml


def load_spec(path: str | FsPath, sets: Sequence[str] = ()) -> Spec:
    """Read and validate the spec at ``path`` (merged onto any file it ``extends``, with
    the ``KEY=VALUE`` overrides of ``sets``, see ``spec.overrides``); raise SpecError
    listing every problem."""
    return _validate(overrides.apply(load_source(FsPath(path), str(path)), sets))


def parse_spec(raw: bytes | str, file: str = "<spec>") -> Spec:
    """Validate spec text; ``file`` is used in messages, and its directory is where an
    ``extends`` path is read from."""
    data = raw.encode() if isinstance(raw, str) else raw
    source, problems = read_yaml(data, file)
    if source is None:
        raise SpecError(problems)
    return _validate(resolve(source, FsPath(file).parent))


MAX_PASSES = 5  # of model validation, each without the keys the one before refused


def _validate(source: Source) -> Spec:
    """Every problem in one pass over the spec: ``${env.X}`` first, then the models; keys
    the models refuse are set aside (the rest validated again, at most ``MAX_PASSES``
    times) so that the cross-field checks still run on all else."""
    data, unset = interpolate(source.data, os.environ)
    found = [_problem(source, path, message) for path, message in unset]
    scopes: list[Path] = [path for path, _ in unset]  # where checks may be misled
    spec: Spec | None = None
    for _ in range(MAX_PASSES):
        try:
            spec = Spec.model_validate(data)
            break
        except ValidationError as exc:
            found += _pydantic_problems(exc, source)
            refused = _refused(exc, source)
            if any(not key for key, _ in refused):
                break  # the root itself is wrong (e.g. a list): nothing to set aside
            scopes += [scope for _, scope in refused]
            data = _without(data, [key for key, _ in refused])
    if spec is not None:
        found += [
            _problem(source, path, message)
            for path, message in checks.check(spec)
            if not any(_within(path, scope) for scope in scopes)
        ]
    if found or spec is None:
        raise SpecError(_sorted(found))
    return spec


def _refused(exc: ValidationError, source: Source) -> list[tuple[Path, Path]]:
    """(the mapping key to set aside, the scope whose checks it may mislead) of each
    problem: a refused value goes, and its siblings take defaults in its place (scope: its
    parent); a block missing a required key goes whole (scope: the block). A list item
    takes its whole list, so that later passes report the same indexes."""
    out = []
    for err in exc.errors(include_url=False):
        path = _data_path(err["loc"], source.data)
        key = path[:-1] if err["type"] == "missing" else path
        while key and isinstance(key[-1], int):
            key = key[:-1]
        out.append((key, key if err["type"] == "missing" else key[:-1]))
    return out


def _without(data: Any, paths: list[Path]) -> Any:
    """A copy of ``data`` without the keys at ``paths``."""
    data = copy.deepcopy(data)
    for path in paths:
        parent = data
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return data


def _within(path: Path, scope: Path) -> bool:
    """``path`` is in ``scope`` or above it (a check of the whole may count what went)."""
    return path[: len(scope)] == scope or scope[: len(path)] == path


def _problem(source: Source, path: Path, message: str) -> Problem:
    file, line = source.where(path)
    return Problem(dotted(path), message, file=file, line=line)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.path))


def _pydantic_problems(exc: ValidationError, source: Source) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        path = _data_path(err["loc"], source.data)
        problems.append(_problem(source, path, _message(err, path)))
    return problems


def _data_path(loc: tuple[str | int, ...], data: Any) -> Path:
    """``loc`` without pydantic's validator tags; a key the user wrote is never a tag."""
    path: list[str | int] = []
    for part in loc:
        in_data = (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        )
        if not in_data and _is_validator_tag(part):
            continue
        data = data[part] if in_data else None
        path.append(part)
    return tuple(path)


def _is_validator_tag(part: str | int) -> bool:
    # pydantic adds e.g. "function-before[...]" to locations of fields with validators
    return isinstance(part, str) and ("[" in part and part.endswith("]"))


_TYPE_WORDS = {
    "int": "a whole number",
    "bool": "true or false",
    "str": "a text value",
    "dict": "a mapping (key: value lines)",
    "list": "a list",
    "model": "a mapping (key: value lines)",
}


def _message(err: ErrorDetails, path: Path) -> str:
    kind = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        key = str(path[-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key '{key}'; did you mean '{close[0]}'?"
        return f"unknown key '{key}'; allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return f"required key '{path[-1]}' is missing; add it"
    if kind.startswith("int_") or kind == "finite_number":
        return f"expected {_TYPE_WORDS['int']}, got {_show(got)}"
    if kind.startswith("bool_"):
        return f"expected {_TYPE_WORDS['bool']}, got {_show(got)}"
    if kind in ("string_type", "string_unicode"):
        return f"expected {_TYPE_WORDS['str']}, got {_show(got)}; quote it if it is meant as text"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected {_TYPE_WORDS['dict']}, got {_show(got)}"
    if kind == "list_type":
        return f"expected {_TYPE_WORDS['list']} (e.g. [a, b]), got {_show(got)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{_show(got)} is not allowed; choose {expected}"
    if kind == "string_pattern_mismatch" and ("env" in path or "secrets" in path):
        return (
            f"'{path[-1]}' is not an environment variable name; use letters, digits and _, "
            "not starting with a digit"
        )
    return f"{err['msg']} (got {_show(got)})"


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(path: Path) -> list[str]:
    """The keys the model at ``path`` accepts, for did-you-mean suggestions."""
    model: Any = Spec
    for part in path:
        model = _step(model, part)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _step(tp: Any, part: str | int) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(tp)
    if origin in (dict, list):
        return _unwrap(typing.get_args(tp)[-1])
    return None


def _unwrap(tp: Any) -> Any:
    """Strip Optional[...] and Annotated[...] down to the model or container type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [
                a
                for a in args
                if isinstance(_unwrap(a), type) and issubclass(_unwrap(a), BaseModel)
            ]
            tp = models[0] if models else args[0]
        else:
            return tp
