"""The cache of botocore's parsed data files: same data as botocore's own loader, keyed
so that any change of the file (or of botocore) is read afresh, off when asked."""

from __future__ import annotations

import gzip
import json
import marshal
from pathlib import Path

import botocore
import pytest
from botocore.loaders import JSONFileLoader

from ecsdeploy.aws.model_cache import CachingFileLoader, botocore_session, cache_dir


def _model(tmp_path: Path, doc: str) -> str:
    folder = tmp_path / "data" / "demo" / "2020-01-01"
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "service-2.json.gz", "wb") as out:
        out.write(
            json.dumps({"metadata": {"doc": doc}, "shapes": {"A": {"type": "string"}}}).encode()
        )
    return str(folder / "service-2")


def test_the_cache_answers_what_the_json_holds_and_rereads_a_changed_file(tmp_path: Path) -> None:
    path = _model(tmp_path, "first")
    cache = tmp_path / "cache"
    loader = CachingFileLoader(cache, "1.0")
    assert loader.load_file(path) == JSONFileLoader().load_file(path)
    entries = list((cache / "botocore-1.0").glob("*.marshal"))
    assert len(entries) == 1
    # a second loader reads the entry, not the JSON
    entries[0].write_bytes(marshal.dumps(({"from": "cache"}, {})))
    assert CachingFileLoader(cache, "1.0").load_file(path) == {"from": "cache"}
    # another botocore version, or the file changed: parsed afresh
    assert CachingFileLoader(cache, "2.0").load_file(path)["metadata"]["doc"] == "first"
    _model(tmp_path, "second, longer")
    assert CachingFileLoader(cache, "1.0").load_file(path)["metadata"]["doc"] == "second, longer"


def test_another_python_does_not_read_this_ones_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # marshal's format belongs to the interpreter: an entry written by one Python version
    # is not handed to another (which may misread it or fail)
    import sys
    import types

    path = _model(tmp_path, "mine")
    cache = tmp_path / "cache"
    CachingFileLoader(cache, "1.0").load_file(path)
    for entry in (cache / "botocore-1.0").glob("*.marshal"):
        entry.write_bytes(marshal.dumps(({"from": "this python"}, {})))
    other = types.SimpleNamespace(**{**vars(sys.implementation), "cache_tag": "cpython-399"})
    monkeypatch.setattr(sys, "implementation", other)
    assert CachingFileLoader(cache, "1.0").load_file(path)["metadata"]["doc"] == "mine"


def test_small_files_and_a_broken_entry_go_to_the_json(tmp_path: Path) -> None:
    path = _model(tmp_path, "x")
    cache = tmp_path / "cache"
    CachingFileLoader(cache, "1.0").load_file(path)
    for entry in (cache / "botocore-1.0").glob("*.marshal"):
        entry.write_bytes(b"not marshal")
    assert CachingFileLoader(cache, "1.0").load_file(path)["metadata"]["doc"] == "x"
    paginators = Path(path).with_name("paginators-1.json")
    paginators.write_text('{"pagination": {}}')
    assert CachingFileLoader(cache, "1.0").load_file(str(paginators)[:-5]) == {"pagination": {}}
    assert len(list((cache / "botocore-1.0").glob("*.marshal"))) == 1


def test_a_real_client_model_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECSDEPLOY_MODEL_CACHE", str(tmp_path))
    for _ in range(2):  # written, then read
        model = botocore_session().get_service_model("ecs")
        assert model.operation_model("UpdateService").input_shape is not None
    assert list((tmp_path / f"botocore-{botocore.__version__}").glob("*.marshal"))


def test_an_entry_hands_botocore_the_python_names_of_the_operations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The names botocore would work out for a client's methods come with the model's
    entry, as ``xform_name`` makes them, so a client's class is built without working
    them out again."""
    monkeypatch.setenv("ECSDEPLOY_MODEL_CACHE", str(tmp_path))
    botocore_session().get_service_model("ec2")  # written
    known: dict[tuple[str, str], str] = {}
    monkeypatch.setattr(botocore, "_xform_cache", known)
    botocore_session().get_service_model("ec2")  # read, handing the names
    operations = JSONFileLoader().load_file(
        str(sorted((Path(botocore.__file__).parent / "data" / "ec2").iterdir())[-1] / "service-2")
    )["operations"]
    assert len(known) == len(operations) > 700
    fresh: dict[tuple[str, str], str] = {}
    worked_out = {(n, "_"): botocore.xform_name(n, "_", fresh) for n in operations}
    assert known == worked_out
    assert known[("DescribeVpcs", "_")] == "describe_vpcs"


def test_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECSDEPLOY_MODEL_CACHE", "off")
    assert cache_dir() is None
    monkeypatch.setenv("ECSDEPLOY_MODEL_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache_dir() == Path("/somewhere/ecsdeploy")


def test_the_endpoints_table_is_cached_too(tmp_path: Path) -> None:
    # botocore's endpoints.json (1.2 MB) is read by every session's first client
    path = str(Path(botocore.__file__).parent / "data" / "endpoints")
    cache = tmp_path / "cache"
    loader = CachingFileLoader(cache, "1.0")
    assert loader.load_file(path) == JSONFileLoader().load_file(path)
    assert len(list((cache / "botocore-1.0").glob("*.marshal"))) == 1


@pytest.mark.parametrize("cache", ["on", "off"])
def test_the_service_check_answers_as_botocore_s_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str
) -> None:
    """The session's loader says whether a service exists without listing all of them;
    the answer is botocore's for every service it has, for a model of one's own on
    AWS_DATA_PATH, and for names it has not."""
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader

    _model(tmp_path, "own")  # data/demo/2020-01-01/service-2.json.gz
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path / "data"))
    monkeypatch.setenv("ECSDEPLOY_MODEL_CACHE", str(tmp_path / "cache") if cache == "on" else "off")
    listings: list[str] = []
    whole = Loader.list_available_services
    monkeypatch.setattr(
        Loader,
        "list_available_services",
        lambda self, type_name: listings.append(type_name) or whole(self, type_name),
    )
    session = botocore_session()
    # a client is made without listing every service folder
    assert session.create_client("ssm", region_name="us-west-2").meta.service_model
    assert listings == []
    names = session.get_component("data_loader").list_available_services("service-2")
    listed = Loader(extra_search_paths=[str(tmp_path / "data")]).list_available_services(
        "service-2"
    )
    assert "demo" in listed and "ecs" in listed
    assert all(name in names for name in listed)
    for unknown in ("nope", "ecs2", "", "ecs/2014-11-13", "../botocore"):
        assert unknown not in names
    assert list(names) == listed and len(names) == len(listed)  # the whole list on demand
    assert session.create_client("ecs", region_name="us-west-2").meta.service_model
    with pytest.raises(UnknownServiceError, match=r"Valid service names are: .*ecs"):
        session.create_client("nope", region_name="us-west-2")
