"""Helpers shared by tests: package edits, LibreOffice conversion and checks of what is in a PDF."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from docx_factory import add_parts
from mytypist_cli.pdf.convert import seed_profile, soffice_environment

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and pdftotext are needed",
)

STYLES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"


def with_styles(docx: bytes, styles_inner: str) -> bytes:
    """The package with a ``word/styles.xml`` holding ``styles_inner``, related from the main part."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    styles = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="{w}">{styles_inner}</w:styles>'
    return add_parts(
        docx,
        {"word/styles.xml": styles},
        types={
            "word/styles.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
        },
        rels={"word/document.xml": [(STYLES_REL, "styles.xml")]},
    )


def to_pdf(documents: Mapping[str, bytes], work: Path) -> dict[str, Path]:
    """Convert each document (name -> .docx bytes) with LibreOffice, in its own profile."""
    sources = work / "docx"
    sources.mkdir(parents=True, exist_ok=True)
    for name, data in documents.items():
        (sources / f"{name}.docx").write_bytes(data)
    profile = work / "lo-profile"
    seed_profile(profile)  # no graphics self-tests on start: a second less per call
    command = [
        "soffice",
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(work / "pdf"),
        *(str(sources / f"{name}.docx") for name in documents),
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=soffice_environment(profile)
    )
    pdfs = {name: work / "pdf" / f"{name}.pdf" for name in documents}
    missing = [str(pdf) for pdf in pdfs.values() if not pdf.exists()]
    assert not missing, f"soffice made no {missing}: {completed.stdout}{completed.stderr}"
    return pdfs


def pdf_text(pdf: Path) -> str:
    completed = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def pdf_png(pdf: Path, dpi: int = 300) -> list[Path]:
    """Each page of ``pdf`` as a PNG at ``dpi``."""
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True, timeout=300)
    return sorted(pdf.parent.glob(prefix.name + "-*.png"))


def unfiltered_streams(pdf: Path | bytes) -> int:
    """How many of the PDF's streams (past a few bytes) are stored without a compression filter."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as document:
        streams = [obj for obj in document.objects if isinstance(obj, pikepdf.Stream)]
        return sum(
            1 for stream in streams if stream.get("/Filter") is None and len(stream.read_raw_bytes()) > 64
        )
