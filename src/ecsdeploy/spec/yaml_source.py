"""Reads YAML into plain Python data while remembering the line of every key.

PyYAML's safe loader loses positions and silently keeps the last of duplicate keys, so
this module walks the composed node tree itself: it records ``path -> line`` for every
key and value, rejects duplicate keys, and bounds the work an alias-heavy file can cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ecsdeploy.spec.errors import Problem

MAX_BYTES = 1_000_000  # a spec is a page of YAML; anything this large is a mistake
MAX_NODES = 20_000  # bounds "billion laughs" alias expansion

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """``("services", "api", "permissions", 0)`` -> ``services.api.permissions[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass
class Source:
    """Parsed YAML data plus the line (1-based) of each key path.

    A spec merged from several files (``extends``) keeps, in ``files``, the file that set
    each path; paths missing there were set in ``file``.
    """

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    files: dict[Path, str] = field(default_factory=dict)
    overrides: dict[Path, str] = field(default_factory=dict)  # path -> its `--set K=V`

    def where(self, path: Path) -> tuple[str, int | None]:
        """File and line of ``path``, or of its nearest ancestor that has a line; for a
        path set (or under one set) on the command line, that ``--set``."""
        for end in range(len(path), 0, -1):
            given = self.overrides.get(tuple(path[:end]))
            if given is not None:
                return f"--set {given}", None
        for end in range(len(path), -1, -1):
            key = tuple(path[:end])
            line = self.lines.get(key)
            if line is not None:
                return self.file_of(key), line
        return self.file, None

    def file_of(self, path: Path) -> str:
        """The file that set ``path`` exactly."""
        return self.files.get(path, self.file)


class _Walker:
    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        self.visited = 0
        self.active: set[int] = set()  # ids of the collection nodes being walked

    def _fail(self, node: yaml.Node, path: Path, message: str, line: int | None = None) -> None:
        self.problems.append(
            Problem(
                path=dotted(path),
                message=message,
                file=self.file,
                line=line or node.start_mark.line + 1,
            )
        )

    def walk(self, node: yaml.Node, path: Path) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _TooBig
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if id(node) in self.active:
                # reported on the key holding the alias: alias nodes keep no position
                self._fail(
                    node,
                    path,
                    "an alias refers to a mapping or list that contains it",
                    self.lines.get(path),
                )
                return None
            self.active.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
            finally:
                self.active.discard(id(node))
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            self._fail(
                node,
                path,
                f"'{node.value}' cannot be read as a {kind} ({exc}); "
                "quote it if it is meant as text",
            )
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merges: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append((key_node, value_node))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self._fail(key_node, path, "a key must be a plain name, not a list or mapping")
                continue
            key = str(key_node.value)  # the key as written: `on:` stays "on", not True
            line = key_node.start_mark.line + 1
            if key in seen:
                self._fail(
                    key_node,
                    (*path, key),
                    f"duplicate key (first set on line {seen[key]}); keep only one",
                )
                continue
            seen[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.walk(value_node, (*path, key))
        # `<<: *base` (or a list of aliases) fills in keys not set here, wherever it stands
        for key_node, value_node in merges:
            items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for item in items:
                if not isinstance(item, yaml.MappingNode):
                    self._fail(item, path, "`<<:` merges a mapping; give an alias such as *base")
                    continue
                if id(item) in self.active:
                    self._fail(key_node, path, "`<<:` merges a mapping that contains it")
                    continue
                own_lines, self.lines = self.lines, {}
                try:
                    merged = self.walk(item, path)
                finally:
                    merged_lines, self.lines = self.lines, own_lines
                for k, v in (merged or {}).items():
                    if k in out:
                        continue
                    out[k] = v
                    for sub, line in merged_lines.items():
                        if sub[: len(path) + 1] == (*path, k):
                            self.lines.setdefault(sub, line)
        return out


class _TooBig(Exception):
    pass


def read_yaml(raw: bytes, file: str) -> tuple[Source | None, list[Problem]]:
    """Parse ``raw`` as one YAML mapping; return the source or the problems found."""

    def problem(message: str, line: int | None = None) -> tuple[None, list[Problem]]:
        return None, [Problem(path="", message=message, file=file, line=line)]

    if len(raw) > MAX_BYTES:
        return problem(f"file is {len(raw):,} bytes; a spec must be under {MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return problem(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            line,
        )
    if "\x00" in text:
        return problem("file contains NUL bytes; is it a binary file? A spec is YAML text")
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        return problem("file is empty; a spec needs at least `app:` and `services:`")
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        return problem(
            f"character U+{int(exc.character):04X} is not allowed in YAML; remove it", line
        )
    try:
        node = loader.get_single_node()
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            return problem("file holds no YAML document; a spec needs `app:` and `services:`")
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            return problem(
                f"the top level is {kind}; a spec is a mapping of keys such as `app:`",
                node.start_mark.line + 1,
            )
        walker = _Walker(loader, file)
        data = walker.walk(node, ())
    except RecursionError:
        return problem("the YAML is nested too deeply; a spec is a few levels of keys")
    except _TooBig:
        return problem(
            f"the file expands to more than {MAX_NODES:,} YAML nodes (anchors and aliases?); "
            "write the values out"
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line = mark.line + 1 if mark else None
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        if "'\\t'" in what:
            what += "; indent with spaces, not tabs"
        elif "<block" in what:
            what += "; check the indentation of this line and the one above"
        return problem(f"YAML syntax error: {what}", mark_line)
    except yaml.YAMLError as exc:
        return problem(f"YAML error: {exc}")
    finally:
        loader.dispose()
    if walker.problems:
        return None, walker.problems
    return Source(file=file, data=data, lines=walker.lines), []
