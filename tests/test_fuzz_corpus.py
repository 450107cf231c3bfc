"""Fuzzing real corpus documents: every mutant opens and renders to a sound package, or fails with our error.

Base documents are a few dozen of ../shared/corpus/real (sorted names, every
n-th, the small ones), mutated at the zip level and inside word/document.xml with
random.Random(seed). The default case count fits the CI budget; set
MYTYPIST_FUZZ_CASES (e.g. 5000) and MYTYPIST_FUZZ_SEED for a longer or other run.
A failure names the seed, case number and mutation, so it replays alone:
MYTYPIST_FUZZ_SEED=<seed> MYTYPIST_FUZZ_ONLY=<case> pytest tests/test_fuzz_corpus.py
"""

from __future__ import annotations

import io
import os
import random
import re
import traceback
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from conftest import CORPUS
from mytypist_cli import MytypistError, Template
from test_corpus import time_limit

SEED = int(os.environ.get("MYTYPIST_FUZZ_SEED", "20261202"))
CASES = int(os.environ.get("MYTYPIST_FUZZ_CASES", "500"))
ONLY = os.environ.get("MYTYPIST_FUZZ_ONLY")
PER_CASE_TIMEOUT = 30  # guards against hangs only; never a speed assertion
BASE_COUNT = 36
MAX_BASE_SIZE = 300_000

