"""The fast PDF path of ``fill --to pdf`` / ``--pdf``: combined chunks split back per record.

Invisible except in speed: each record's PDF has the same pages, with the same
text on each, as converting that record's own .docx alone (checked on the
examples and the benchmark template). A record LibreOffice cannot convert
fails alone; a template whose fields count the whole document is converted
one document at a time, and the run says so once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from docx_factory import make_docx, p, para, r
from mytypist_cli.cli.app import app
from mytypist_cli.engine.combine import page_exact_problems
from mytypist_cli.pdf.convert import convert_to_pdf

runner = CliRunner()
EXAMPLES = REPO / "examples"
BENCH = REPO / "benchmarks" / "fixtures"
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are not installed",
)


def _pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return [" ".join(page.decode().split()) for page in text.split(b"\f")[:-1]]


def _document_level(path: Path) -> dict[str, object]:
    """What a PDF viewer shows of a PDF beside its pages: the title bar and document properties
    (all of the info dictionary but its time of making), language, viewer settings, the page it
    opens at, and the outline (titles, pages, places on the page)."""
    import pikepdf

    with pikepdf.open(path) as pdf:

        def page_of(target: object) -> int:
            return pdf.pages.index(pikepdf.Page(target))  # type: ignore[arg-type]

        def entries(items: list[pikepdf.OutlineItem]) -> list[object]:
            return [
                (item.title, page_of(item.destination[0]), [str(v) for v in list(item.destination)[1:]],
                 item.is_closed, entries(item.children))
                for item in items
            ]  # fmt: skip

        with pdf.open_outline() as outline:
            headings = entries(outline.root)
        opens = pdf.Root.get("/OpenAction")
        return {
            "info": {str(k): str(v) for k, v in pdf.docinfo.items() if k != "/CreationDate"},
            "catalog": {
                k: repr(pdf.Root[k]) for k in ("/Lang", "/ViewerPreferences", "/PageMode") if k in pdf.Root
            },
            "opens at": None if opens is None else (page_of(opens[0]), [str(v) for v in list(opens)[1:]]),
            "outline": headings,
        }


def _same_as_alone(out: Path, tmp_path: Path) -> int:
    """Every PDF in ``out`` against its .docx converted alone (pages, text and what a viewer shows
    beside them); returns how many were compared."""
    documents = sorted(out.glob("*.docx"))
    alone = tmp_path / "alone"
    results = convert_to_pdf(documents, alone, jobs=2)
    assert all(result.ok for result in results), [result.error for result in results if not result.ok]
    for document in documents:
        ours, theirs = out / f"{document.stem}.pdf", alone / f"{document.stem}.pdf"
        assert _pages(ours) == _pages(theirs), document.name
        assert _document_level(ours) == _document_level(theirs), document.name
    return len(documents)


@pytest.mark.slow
@needs_libreoffice
@pytest.mark.parametrize("title", ["Quarterly report", "Report for <<name>>"])
def test_titles_and_outline_are_each_records_own(tmp_path: Path, title: str) -> None:
    """LibreOffice gives a PDF the document's title and an outline of its headings; a record's PDF cut
    from a chunk has its own (a title with a placeholder: that record's document is converted alone)."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for part in range(2):
        document.add_heading(f"Part {part} for <<name>>", 1)
        document.add_paragraph("Text of the part.")
        document.add_heading(f"Detail {part}", 2)
        document.add_page_break()
    template = tmp_path / "report.docx"
    document.save(str(template))
    data = tmp_path / "people.csv"
    data.write_text("name\nAda\nTunde\nBisi\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--pdf"])
    assert result.exit_code == 0, result.stderr
    assert _same_as_alone(out, tmp_path) == 3
    seen = _document_level(out / "report-0002.pdf")
    assert seen["info"]["/Title"] == title.replace("<<name>>", "Tunde")  # type: ignore[index]
    assert [heading[0] for heading in seen["outline"]] == ["Part 0 for Tunde", "Part 1 for Tunde"]  # type: ignore[index, union-attr]


@pytest.mark.slow
@needs_libreoffice
@pytest.mark.parametrize(
    ("template", "data", "extra"),
    [
        ("offer-letter.docx", "staff.csv", []),
        ("receipt.docx", "receipts.csv", []),
        ("affidavit.docx", "affidavits.csv", []),
        ("invoice.docx", "invoices.json", []),
        ("invoice.docx", "invoice-lines.csv", ["--group-by", "invoice_no"]),
    ],
)
def test_each_example_pdf_matches_converting_it_alone(
    tmp_path: Path, template: str, data: str, extra: list[str]
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["fill", str(EXAMPLES / template), str(EXAMPLES / data), "--out-dir", str(out), "--pdf", *extra]
    )
    assert result.exit_code == 0, result.stderr
    assert "one document at a time" not in result.stderr
    assert _same_as_alone(out, tmp_path) >= 2


