"""A combined document converts to exactly the pages of the separate documents (LibreOffice; slow)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mytypist_cli.engine.combine import BOOKMARK_PREFIX
from mytypist_cli.engine.template import Template
from mytypist_cli.pdf.convert import seed_profile, soffice_environment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
_EXPORT = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed"),
]


def _records(name: str, count: int) -> list[dict[str, Any]]:
    path = EXAMPLES / name
    if path.suffix == ".json":
        rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    else:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    return rows[:count]


def _convert(files: list[Path], out: Path, profile: Path) -> None:
    seed_profile(profile)  # no graphics self-tests on start: a second less per call
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            _EXPORT,
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env=soffice_environment(profile),
    )


def _pages(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages]


CASES = [
    ("invoice.docx", "invoices.json"),
    ("receipt.docx", "receipts.csv"),
    ("offer-letter.docx", "staff.csv"),
    ("affidavit.docx", "affidavits.csv"),
    ("../benchmarks/fixtures/bench-template.docx", "../benchmarks/fixtures/bench-rows.csv"),
]


@pytest.mark.parametrize(("template_name", "data_name"), CASES)
def test_combined_pdf_has_the_pages_of_the_separate_pdfs(
    template_name: str, data_name: str, tmp_path: Path
) -> None:
    template = Template.open(EXAMPLES / template_name)
    records = _records(data_name, 3)
    options = {"image_dir": EXAMPLES}
    separate = []
    for index, record in enumerate(records):
        path = tmp_path / f"record{index}.docx"
        path.write_bytes(template.render(record, **options))
        separate.append(path)
    combined = tmp_path / "all.docx"
    combined.write_bytes(template.render_combined(records, **options))
    out = tmp_path / "pdf"
    _convert([*separate, combined], out, tmp_path / "profile")
    expected = [page for path in separate for page in _pages(out / f"{path.stem}.pdf")]
    got = _pages(out / "all.pdf")
    assert len(got) == len(expected)
    assert got == expected
    dests = subprocess.run(
        ["pdfinfo", "-dests", str(out / "all.pdf")], capture_output=True, text=True, check=True
    ).stdout
    for index in range(len(records)):
        assert f'"{BOOKMARK_PREFIX.replace("_", "5F")}{index}"' in dests
