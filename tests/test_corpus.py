"""The real-world corpus: every file opens, lists, renders; every hostile file fails cleanly.

The corpus lives in ../shared/corpus beside the repository (CI has it); a
fresh clone without it skips these tests with a message.
"""

from __future__ import annotations

import io
import signal
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from lxml import etree

from conftest import CORPUS
from mytypist_cli import MytypistError, Template
from mytypist_cli.engine.syntax import scan
from mytypist_cli.ooxml.textparts import text_units

REAL = sorted(
    p for p in (CORPUS / "real").rglob("*") if p.suffix.lower() in {".docx", ".docm", ".dotx", ".dotm"}
)
EDGE = sorted(p for p in (CORPUS / "edge").rglob("*") if p.is_file() and p.suffix.lower() != ".tsv")
pytestmark = pytest.mark.skipif(not REAL, reason=f"the shared corpus is not at {CORPUS}")
W_NS = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: a generous bound, not a speed assertion."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def paragraph_texts(package: bytes) -> dict[str, list[str]]:
    """Each XML part's paragraphs' text, deleted text excluded."""
    texts: dict[str, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in archive.namelist():
            if not name.endswith(".xml"):
                continue
            root = etree.fromstring(
                archive.read(name), etree.XMLParser(resolve_entities=False, huge_tree=True)
            )
            ns = etree.QName(root).namespace
            if ns not in W_NS:
                continue
            t, delete = f"{{{ns}}}t", f"{{{ns}}}del"
            texts[name] = [
                "".join(
                    el.text or "" for el in paragraph.iter(t) if next(el.iterancestors(delete), None) is None
                )
                for paragraph in root.iter(f"{{{ns}}}p")
            ]
    return texts


def test_corpus_is_complete() -> None:
    assert len(REAL) == 399
    assert len(EDGE) == 10


@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(CORPUS / "real")))
def test_real_document_opens_lists_and_renders(path: Path) -> None:
    source = path.read_bytes()
    with time_limit(120):
        # Our own engine on every file: "keep" reads back as the input. Merge fields and Jinja change the
        # text by design (a field becomes its value, a tag its output); test_mergefield_corpus covers those.
        template = Template.open(source, syntax="mytypist")
        assert all(ph.count >= 1 and ph.parts for ph in template.placeholders)
        blank = template.render({}, missing="blank", allow_macros=True)
        kept = template.render({}, missing="keep", allow_macros=True)
    with zipfile.ZipFile(io.BytesIO(blank)) as archive:
        assert archive.testzip() is None
    before = paragraph_texts(source)
    assert paragraph_texts(kept) == before
    # Where nothing was filled, the blank render reads as the input did.
    after_blank = paragraph_texts(blank)
    for part, paragraphs in before.items():
        assert len(after_blank[part]) == len(paragraphs)
        if not any(ph for ph in template.placeholders if part in ph.parts):
            assert after_blank[part] == paragraphs


@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(CORPUS / "real")))
def test_real_document_with_the_syntax_auto_chooses_renders_or_fails_with_our_error(path: Path) -> None:
    """Whichever engine auto picks (merge fields, Jinja, << >>): a sound package or a MytypistError."""
    with time_limit(120):
        try:
            rendered = Template.open(path.read_bytes()).render({}, missing="blank", allow_macros=True)
        except MytypistError:
            return
    with zipfile.ZipFile(io.BytesIO(rendered)) as archive:
        assert archive.testzip() is None


@pytest.mark.parametrize("path", EDGE, ids=lambda p: str(p.relative_to(CORPUS / "edge")))
def test_edge_document_fails_with_our_error(path: Path) -> None:
    with time_limit(60), pytest.raises(MytypistError):
        Template.open(path).render({}, missing="blank", allow_macros=True)


@pytest.mark.parametrize("delimiters", ["<< >>", "{{ }}"])
def test_no_placeholder_is_passed_over_silently(delimiters: str) -> None:
    """After a blank render, every placeholder left in any part of any real document is one a warning names."""
    pair = (delimiters.split()[0], delimiters.split()[1])
    spelt = pair[0].replace("<", "&lt;").encode()
    left: list[str] = []
    for path in REAL:
        with zipfile.ZipFile(path) as archive:
            if not any(spelt in archive.read(name) for name in archive.namelist() if name.endswith(".xml")):
                continue  # no placeholder anywhere to leave behind
        try:
            template = Template.open(path, delimiters=delimiters)
            blank = template.render({}, missing="blank", allow_macros=True)
        except MytypistError:
            continue  # a template syntax error in this syntax: nothing rendered to look at
        warned = " ".join(str(problem) for problem in template.warnings)
        with zipfile.ZipFile(io.BytesIO(blank)) as archive:
            for name in archive.namelist():
                if not name.endswith(".xml"):
                    continue
                root = etree.fromstring(
                    archive.read(name), etree.XMLParser(resolve_entities=False, huge_tree=True)
                )
                for unit in text_units(root):
                    tags, _ = scan("".join(text for _, text in unit), pair)
                    left += [f"{path.name} {name} {tag.raw}" for tag in tags if tag.raw not in warned]
    assert left == []
