"""Content tags for build contexts: the same files and build settings give the same tag.

The tag is a digest of every file the Docker build would send (minus ``.dockerignore``d
ones), their paths and executable bits, and the build settings (Dockerfile, target, args,
platform). An unchanged context therefore keeps its tag, and ``up`` can skip the build and
the push when the registry already has it. Never ``latest``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

from ecsdeploy.spec.models import Build


class BuildSourceError(Exception):
    """The build context cannot be read."""


def _ignore_patterns(root: Path) -> list[str]:
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append(line.rstrip("/"))
    return patterns


def _ignored(rel: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.removeprefix("./").replace("**/", "*")
        hit = fnmatch.fnmatch(rel, pat) or any(
            fnmatch.fnmatch(part, pat) for part in _prefixes(rel)
        )
        if hit:
            ignored = not negate
    return ignored


def _prefixes(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]


def context_files(root: Path) -> list[Path]:
    """The files a build of ``root`` sends, sorted, .dockerignore applied."""
    if not root.is_dir():
        raise BuildSourceError(f"build context {root} is not a directory")
    patterns = _ignore_patterns(root)
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if not _ignored(rel, patterns):
                files.append(path)
    return files


def content_tag(root: Path, build: Build) -> str:
    """``c-`` and 16 hex digits of the context and build settings."""
    digest = hashlib.sha256()
    settings = f"{build.dockerfile}|{build.target}|{sorted(build.args.items())}|{build.platform}"
    digest.update(settings.encode())
    for path in context_files(root):
        rel = path.relative_to(root).as_posix()
        executable = os.access(path, os.X_OK)
        digest.update(f"\0{rel}\0{int(executable)}\0".encode())
        try:
            digest.update(path.read_bytes())
        except OSError as exc:
            raise BuildSourceError(f"cannot read {path}: {exc.strerror}") from exc
    return f"c-{digest.hexdigest()[:16]}"


def repository_name(app: str, env: str, service: str) -> str:
    """The ECR repository of a built service."""
    return f"{app}/{env}/{service}"