@pytest.mark.slow
@needs_libreoffice
def test_benchmark_template_pdfs_match_converting_alone_across_chunks(tmp_path: Path) -> None:
    data = tmp_path / "rows.csv"
    lines = (BENCH / "bench-rows.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    data.write_text("".join(lines[:13]), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["fill", str(BENCH / "bench-template.docx"), str(data), "--out-dir", str(out), "--pdf", "-j", "2"],
    )
    assert result.exit_code == 0, result.stderr
    assert _same_as_alone(out, tmp_path) == 12
    assert len(_pages(out / "bench-template-0001.pdf")) >= 2


@pytest.mark.slow
@needs_libreoffice
def test_to_pdf_writes_only_the_pdfs(tmp_path: Path) -> None:
    template = tmp_path / "note.docx"
    template.write_bytes(make_docx(para("Hello <<name>>")))
    data = tmp_path / "people.csv"
    data.write_text("name\nAda\nTunde\nBisi\n", encoding="utf-8")
    out = tmp_path / "pdfs"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--to", "pdf"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["note-0001.pdf", "note-0002.pdf", "note-0003.pdf"]
    assert [_pages(out / f"note-000{n}.pdf") for n in (1, 2, 3)] == [
        ["Hello Ada"],
        ["Hello Tunde"],
        ["Hello Bisi"],
    ]
    assert result.stdout.splitlines() == [str(out / f"note-000{n}.pdf") for n in (1, 2, 3)]


# A stand-in LibreOffice: the real one, except that any document holding POISON makes it fail
# (as a document LibreOffice cannot load does), whatever else it was given.
POISONED_SOFFICE = textwrap.dedent(
    """\
    #!{python}
    import os, sys, zipfile
    for argument in sys.argv[1:]:
        if argument.endswith(".docx") and os.path.isfile(argument):
            with zipfile.ZipFile(argument) as package:
                if b"POISON" in package.read("word/document.xml"):
                    sys.exit(81)
    os.execv({soffice!r}, [{soffice!r}, *sys.argv[1:]])
    """
)


@pytest.mark.slow
@needs_libreoffice
def test_a_record_libreoffice_cannot_convert_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "soffice"
    fake.write_text(POISONED_SOFFICE.format(python=sys.executable, soffice=shutil.which("soffice")))
    fake.chmod(0o755)
    monkeypatch.setenv("MYTYPIST_SOFFICE", str(fake))
    template = tmp_path / "note.docx"
    template.write_bytes(make_docx(para("Hello <<name>>")))
    data = tmp_path / "people.csv"
    data.write_text("name\nAda\nTunde\nPOISON\nBisi\n", encoding="utf-8")
    out = tmp_path / "pdfs"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--to", "pdf"])
    assert result.exit_code == 1
    assert "row 3: PDF: LibreOffice could not convert it" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["note-0001.pdf", "note-0002.pdf", "note-0004.pdf"]
    assert _pages(out / "note-0004.pdf") == ["Hello Bisi"]
    assert "wrote 3 PDFs" in result.stderr
    assert "1 failed" in result.stderr


def _field(instruction: str) -> str:
    return (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )


TOC = "a table of contents (TOC) counts the pages of the whole document"
PAGEREF = "a PAGEREF field is not checked to show the page it shows alone"
SECTION = "a SECTION field counts the sections of the whole document"
RESTARTS = "NUMPAGES in a template whose sections restart or format their page numbers"


def _break(page_numbers: str = "") -> str:
    """A paragraph ending a section (the next starts on a new page), with ``page_numbers`` as its pgNumType."""
    return f'<w:p><w:pPr><w:sectPr><w:type w:val="nextPage"/>{page_numbers}</w:sectPr></w:pPr></w:p>'


