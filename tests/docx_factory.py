"""Build small .docx packages inside tests, with runs split exactly as a test needs."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
R_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NSDECL = (
    f'xmlns:w="{W}" xmlns:r="{R}" xmlns:mc="{MC}" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" mc:Ignorable="wps"'
)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOTX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
DOCM_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"
DOTM_TYPE = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def p(*runs: str, ppr: str = "") -> str:
    """A paragraph of runs (XML strings)."""
    return f"<w:p>{ppr}{''.join(runs)}</w:p>"


def r(text: str, rpr: str = "") -> str:
    """A run with one w:t; rpr is inner XML such as '<w:b/>'."""
    props = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{_esc(text)}</w:t></w:r>'


def para(text: str) -> str:
    return p(r(text))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def make_docx(
    body: str = "",
    *,
    headers: Mapping[str, str] | None = None,
    footers: Mapping[str, str] | None = None,
    footnotes: str | None = None,
    endnotes: str | None = None,
    comments: str | None = None,
    settings: str | None = None,
    main: str = "word/document.xml",
    main_type: str = DOCX_TYPE,
    strict: bool = False,
    extra: Mapping[str, bytes] | None = None,
) -> bytes:
    """A complete package; headers/footers map a file name (header1.xml) to inner XML."""
    w_ns, r_ns = (W_STRICT, R_STRICT) if strict else (W, R)
    rel_base = (
        "http://purl.oclc.org/ooxml/officeDocument/relationships"
        if strict
        else ("http://schemas.openxmlformats.org/officeDocument/2006/relationships")
    )
    decl = NSDECL.replace(W, w_ns).replace(R, r_ns)
    folder, base = main.rsplit("/", 1)
    parts: dict[str, str] = {}
    overrides = [(main, main_type)]
    rels: list[tuple[str, str]] = []

    def story(kind: str, name: str, root: str, inner: str, ctype: str) -> None:
        parts[f"{folder}/{name}"] = f"<w:{root} {decl}>{inner}</w:{root}>"
        rels.append((kind, name))
        overrides.append((f"{folder}/{name}", ctype))

    ct = "application/vnd.openxmlformats-officedocument.wordprocessingml."
    for name, inner in (headers or {}).items():
        story("header", name, "hdr", inner, ct + "header+xml")
    for name, inner in (footers or {}).items():
        story("footer", name, "ftr", inner, ct + "footer+xml")
    if footnotes is not None:
        story("footnotes", "footnotes.xml", "footnotes", footnotes, ct + "footnotes+xml")
    if endnotes is not None:
        story("endnotes", "endnotes.xml", "endnotes", endnotes, ct + "endnotes+xml")
    if comments is not None:
        story("comments", "comments.xml", "comments", comments, ct + "comments+xml")
    if settings is not None:
        story("settings", "settings.xml", "settings", settings, ct + "settings+xml")

    parts[main] = f"<w:document {decl}><w:body>{body}</w:body></w:document>"
    rel_xml = "".join(
        f'<Relationship Id="rId{i}" Type="{rel_base}/{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(rels, start=1)
    )
    parts[f"{folder}/_rels/{base}.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rel_xml}</Relationships>"
    )
    parts["_rels/.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel_base}/officeDocument" Target="{main}"/></Relationships>'
    )
    override_xml = "".join(f'<Override PartName="/{n}" ContentType="{t}"/>' for n, t in overrides)
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{override_xml}</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", parts.pop("[Content_Types].xml"))
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def part_xml(docx: bytes, name: str = "word/document.xml") -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return etree.fromstring(archive.read(name))


def paragraphs(docx: bytes, name: str = "word/document.xml") -> list[str]:
    """Each paragraph's visible text (deleted text excluded), breaks as \\n and tabs as \\t."""
    root = part_xml(docx, name)
    ns = etree.QName(root).namespace
    texts = []
    for paragraph in root.iter(f"{{{ns}}}p"):
        chunks = []
        for el in paragraph.iter(f"{{{ns}}}t", f"{{{ns}}}br", f"{{{ns}}}tab"):
            if any(etree.QName(a).localname in ("del", "pPr") for a in el.iterancestors()):
                continue
            if next((a for a in el.iterancestors(f"{{{ns}}}p")), None) is not paragraph:
                continue
            local = etree.QName(el).localname
            chunks.append(el.text or "" if local == "t" else ("\n" if local == "br" else "\t"))
        texts.append("".join(chunks))
    return texts


def text_of(docx: bytes, name: str = "word/document.xml") -> str:
    return "\n".join(paragraphs(docx, name))


def make_odt(media_type: str = "application/vnd.oasis.opendocument.text", text: str = "<<name>>") -> bytes:
    """An OpenDocument package as LibreOffice writes one: ``mimetype`` first and stored, then the content."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        f"<office:body><office:text><text:p>{_esc(text)}</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), media_type, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest/>')
    return buffer.getvalue()


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
APP_TYPE = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"


def add_parts(
    docx: bytes,
    parts: Mapping[str, str | bytes],
    *,
    types: Mapping[str, str] | None = None,
    rels: Mapping[str, list[tuple[str, str]]] | None = None,
) -> bytes:
    """The package with more members: ``types`` gives a member its content type (an Override),
    ``rels`` maps a part ("" for the package) to (relationship type, target) pairs to add to its .rels."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, data in parts.items():
        members[name] = data.encode() if isinstance(data, str) else data
    if types:
        overrides = "".join(f'<Override PartName="/{n}" ContentType="{t}"/>' for n, t in types.items())
        members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
            b"</Types>", overrides.encode() + b"</Types>"
        )
    for source, pairs in (rels or {}).items():
        folder, base = source.rsplit("/", 1) if "/" in source else ("", source)
        rels_name = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        existing = members.get(
            rels_name,
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b"</Relationships>",
        )
        added = "".join(
            f'<Relationship Id="rIdX{i}" Type="{kind}" Target="{target}"/>'
            for i, (kind, target) in enumerate(pairs, start=1)
        )
        members[rels_name] = existing.replace(b"</Relationships>", added.encode() + b"</Relationships>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def member(docx: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read(name)
