"""Helpers for the tests of rich values (links, markdown, codes): package edits and LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and pdftotext are needed",
)

STYLES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"


def with_members(docx: bytes, changes: Mapping[str, bytes | str]) -> bytes:
    """The package with members replaced or added."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for name in source.namelist():
            if name not in changes:
                out.writestr(name, source.read(name))
        for name, data in changes.items():
            out.writestr(name, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


def with_styles(docx: bytes, styles_inner: str) -> bytes:
    """The package with a ``word/styles.xml`` holding ``styles_inner``, related from the main part."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        rels = archive.read("word/_rels/document.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdStyles" Type="{STYLES_REL}" Target="styles.xml"/></Relationships>',
    )
    types = types.replace(
        "</Types>",
        '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.styles+xml"/></Types>',
    )
    styles = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="{w}">{styles_inner}</w:styles>'
    return with_members(
        docx, {"word/_rels/document.xml.rels": rels, "[Content_Types].xml": types, "word/styles.xml": styles}
    )


def to_pdf(documents: Mapping[str, bytes], work: Path) -> dict[str, Path]:
    """Convert each document (name -> .docx bytes) with LibreOffice, in its own profile."""
    sources = work / "docx"
    sources.mkdir(parents=True, exist_ok=True)
    for name, data in documents.items():
        (sources / f"{name}.docx").write_bytes(data)
    profile = work / "lo-profile"
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
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
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