_ALL = sorted(
    p
    for p in (CORPUS / "real").rglob("*")
    if p.suffix.lower() in {".docx", ".docm", ".dotx", ".dotm"} and p.stat().st_size <= MAX_BASE_SIZE
)
BASES: list[Path] = _ALL[:: max(1, len(_ALL) // BASE_COUNT)][:BASE_COUNT]
pytestmark = pytest.mark.skipif(not BASES, reason=f"the shared corpus is not at {CORPUS}")

Mutation = Callable[[random.Random, bytes], tuple[bytes, str]]


# --- zip level ---------------------------------------------------------------------------------------


def truncate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    at = rng.randrange(len(data))
    return data[:at], f"truncate at {at}"


def _flip(rng: random.Random, data: bytes, start: int, end: int, what: str) -> tuple[bytes, str]:
    buf = bytearray(data)
    flips = []
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(start, max(start + 1, end))
        if at >= len(buf):
            continue
        bit = 1 << rng.randrange(8)
        buf[at] ^= bit
        flips.append(f"{at}^{bit:#04x}")
    return bytes(buf), f"flip bytes in {what}: {', '.join(flips)}"


def flip_central_directory(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    start = data.rfind(b"PK\x05\x06")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offsets = [info.header_offset for info in archive.infolist()]
        cd = data.find(b"PK\x01\x02", max(offsets) if offsets else 0)
    cd = cd if cd >= 0 else start
    return _flip(rng, data, cd, len(data), "central directory")


def flip_local_header(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = rng.choice(archive.infolist())
    start = info.header_offset
    return _flip(
        rng, data, start, start + 30 + len(info.filename.encode()), f"local header of {info.filename}"
    )


def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name: duplicate_member's point
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, body in members:
                archive.writestr(info, body)
    return out.getvalue()


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def duplicate_member(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    members = _members(data)
    info, body = rng.choice(members)
    members.insert(rng.randrange(len(members) + 1), (info, body))
    return _rezip(members), f"duplicate member {info.filename}"


def drop_member(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    members = _members(data)
    info, _ = members.pop(rng.randrange(len(members)))
    return _rezip(members), f"drop member {info.filename}"


def rename_member(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    members = _members(data)
    index = rng.randrange(len(members))
    info, body = members[index]
    new = rng.choice(
        [info.filename.upper(), info.filename + ".bak", "/" + info.filename, "../" + info.filename, "x.xml"]
    )
    renamed = zipfile.ZipInfo(new, info.date_time)
    members[index] = (renamed, body)
    return _rezip(members), f"rename member {info.filename} -> {new}"


# --- XML level, inside word/document.xml -----------------------------------------------------------

TAGS = [b"<<x>>", b"<<#a>>", b"<</a>>", b"<<?b>>", b"<<x", b">>", b"<<#a>><</b>>"]
STRAYS = [b"<", b"&", b"&#0;", b"]]>", b"<<x>>", b"<<#a>>"]


def _xml_mutation(edit: Callable[[random.Random, bytes], tuple[bytes, str]]) -> Mutation:
    def mutate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
        members = _members(data)
        for index, (info, body) in enumerate(members):
            if info.filename == "word/document.xml":
                new, how = edit(rng, body)
                members[index] = (info, new)
                return _rezip(members), f"word/document.xml: {how}"
        return data, "no word/document.xml: unchanged"

    mutate.__name__ = edit.__name__
    return mutate


def delete_span(rng: random.Random, xml: bytes) -> tuple[bytes, str]:
    at = rng.randrange(len(xml))
    size = rng.randint(1, 200)
    return xml[:at] + xml[at + size :], f"delete {size} bytes at {at}"


def duplicate_span(rng: random.Random, xml: bytes) -> tuple[bytes, str]:
    at = rng.randrange(len(xml))
    size = rng.randint(1, 500)
    return xml[: at + size] + xml[at : at + size] + xml[at + size :], f"duplicate {size} bytes at {at}"


def _insert_at(rng: random.Random, xml: bytes, what: bytes, in_text: bool | None = None) -> tuple[bytes, int]:
    """Insert at a random byte, or (in_text, or half the time) just inside a <w:t> where tags live."""
    if in_text is None:
        in_text = rng.random() < 0.5
    starts = [m.end() for m in re.finditer(rb"<w:t(?: [^>]*)?>", xml)] if in_text else []
    at = rng.choice(starts) if starts else rng.randrange(len(xml) + 1)
    return xml[:at] + what + xml[at:], at


def insert_tag(rng: random.Random, xml: bytes) -> tuple[bytes, str]:
    """A template tag as Word stores typed text (escaped), inside a text run."""
    what = rng.choice(TAGS)
    new, at = _insert_at(rng, xml, what.replace(b"<", b"&lt;").replace(b">", b"&gt;"), in_text=True)
    return new, f"insert tag {what!r} at {at}"


def insert_stray(rng: random.Random, xml: bytes) -> tuple[bytes, str]:
    """Raw markup characters where they break the XML (or a tag's own syntax)."""
    what = rng.choice(STRAYS)
    new, at = _insert_at(rng, xml, what)
    return new, f"insert raw {what!r} at {at}"


def deep_nesting(rng: random.Random, xml: bytes) -> tuple[bytes, str]:
    depth = rng.choice([300, 3000, 30000])
    new, at = _insert_at(rng, xml, b"<w:p>" * depth + b"</w:p>" * depth)
    return new, f"insert {depth} nested <w:p> at {at}"


def doctype(rng: random.Random, xml: bytes) -> tuple[bytes, str]:
    decl = rng.choice(
        [
            b'<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
            b'<!DOCTYPE w:document SYSTEM "file:///etc/passwd">',
            b'<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
        ]
    )
    end = xml.find(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return xml[:end] + decl + xml[end:], f"DOCTYPE {decl[:60]!r}"


def invalid_utf8(rng: random.Random, xml: bytes) -> tuple[bytes, str]:
    what = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x00"])
    new, at = _insert_at(rng, xml, what)
    return new, f"insert invalid UTF-8 {what!r} at {at}"


MUTATIONS: list[Mutation] = [
    truncate,
    flip_central_directory,
    flip_local_header,
    duplicate_member,
    drop_member,
    rename_member,
    *(
        _xml_mutation(m)
        for m in (
            delete_span,
            duplicate_span,
            insert_tag,
            insert_tag,
            insert_stray,
            deep_nesting,
            doctype,
            invalid_utf8,
        )
    ),
]


def make_case(seed: int, case: int) -> tuple[bytes, str]:
    rng = random.Random(f"{seed}:{case}")
    base = BASES[rng.randrange(len(BASES))]
    data = base.read_bytes()
    steps = []
    for _ in range(rng.choice([1, 1, 1, 2])):
        mutation = rng.choice(MUTATIONS)
        try:
            data, how = mutation(rng, data)
        except Exception as exc:  # an earlier mutation left no readable zip to mutate further
            how = f"skipped ({type(exc).__name__})"
        steps.append(f"{mutation.__name__}: {how}")
    return data, f"{base.relative_to(CORPUS / 'real')} | " + " ; ".join(steps)


def _parses(body: bytes) -> bool:
    try:
        etree.fromstring(body, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError:
        return False
    return True


def check_package(source: bytes, package: bytes) -> None:
    """A sound zip whose every XML part parses.

    The one exemption: a member the input already held unparseable (say a picture
    renamed x.xml, referenced by nothing) and the output carries byte for byte;
    the engine passed it through untouched and broke nothing.
    """
    given: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        for info in archive.infolist():
            try:
                given[info.filename] = archive.read(info)
            except Exception:  # a broken member of the input (say a folder entry) the engine left out
                continue
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            if not (name.endswith(".xml") or name.endswith(".rels")):
                continue
            body = archive.read(name)
            if given.get(name) == body and not _parses(body):
                continue
            etree.fromstring(body, etree.XMLParser(resolve_entities=False, huge_tree=True))


def run_case(data: bytes) -> None:
    try:
        template = Template.open(data)
        package = template.render(dict.fromkeys(template.names, "x"), missing="blank", allow_macros=True)
    except MytypistError:
        return
    check_package(data, package)


def test_mutated_corpus_documents_open_and_render_or_fail_with_our_error() -> None:
    cases = [int(ONLY)] if ONLY is not None else range(CASES)
    failures = []
    for case in cases:
        data, mutation = make_case(SEED, case)
        try:
            with time_limit(PER_CASE_TIMEOUT):
                run_case(data)
        except Exception as exc:  # anything but our error is a finding
            where = traceback.extract_tb(exc.__traceback__)[-1]
            failures.append(
                f"seed={SEED} case={case} mutation={mutation}\n"
                f"    {type(exc).__name__}: {exc!s:.300} at {where.filename}:{where.lineno}"
            )
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)