def test_fields_that_count_the_whole_document_are_found() -> None:
    def check(body: str, **parts: str) -> tuple[str, ...]:
        return page_exact_problems(make_docx(body, **parts))

    assert check(para("plain") + _field("PAGE")) == ()
    assert check(_field("NUMPAGES")) == ()  # the combined document makes it the record's own page count
    assert check(_field('TOC \\o "1-3"')) == (TOC,)
    assert check(_field("PAGEREF _Ref1 \\h") + _field("SECTION")) == (PAGEREF, SECTION)
    split = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r>'
        '<w:r><w:instrText>REF _Ref1</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    assert check(split) == (PAGEREF,)
    assert check('<w:p><w:fldSimple w:instr=" TOC "><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>') == (TOC,)
    assert check(para("x"), footers={"footer1.xml": _field("SECTION")}) == (SECTION,)
    # NUMPAGES across sections numbered on from the record's first page counts the record's pages ...
    assert check(_break() + _field("NUMPAGES") + "<w:sectPr/>") == ()
    assert check(_break('<w:pgNumType w:start="1"/>') + _field("NUMPAGES")) == ()
    # ... but not once a later section restarts them, or numbers them i, ii, iii.
    restarted = _break() + _field("NUMPAGES") + '<w:sectPr><w:pgNumType w:start="1"/></w:sectPr>'
    assert check(restarted) == (RESTARTS,)
    assert check(_break('<w:pgNumType w:fmt="lowerRoman"/>') + _field("NUMPAGES")) == (RESTARTS,)
    assert check(_break('<w:pgNumType w:start="5"/>') + _field("NUMPAGES")) == (RESTARTS,)


@pytest.mark.slow
@needs_libreoffice
def test_numpages_in_a_template_of_several_sections_takes_the_fast_path_and_matches(tmp_path: Path) -> None:
    page_of = p(
        r("Page "),
        '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>',
        r(" of "),
        '<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple>',
    )
    long_text = "".join(para(f"Clause {n} for <<name>>") for n in range(70))
    body = (
        para("Cover for <<name>>")
        + _break()
        + long_text
        + '<w:sectPr><w:footerReference w:type="default" r:id="rId1"/></w:sectPr>'
    )
    template = tmp_path / "sections.docx"
    template.write_bytes(make_docx(body, footers={"footer1.xml": page_of}))
    data = tmp_path / "people.csv"
    data.write_text("name\nAda\nTunde\nBisi\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--pdf"])
    assert result.exit_code == 0, result.stderr
    assert "one document at a time" not in result.stderr
    assert _same_as_alone(out, tmp_path) == 3
    pages = _pages(out / "sections-0002.pdf")
    assert len(pages) == 3
    assert "Page 3 of 3" in pages[-1]


@pytest.mark.slow
@needs_libreoffice
def test_a_table_of_contents_takes_the_per_document_path_and_says_so_once(tmp_path: Path) -> None:
    template = tmp_path / "toc.docx"
    template.write_bytes(make_docx(_field('TOC \\o "1-3"') + para("Hello <<name>>")))
    data = tmp_path / "people.csv"
    data.write_text("name\nAda\nTunde\n", encoding="utf-8")
    out = tmp_path / "pdfs"
    result = runner.invoke(app, ["fill", str(template), str(data), "--out-dir", str(out), "--to", "pdf"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("one document at a time") == 1
    assert "TOC" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["toc-0001.pdf", "toc-0002.pdf"]
    assert os.path.getsize(out / "toc-0002.pdf") > 0


def _libreoffice_running() -> bool:
    """Whether a LibreOffice of this process's conversions is running (its profile names our pid)."""
    from mytypist_cli.pdf.convert import PROFILE_PREFIX

    mark = f"{PROFILE_PREFIX}{os.getpid()}-".encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if mark in Path(f"/proc/{entry}/cmdline").read_bytes():
                    return True
            except OSError:
                continue
    return False


@pytest.mark.slow
@needs_libreoffice
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_each_pdf_is_reported_while_libreoffice_goes_on_with_the_next(tmp_path: Path) -> None:
    documents = []
    for number, lines in ((1, 100), (2, 100), (3, 1500)):  # the last long: LibreOffice goes on a while
        document = tmp_path / f"doc{number}.docx"
        document.write_bytes(make_docx("".join(para(f"Document {number}, line {n}") for n in range(lines))))
        documents.append(document)
    reported: list[tuple[str, bool]] = []
    results = convert_to_pdf(
        documents,
        tmp_path / "pdf",
        jobs=1,
        on_result=lambda result: reported.append((result.source.name, _libreoffice_running())),
    )
    assert all(result.ok for result in results)
    # Each as soon as LibreOffice finished writing it, still at work on the next (the last one is
    # reported as LibreOffice shuts down, or after it ended).
    assert [name for name, _running in reported] == ["doc1.docx", "doc2.docx", "doc3.docx"]
    assert reported[:2] == [("doc1.docx", True), ("doc2.docx", True)]
