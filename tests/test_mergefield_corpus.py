"""The real templates with Word MERGEFIELDs (other projects' test files) open, list and fill sensibly."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from mytypist_cli.engine.template import Template

CORPUS = Path("/work/shared/corpus/real")


def _merge_templates() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.rglob("*.docx")):
        try:
            with zipfile.ZipFile(path) as package:
                if any(
                    b"MERGEFIELD" in package.read(name)
                    for name in package.namelist()
                    if name.startswith("word/") and name.endswith(".xml")
                ):
                    found.append(path)
        except (zipfile.BadZipFile, OSError):
            continue
    return found


TEMPLATES = _merge_templates()


@pytest.mark.skipif(not TEMPLATES, reason="the corpus in /work/shared is not here")
@pytest.mark.parametrize("path", TEMPLATES, ids=[path.name for path in TEMPLATES])
def test_opens_lists_and_fills(path: Path) -> None:
    template = Template.open(path, syntax="mergefield")
    values = {}
    for placeholder in template.placeholders:
        switches = " ".join(placeholder.filters)
        values[placeholder.name] = "2025-09-22" if "\\@" in switches else "12" if "\\#" in switches else "Ada"
    filled = template.fill(values, missing="blank")
    with zipfile.ZipFile(io.BytesIO(filled.data)) as package:
        for name in package.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                text = package.read(name).decode("utf-8", "replace")
                codes = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", text)
                assert not any("MERGEFIELD" in code for code in codes), name
                assert 'instr=" MERGEFIELD' not in text, name
