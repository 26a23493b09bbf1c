"""A cache of botocore's parsed data files (service models, endpoint rule sets) across runs.

Building a client parses its service model from gzipped JSON: about 0.1 s for EC2 alone,
0.3-0.4 s for the 13 clients a deploy uses, at every start. botocore reads its data files
through a pluggable file loader (``botocore.loaders.Loader(file_loader=...)``, the session's
``data_loader`` component); this one answers from a ``marshal`` copy of what the JSON file
held, written the first time the file is read (about 4 times faster to load), with the
Python name of each of a service's operations, which botocore would work out again
(``_know_python_names``).

Safety: an entry is keyed on the botocore version, the Python interpreter (marshal's
format is its own), the data file's full path, its size and
its modification time, so an upgrade, a model of one's own on botocore's search path
(``~/.aws/models``, ``AWS_DATA_PATH``) or any edit of a file is read afresh. Entries are
written to a temporary file and renamed into place; an entry that cannot be read or
written is ignored (the JSON is parsed as botocore would). Only the big files are cached
(service models, endpoint rule sets, the endpoints table); ``ECSDEPLOY_MODEL_CACHE=off``
turns it off, and ``ECSDEPLOY_MODEL_CACHE=DIR`` moves it (default ``$XDG_CACHE_HOME/ecsdeploy`` or
``~/.cache/ecsdeploy``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, overload

# the data files worth caching (endpoints: botocore's legacy endpoint table, 1.2 MB of
# JSON, read by every session's first client)
CACHED = ("service-2", "endpoint-rule-set-1", "endpoints")
# an entry holds (the file's data, its operations' Python names); a new layout, a new number
ENTRY_FORMAT = 2
_OFF = {"off", "0", "false", "no"}


def cache_dir() -> Path | None:
    """Where entries live; None when the cache is off."""
    setting = os.environ.get("ECSDEPLOY_MODEL_CACHE", "")
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ecsdeploy"


def _source(file_path: str) -> str | None:
    """The data file botocore would read for ``file_path`` (no extension), if any."""
    for ext in (".json", ".json.gz"):  # botocore's own order (_JSON_OPEN_METHODS)
        if os.path.isfile(file_path + ext):
            return file_path + ext
    return None


class CachingFileLoader:
    """botocore's ``JSONFileLoader`` contract (``exists``, ``load_file``), answering the
    big data files from the cache in ``directory``."""

    def __init__(self, directory: Path, botocore_version: str) -> None:
        from botocore.loaders import JSONFileLoader

        self._json = JSONFileLoader()
        self._directory = directory / f"botocore-{botocore_version}"
        self._version = botocore_version

    def exists(self, file_path: str) -> bool:
        return bool(self._json.exists(file_path))

    def load_file(self, file_path: str) -> Any:
        if os.path.basename(file_path) not in CACHED:
            return self._json.load_file(file_path)
        source = _source(file_path)
        if source is None:
            return None
        try:
            stat = os.stat(source)
        except OSError:
            return self._json.load_file(file_path)
        # marshal's format is the interpreter's: another Python reads its own entries
        python = f"{sys.implementation.cache_tag}-{marshal.version}"
        key = f"{ENTRY_FORMAT}\0{self._version}\0{python}\0{source}\0{stat.st_size}\0"
        key += str(stat.st_mtime_ns)
        entry = self._directory / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".marshal")
        try:
            held = marshal.loads(entry.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            held = None
        if not (isinstance(held, tuple) and len(held) == 2 and isinstance(held[1], dict)):
            data = self._read(source)
            held = (data, _python_names(data))
            self._write(entry, held)
        _know_python_names(held[1])
        return held[0]

    @staticmethod
    def _read(source: str) -> Any:
        opener: Any = gzip.open if source.endswith(".gz") else open
        with opener(source, "rb") as fp:
            return json.loads(fp.read().decode("utf-8"))

    def _write(self, entry: Path, data: Any) -> None:
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self._directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(marshal.dumps(data))
            os.replace(temp, entry)
        except (OSError, ValueError):
            return  # a read-only home, a full disk: the next run parses the JSON again


def _python_names(data: Any) -> dict[str, str]:
    """botocore's Python name of each operation of a service model (``describe_vpcs`` for
    ``DescribeVpcs``), as ``botocore.xform_name`` makes it; {} for other data files."""
    from botocore import xform_name

    operations = data.get("operations") if isinstance(data, dict) else None
    if not isinstance(operations, dict) or "metadata" not in data:
        return {}
    return {name: xform_name(name) for name in operations}


def _know_python_names(names: dict[str, str]) -> None:
    """Hand botocore the Python names it would work out again: a client's class gets a
    method per operation, named by ``xform_name``, two regular expressions a name (EC2:
    some 750 operations, 5-10 ms per client; 25 ms of a deploy's start). botocore keeps
    what it worked out in ``botocore._xform_cache``, a dict keyed (name, separator); when
    a botocore without it comes, nothing is handed and it works them out as ever."""
    import botocore

    known = getattr(botocore, "_xform_cache", None)
    if isinstance(known, dict) and names:
        known.update({(name, "_"): python for name, python in names.items()})


class ServiceNames(Sequence[str]):
    """What ``Loader.list_available_services(type_name)`` returns, for a loader whose
    ``search_paths`` and ``file_loader`` are given: ``name in names`` looks at that
    service's folders only; the whole list (iteration, length, indexing) is made as
    botocore makes it, on first need.

    botocore asks for the list to check that a client's service exists before it loads the
    model, listing every service folder (some 440) of every search path: about 9 ms, twice
    per session. The membership answer is the same: a service is known when a folder of
    that name, in a search path, has an API version folder holding a ``type_name`` file."""

    def __init__(self, loader: Any, type_name: str, list_all: Callable[[], list[str]]) -> None:
        self._loader = loader
        self._type_name = type_name
        self._list_all = list_all
        self._all: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not name or os.sep in name:
            return False
        for base in self._loader.search_paths:
            folder = os.path.join(base, name)
            if not os.path.isdir(folder):
                continue
            for version in os.listdir(folder):
                if self._loader.file_loader.exists(os.path.join(folder, version, self._type_name)):
                    return True
        return False

    def _names(self) -> list[str]:
        if self._all is None:
            self._all = self._list_all()
        return self._all

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())


def _loader_class() -> Any:
    from botocore.loaders import Loader

    class ServiceCheckingLoader(Loader):  # type: ignore[misc]
        """botocore's loader, answering "is there such a service" without listing them all
        (``ServiceNames``)."""

        def list_available_services(self, type_name: str) -> ServiceNames:
            whole = super().list_available_services
            return ServiceNames(self, type_name, lambda: list(whole(type_name)))

    return ServiceCheckingLoader


def botocore_session() -> Any:
    """A botocore session whose data loader reads through the cache (when it is on) and
    checks that a service exists without listing every service (``ServiceNames``)."""
    import botocore
    import botocore.session

    session = botocore.session.get_session()
    # as botocore.loaders.create_loader builds it from AWS_DATA_PATH
    data_path = session.get_config_variable("data_path")
    extra = (
        [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
        if data_path
        else None
    )
    loader = _loader_class()(extra_search_paths=extra)
    directory = cache_dir()
    if directory is not None:
        loader.file_loader = CachingFileLoader(directory, botocore.__version__)
    session.register_component("data_loader", loader)
    return session
