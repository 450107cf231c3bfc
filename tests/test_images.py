"""Pictures: <<photo|image>> in every part, sizes, sources, and every bad case."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from typer.testing import CliRunner

from docx_factory import make_docx, p, para, paragraphs
from mytypist_cli import RenderError, Template, TemplateSyntaxError
from mytypist_cli.cli.app import app

EMU_CM = 360000


def picture(path: Path, size: tuple[int, int] = (200, 100), fmt: str = "PNG", dpi: int | None = None) -> Path:
    image = Image.new("RGB", size, (10, 120, 200))
    options = {"dpi": (dpi, dpi)} if dpi else {}
    image.save(path, format=fmt, **options)
    return path


def members(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def extents(xml: bytes) -> list[tuple[int, int]]:
    return [(int(cx), int(cy)) for cx, cy in re.findall(rb'<wp:extent cx="(\d+)" cy="(\d+)"', xml)]


@pytest.mark.parametrize(("fmt", "extension"), [("PNG", "png"), ("JPEG", "jpeg"), ("GIF", "gif")])
def test_picture_in_body_with_relationship_and_content_type(tmp_path: Path, fmt: str, extension: str) -> None:
    picture(tmp_path / f"p.{extension}", fmt=fmt)
    template = Template.open(make_docx(para("Photo: <<photo|image>> end")))
    assert [(p.name, p.kind) for p in template.placeholders] == [("photo", "image")]
    out = members(template.render({"photo": f"p.{extension}"}, image_dir=tmp_path))
    media = [name for name in out if name.startswith("word/media/")]
    assert len(media) == 1
    assert media[0].endswith(f".{extension}")
    rels = out["word/_rels/document.xml.rels"].decode()
    rid = re.search(r'r:embed="([^"]+)"', out["word/document.xml"].decode())
    assert rid is not None
    assert f'Id="{rid.group(1)}"' in rels
    assert f'Target="media/{media[0].rsplit("/", 1)[1]}"' in rels
    assert f'Extension="{extension}"' in out["[Content_Types].xml"].decode()
    for name, data in out.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(data)
    assert paragraphs(template.render({"photo": f"p.{extension}"}, image_dir=tmp_path)) == ["Photo:  end"]


def test_pictures_in_table_cells_headers_and_footers(tmp_path: Path) -> None:
    picture(tmp_path / "logo.png")
    cell = "<w:tbl><w:tr><w:tc>" + para("<<logo|image:2cm>>") + "</w:tc></w:tr></w:tbl>"
    docx = make_docx(
        cell + para(""),
        headers={"header1.xml": para("<<logo|image:3cm>>")},
        footers={"footer1.xml": para("Signed: <<logo|image:1cm>>")},
    )
    out = members(Template.open(docx).render({"logo": "logo.png"}, image_dir=tmp_path))
    assert extents(out["word/document.xml"]) == [(2 * EMU_CM, EMU_CM)]
    assert extents(out["word/header1.xml"]) == [(3 * EMU_CM, round(1.5 * EMU_CM))]
    assert extents(out["word/footer1.xml"]) == [(EMU_CM, EMU_CM // 2)]
    assert b"media/" in out["word/_rels/header1.xml.rels"]
    assert b"media/" in out["word/_rels/footer1.xml.rels"]
    assert len([name for name in out if name.startswith("word/media/")]) == 1
    ids = [
        re.findall(rb'<wp:docPr id="(\d+)"', out[name])
        for name in ("word/document.xml", "word/header1.xml", "word/footer1.xml")
    ]
    flat = [i for part in ids for i in part]
    assert len(flat) == len(set(flat)) == 3


def test_same_picture_on_many_rows_is_stored_once_with_unique_ids(tmp_path: Path) -> None:
    picture(tmp_path / "sig.png")
    body = para("<<#items>>") + para("<<name>> <<sig|image:2cm>>") + para("<</items>>")
    items = [{"name": str(i), "sig": "sig.png"} for i in range(6)]
    out = members(Template.open(make_docx(body)).render({"items": items}, image_dir=tmp_path))
    assert len([name for name in out if name.startswith("word/media/")]) == 1
    ids = re.findall(rb'<wp:docPr id="(\d+)"', out["word/document.xml"])
    assert len(ids) == len(set(ids)) == 6
    assert out["word/_rels/document.xml.rels"].count(b"relationships/image") == 1


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("4cm", (4 * EMU_CM, 2 * EMU_CM)),
        ("4cmx3cm", (4 * EMU_CM, 3 * EMU_CM)),
        ("1in", (914400, 457200)),
        ("50mm", (50 * EMU_CM // 10, 25 * EMU_CM // 10)),
        ("96px", (914400, 457200)),
    ],
)
def test_sizes(tmp_path: Path, spec: str, expected: tuple[int, int]) -> None:
    picture(tmp_path / "p.png", size=(200, 100))
    out = Template.open(make_docx(para(f"<<p|image:{spec}>>"))).render({"p": "p.png"}, image_dir=tmp_path)
    assert extents(members(out)["word/document.xml"]) == [expected]


def test_a_big_photo_is_scaled_to_the_text_width_and_a_small_one_never_up(tmp_path: Path) -> None:
    picture(tmp_path / "big.jpg", size=(4000, 3000), fmt="JPEG")
    picture(tmp_path / "small.png", size=(96, 48), dpi=96)
    section = '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440"/></w:sectPr>'
    template = Template.open(make_docx(para("<<a|image>>") + para("<<b|image>>") + section))
    out = members(template.render({"a": "big.jpg", "b": "small.png"}, image_dir=tmp_path))
    text_width = (11906 - 2880) * 635
    (big, small) = extents(out["word/document.xml"])
    assert big == (text_width, round(text_width * 0.75))
    assert small == (914400, 457200)


def test_data_uri_and_base64_values(tmp_path: Path) -> None:
    data = picture(tmp_path / "p.png").read_bytes()
    encoded = base64.b64encode(data).decode()
    template = Template.open(make_docx(para("<<p|image:1cm>>")))
    for value in (f"data:image/png;base64,{encoded}", encoded):
        out = members(template.render({"p": value}))
        assert [d for n, d in out.items() if n.startswith("word/media/")] == [data]


def test_relative_paths_may_not_leave_the_data_folder(tmp_path: Path) -> None:
    picture(tmp_path / "outside.png")
    inside = tmp_path / "data"
    inside.mkdir()
    template = Template.open(make_docx(para("<<p|image>>")))
    with pytest.raises(RenderError, match="may not leave"):
        template.render({"p": "../outside.png"}, image_dir=inside)
    assert template.render({"p": str(tmp_path / "outside.png")}, image_dir=inside)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: "nope.png", "no such image file"),
        (lambda d: (d / "notes.png").write_text("hello") and "notes.png", "not a PNG, JPEG or GIF"),
        (
            lambda d: (
                (d / "cut.png").write_bytes(picture(d / "whole.png", (300, 300)).read_bytes()[:200])
                and "cut.png"
            ),
            "damaged",
        ),
        (
            lambda d: (d / "pic.bmp").write_bytes(b"") or picture(d / "pic.bmp", fmt="BMP") and "pic.bmp",
            "use PNG, JPEG or GIF",
        ),
        (lambda d: "data:image/png,notbase64", "must be base64"),
        (lambda d: str(d), "is a folder"),
    ],
)
def test_bad_pictures_fail_the_row_with_a_clear_message(tmp_path: Path, make: object, message: str) -> None:
    value = make(tmp_path)  # type: ignore[operator]
    template = Template.open(make_docx(para("<<p|image>>")))
    with pytest.raises(RenderError, match=message) as caught:
        template.render({"p": value}, image_dir=tmp_path)
    assert str(caught.value).startswith("<<p|image>>: ")


def test_a_picture_over_the_cap_is_refused(tmp_path: Path) -> None:
    picture(tmp_path / "p.png", size=(500, 500))
    template = Template.open(make_docx(para("<<p|image>>")))
    with pytest.raises(RenderError, match="more than the 100 allowed"):
        template.render({"p": "p.png"}, image_dir=tmp_path, max_image_bytes=100)


def test_missing_and_blank_pictures() -> None:
    template = Template.open(make_docx(para("[<<p|image>>]")))
    filled = template.fill({}, missing="blank")
    assert filled.missing == ("p",)
    assert paragraphs(filled.data) == ["[]"]
    assert paragraphs(template.render({}, missing="keep")) == ["[<<p|image>>]"]
    filled = template.fill({"p": ""})
    assert filled.blank == ("p",)


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("<<p|image:4kg>>", "should look like"),
        ("<<p|upper|image>>", "stands alone"),
        ("<<p|image|upper>>", "stands alone"),
    ],
)
def test_bad_image_tags_fail_at_open(tag: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        Template.open(make_docx(para(tag)))


def test_cli_reads_pictures_beside_the_data_file(tmp_path: Path) -> None:
    folder = tmp_path / "people"
    folder.mkdir()
    picture(folder / "ada.png")
    (folder / "people.csv").write_text("name,photo\nAda,ada.png\n", encoding="utf-8")
    template = tmp_path / "card.docx"
    template.write_bytes(make_docx(para("<<name>> <<photo|image:2cm>>")))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["fill", str(template), str(folder / "people.csv"), "--out-dir", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    written = members((out / "card-0001.docx").read_bytes())
    assert any(name.startswith("word/media/") for name in written)
    result = CliRunner().invoke(
        app,
        [
            "fill",
            str(template),
            str(folder / "people.csv"),
            "--out-dir",
            str(out),
            "--overwrite",
            "--max-image-mb",
            "0.0001",
        ],
    )
    assert result.exit_code == 1
    assert re.search(
        r"row 1: <<photo\|image:2cm>>: ada.png: the image is [\d,]+ bytes, more than the 105 allowed",
        result.stderr,
    )


def test_a_picture_in_a_narrow_cell_fits_the_cell(tmp_path: Path) -> None:
    picture(tmp_path / "big.png", size=(3000, 1500))
    cell = '<w:tc><w:tcPr><w:tcW w:w="1440" w:type="dxa"/></w:tcPr>' + para("<<p|image>>") + "</w:tc>"
    body = "<w:tbl><w:tr>" + cell + "</w:tr></w:tbl>" + para("")
    out = members(Template.open(make_docx(body)).render({"p": "big.png"}, image_dir=tmp_path))
    assert extents(out["word/document.xml"]) == [(914400, 457200)]


def test_a_picture_fits_the_width_of_its_own_section(tmp_path: Path) -> None:
    picture(tmp_path / "big.png", size=(3000, 1500))
    narrow = '<w:pPr><w:sectPr><w:pgSz w:w="5040"/><w:pgMar w:left="720" w:right="1440"/></w:sectPr></w:pPr>'
    wide = '<w:sectPr><w:pgSz w:w="12240"/><w:pgMar w:left="1440" w:right="1440"/></w:sectPr>'
    body = para("<<p|image>>") + p(narrow) + para("<<p|image>>") + wide
    out = members(Template.open(make_docx(body)).render({"p": "big.png"}, image_dir=tmp_path))
    assert extents(out["word/document.xml"]) == [(2880 * 635, 1440 * 635), (9360 * 635, 4680 * 635)]


@pytest.mark.parametrize(
    ("section", "width_twips"),
    [
        ('<w:sectPr><w:pgSz w:w="12240"/><w:pgMar w:left="1800" w:right="1000"/></w:sectPr>', 9440),
        ("", 9026),  # no page section: A4 with 1-inch margins
        ('<w:sectPr><w:pgMar w:left="1800" w:right="1000"/></w:sectPr>', 9026),
        ('<w:sectPr><w:pgSz w:w="2000"/><w:pgMar w:left="1440" w:right="1440"/></w:sectPr>', 720),
    ],
)
def test_a_picture_in_a_header_fits_the_body_text_width(
    tmp_path: Path, section: str, width_twips: int
) -> None:
    picture(tmp_path / "big.png", size=(3000, 1500))
    docx = make_docx(para("body") + section, headers={"header1.xml": para("<<p|image>>")})
    out = members(Template.open(docx).render({"p": "big.png"}, image_dir=tmp_path))
    assert extents(out["word/header1.xml"]) == [(width_twips * 635, width_twips * 635 // 2)]
