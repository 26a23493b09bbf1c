"""Spec files that build on others: ``extends: base.yaml`` plus the keys to change.

The rule, applied file by file from the root of the chain outwards:

* mappings merge key by key, to any depth;
* lists and scalars replace the base's value as a whole (a list is never appended to);
  the text shorthands of a service (``build: dir``, ``route: /x/*``, ``health_check: /h``)
  count as the block they stand for, so they merge with a base's block;
* a key set to ``null`` removes that key from what the base set (so its default applies,
  and ``services: {ui: null}`` drops a service); ``null`` on a key the base does not set
  is an error, as it would otherwise hide a typo;
* ``extends`` is a path relative to the file that holds it; chains are allowed, cycles are
  an error naming every file in the cycle;
* paths inside a base (``build``, ``build.context``, ``artifacts.*.source``) stay relative
  to the base file: they are rewritten relative to the file that extends it.

The merged result keeps, for every key, the file and line that set it, so a problem in
the merged spec points at the base when the base set the bad value and at the overlay
when the overlay did.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path as FsPath
from typing import Any

from ecsdeploy.spec.errors import Problem, SpecError, UsageError
from ecsdeploy.spec.models import SERVICE_SHORTHANDS
from ecsdeploy.spec.yaml_source import Path, Source, dotted, read_yaml

KEY = "extends"


def read_file(fs_path: FsPath, shown: str) -> bytes:
    """The bytes of a spec file, or a SpecError saying why it cannot be read."""
    try:
        return fs_path.read_bytes()
    except FileNotFoundError:
        message = "no such file; pass the path of your spec (default ./ecsdeploy.yaml)"
    except IsADirectoryError:
        message = "is a directory; pass the spec file inside it"
    except OSError as exc:
        message = f"cannot read: {exc.strerror}"
    raise UsageError([Problem("", message, file=shown)])


def load_source(fs_path: FsPath, shown: str) -> Source:
    """Read the spec at ``fs_path`` and every file it extends, merged into one Source."""
    return _parse(read_file(fs_path, shown), shown, fs_path.parent, ((fs_path.resolve(), shown),))


def resolve(source: Source, directory: FsPath) -> Source:
    """``source`` merged onto the files it extends (itself when it extends nothing);
    ``directory`` is where its ``extends`` path is relative to."""
    own = FsPath(directory, FsPath(source.file).name).resolve()
    return _resolve(source, directory, ((own, source.file),))


# the files being read, outermost first: (resolved path, path as shown in messages)
Chain = tuple[tuple[FsPath, str], ...]


def _parse(raw: bytes, shown: str, directory: FsPath, chain: Chain) -> Source:
    source, problems = read_yaml(raw, shown)
    if source is None:
        raise SpecError(problems)
    return _resolve(source, directory, chain)


def _resolve(source: Source, directory: FsPath, chain: Chain) -> Source:
    data = source.data
    if not isinstance(data, dict) or KEY not in data:
        return source
    line = source.lines.get((KEY,))

    def refuse(message: str) -> SpecError:
        return SpecError([Problem(KEY, message, file=source.file, line=line)])

    value = data[KEY]
    if not isinstance(value, str) or not value.strip():
        raise refuse(f"expected the path of a base spec file, relative to this one, got {value!r}")
    base_path = directory / value
    base_shown = os.path.normpath(FsPath(source.file).parent / value)
    resolved = base_path.resolve()
    if resolved in [path for path, _ in chain]:
        names = [name for _, name in chain] + [base_shown]
        raise refuse(
            f"extends goes round in a circle: {' -> '.join(names)}; one of these files "
            "must not extend the others"
        )
    try:
        raw = base_path.read_bytes()
    except FileNotFoundError:
        raise refuse(f"{base_shown}: no such file") from None
    except IsADirectoryError:
        raise refuse(f"{base_shown} is a directory; name the base spec file inside it") from None
    except OSError as exc:
        raise refuse(f"cannot read {base_shown}: {exc.strerror}") from None
    base = _parse(raw, base_shown, base_path.parent, (*chain, (resolved, base_shown)))
    base = _rebase_paths(base, base_path.parent, directory)
    overlay = Source(
        file=source.file,
        data={k: v for k, v in data.items() if k != KEY},
        lines={p: n for p, n in source.lines.items() if p[:1] != (KEY,)},
        files=source.files,
    )
    return merge(base, overlay)


def merge(base: Source, overlay: Source) -> Source:
    """``overlay`` on top of ``base`` by the rule above, with the file and line of each key."""
    replaced: set[Path] = set()  # paths whose base value (and everything under it) is gone
    problems: list[Problem] = []

    def combine(below: Any, above: Any, path: Path) -> Any:
        if not (isinstance(below, dict) and isinstance(above, dict)):
            replaced.add(path)
            return above
        out = dict(below)
        for key, value in above.items():
            sub = (*path, key)
            if value is None:
                if key not in below:
                    file, line = overlay.where(sub)
                    problems.append(
                        Problem(
                            dotted(sub),
                            f"null removes a key from {base.file}, which does not set "
                            "it; delete this line (or check its spelling)",
                            file=file,
                            line=line,
                        )
                    )
                    continue
                del out[key]
                replaced.add(sub)
            elif key in below:
                out[key] = combine(below[key], value, sub)
            else:
                out[key] = value
                replaced.add(sub)
        return out

    data = combine(_expanded(base.data), _expanded(overlay.data), ())
    if problems:
        raise SpecError(problems)
    lines: dict[Path, int] = {}
    files: dict[Path, str] = {}
    for path, line in base.lines.items():
        if not any(path[:end] in replaced for end in range(1, len(path) + 1)):
            lines[path] = line
            files[path] = base.file_of(path)
    for path, line in overlay.lines.items():
        # keys the overlay names (even mappings merged with the base's) point at the overlay;
        # a removed key keeps its `null` line, so "required key missing" points there
        lines[path] = line
        files[path] = overlay.file_of(path)
    return Source(file=overlay.file, data=data, lines=lines, files=files)


def _expanded(data: Any) -> Any:
    """``data`` with each service's text shorthands written as the blocks they stand for."""
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return data
    out = dict(services)
    for name, service in services.items():
        if isinstance(service, dict):
            out[name] = {
                key: SERVICE_SHORTHANDS[key](value) if key in SERVICE_SHORTHANDS else value
                for key, value in service.items()
            }
    return {**data, "services": out}


def _rebase_paths(base: Source, base_dir: FsPath, directory: FsPath) -> Source:
    """The base's relative file paths, rewritten relative to ``directory``."""
    if base_dir.resolve() == directory.resolve() or not isinstance(base.data, dict):
        return base
    data = copy.deepcopy(base.data)

    def moved(value: Any) -> Any:
        if not isinstance(value, str) or not value or os.path.isabs(value):
            return value
        return os.path.relpath(base_dir.resolve() / value, directory.resolve())

    services = data.get("services")
    jobs = data.get("jobs")  # a job's build context moves as a service's does
    runs = [*(services.values() if isinstance(services, dict) else ())]
    runs += [*(jobs.values() if isinstance(jobs, dict) else ())]
    for service in runs:
        if not isinstance(service, dict):
            continue
        build = service.get("build")
        if isinstance(build, str):
            service["build"] = moved(build)
        elif isinstance(build, dict) and "context" in build:
            build["context"] = moved(build["context"])
    artifacts = data.get("artifacts")
    for artifact in artifacts.values() if isinstance(artifacts, dict) else ():
        if isinstance(artifact, dict) and "source" in artifact:
            artifact["source"] = moved(artifact["source"])
    return Source(file=base.file, data=data, lines=base.lines, files=base.files)
