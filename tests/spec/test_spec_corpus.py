"""Every bad spec in tests/spec_cases/ must be refused with a clear message on the right line.

Each case file starts with two comment lines (counted in the line numbers):

    # expect: <fragment that must appear in the problem>
    # line: <1-based line of that problem, or "none">

A case that needs several files (``extends``) is a directory: its ``ecsdeploy.yaml`` is
loaded, and a third header line names the file the problem must be reported in, relative
to the directory (``# line:`` counts lines of that file):

    # file: base.yaml
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ecsdeploy.spec import Problem, SpecError, load_spec, parse_spec

CASES_DIR = Path(__file__).parents[1] / "spec_cases"
CASES = sorted([*CASES_DIR.glob("*.yaml"), *(p for p in CASES_DIR.iterdir() if p.is_dir())])
ENTRY = "ecsdeploy.yaml"  # the file loaded in a directory case
MIN_CASES = 30


def _header(path: Path) -> tuple[str, int | None, Path]:
    """What must be reported, on which line, in which file."""
    entry = path / ENTRY if path.is_dir() else path
    expect: str | None = None
    line: str | None = None
    file = entry
    for text in entry.read_text(encoding="utf-8").splitlines()[:3]:
        if text.startswith("# expect: "):
            expect = text.removeprefix("# expect: ")
        elif text.startswith("# line: "):
            line = text.removeprefix("# line: ").strip()
        elif text.startswith("# file: ") and path.is_dir():
            file = path / text.removeprefix("# file: ").strip()
    assert expect, f"{path.name}: first lines must hold '# expect: ...'"
    assert line, f"{path.name}: first lines must hold '# line: N' or '# line: none'"
    assert file.is_file(), f"{path.name}: '# file:' names no file of the case"
    return expect, None if line == "none" else int(line), file


def _assert_reported(
    problems: list[Problem], expect: str, line: int | None, file: str | None = None
) -> None:
    assert problems, "SpecError carries no problems"
    for problem in problems:
        assert problem.message.strip(), f"empty message in {problem!r}"
    matching = [p for p in problems if expect in str(p) and file in (None, p.file)]
    shown = "\n".join(str(p) for p in problems)
    assert matching, f"no problem in {file or 'the file'} mentions {expect!r}; got:\n{shown}"
    assert any(p.line == line for p in matching), (
        f"{expect!r} reported on line(s) {[p.line for p in matching]}, expected {line}; got:\n"
        f"{shown}"
    )


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} cases in {CASES_DIR}"


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_bad_spec_is_refused(case: Path) -> None:
    expect, line, file = _header(case)
    entry = case / ENTRY if case.is_dir() else case
    with pytest.raises(SpecError) as info:
        load_spec(entry)
    _assert_reported(info.value.problems, expect, line, str(file))
    if not case.is_dir():
        assert all(problem.file == str(case) for problem in info.value.problems)


BYTE_CASES: dict[str, tuple[bytes, str, int | None]] = {
    "empty_file": (b"", "file is empty", None),
    "whitespace_only": (b"  \n\n\t\n", "file is empty", None),
    "not_utf8": (b"app: shop\nenv: d\xe9v\nservices: {}\n", "not valid UTF-8 (byte 0xe9", 2),
    "utf16_with_bom": ("app: shop\n".encode("utf-16"), "save the file as UTF-8", 1),
    "nul_bytes": (b"app: shop\x00\nservices: {}\n", "file contains NUL bytes", None),
    "control_character": (b"app: shop\nenv: d\x07v\nservices: {}\n", "U+0007 is not allowed", 2),
    "huge_file": (
        b"app: shop\n" + b"# padding\n" * 110_000,
        "a spec must be under 1,000,000 bytes",
        None,
    ),
    "deeply_nested": (b"app: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply", None),
}


@pytest.mark.parametrize("raw,expect,line", BYTE_CASES.values(), ids=list(BYTE_CASES))
def test_bad_bytes_are_refused(raw: bytes, expect: str, line: int | None) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(raw, "x.yaml")
    _assert_reported(info.value.problems, expect, line)
    assert all(p.file == "x.yaml" for p in info.value.problems)


def test_alias_bomb_is_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(SpecError):
        load_spec(CASES_DIR / "alias_bomb.yaml")
    assert time.perf_counter() - start < 2.0


def test_missing_file_and_directory() -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_spec(CASES_DIR / "does-not-exist.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        load_spec(CASES_DIR)
