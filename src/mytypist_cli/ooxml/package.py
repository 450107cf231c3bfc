"""Read a .docx package safely and write filled ones fast.

Reading: every member is checked once when a template opens (entry names,
encryption, compression method, size caps against zip bombs, CRC), so a
broken or hostile file fails here with a ``TemplateError`` and never later.
Writing: a small zip writer of our own, because Python's ``zipfile`` has no
public way to copy a member's already-compressed bytes; members that no
placeholder touches are copied as they are, which is most of the speed of a
render. Output is deterministic: the same inputs give the same bytes.

Imports neither typer nor rich; never prints.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from mytypist_cli.errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    NotADocxError,
    UnsafeDocumentError,
)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DEFAULT_MAX_SIZE = 512 * 1024 * 1024
"""Default cap on the total uncompressed size of a template's members (bytes)."""
DEFAULT_MAX_RATIO = 200
"""Default cap on one member's compression ratio; real Word files stay under 50."""
_RATIO_FLOOR = 1024 * 1024  # small members may compress well without being a bomb
_DEFLATE_LEVEL = 6
_READ_CHUNK = 1 << 16
_FLAG_UTF8 = 0x800
_ZIP64_LIMIT = 0xFFFFFFFF  # a classic zip field's largest value, which means "see the ZIP64 record"
_ZIP_COUNT_LIMIT = 0xFFFF


@dataclass
class Member:
    """One zip member of a template, with its original compressed bytes."""

    name: str
    method: int
    crc: int
    compressed: bytes
    size: int
    date_time: tuple[int, int, int, int, int, int]
    data: bytes | None = field(default=None, repr=False)  # kept only for parts we parse
    deflate: bool = False
    """Rendered, not read: ``compressed`` is empty and ``data`` is deflated when it is written."""


def rendered_member(
    name: str, date_time: tuple[int, int, int, int, int, int], data: bytes, *, deflate: bool = True
) -> Member:
    """A member made in memory (a filled part, a picture), compressed only if it is written.

    ``deflate`` False stores ``data`` as it is (pictures are compressed already).
    """
    if deflate:
        return Member(name, zipfile.ZIP_DEFLATED, 0, b"", len(data), date_time, data, deflate=True)
    return Member(name, zipfile.ZIP_STORED, zlib.crc32(data), data, len(data), date_time)


def keeps_data(name: str) -> bool:
    """Whether a member named ``name`` has its uncompressed bytes in ``Member.data`` (XML parts, .rels)."""
    return name.lower().endswith((".xml", ".rels"))


def member_from_entry(name: str, date_time: tuple[int, int, int, int, int, int], entry: Entry) -> Member:
    """The member an entry writes, its bytes inflated into ``data`` when :func:`keeps_data` says so."""
    data = None
    if keeps_data(name):
        data = entry.compressed
        if entry.method == zipfile.ZIP_DEFLATED:
            data = zlib.decompress(data, -15)
    return Member(name, entry.method, entry.crc, entry.compressed, entry.size, date_time, data)


def read_package(
    blob: bytes,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> list[Member]:
    """Check and read every member of a zip held in ``blob``.

    Members named ``*.xml`` or ``*.rels`` (in any case: :func:`keeps_data`)
    have their uncompressed bytes kept in ``Member.data``.

    Raises EncryptedDocumentError, NotADocxError, CorruptDocumentError or
    UnsafeDocumentError.
    """
    if blob.startswith(OLE2_MAGIC):
        raise EncryptedDocumentError(
            "the file is password-protected or an old binary .doc (an OLE2 container); "
            "open it in Word and save it as .docx without a password"
        )
    if not blob.startswith(b"PK"):
        raise NotADocxError("not a Word document: the file is not a zip package")
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise CorruptDocumentError(f"the zip package is damaged or truncated ({exc})") from None
    except NotImplementedError as exc:  # a "version needed to extract" zipfile does not know
        raise CorruptDocumentError(f"the zip package uses a feature Word never writes ({exc})") from None

    _refuse_open_document(archive, infos, max_size)
    seen: set[str] = set()
    total = 0
    members: list[Member] = []
    for info in infos:
        name = info.filename
        _check_name(name)
        folded = name.lower()
        if folded in seen:
            raise CorruptDocumentError(f"the package holds two members named {name!r}")
        seen.add(folded)
        if info.flag_bits & 0x1:
            raise EncryptedDocumentError(f"member {name!r} is encrypted; save the file without a password")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CorruptDocumentError(
                f"member {name!r} uses compression method {info.compress_type}, which Word never writes"
            )
        total += info.file_size
        if total > max_size:
            raise UnsafeDocumentError(
                f"the package unpacks to more than {max_size:,} bytes (a zip bomb?); "
                "raise max_size if the template is really that large"
            )
        if info.file_size > _RATIO_FLOOR and info.file_size > max_ratio * max(info.compress_size, 1):
            raise UnsafeDocumentError(
                f"member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f} times "
                f"(more than max_ratio={max_ratio:g}): a zip bomb?"
            )
        if name.endswith("/"):
            continue  # a directory entry: nothing to copy
        want = keeps_data(name)
        data = _read_checked(archive, info, max_size)
        members.append(
            Member(
                name=name,
                method=info.compress_type,
                crc=info.CRC,
                compressed=_raw_bytes(blob, info),
                size=info.file_size,
                date_time=_dos_date_time(info.date_time),
                data=data if want else None,
            )
        )
    return members


# What an OpenDocument package's ``mimetype`` member says it is: the kind and its extension.
_OPEN_DOCUMENT_KINDS = {
    "text": "text (.odt)",
    "text-template": "text template (.ott)",
    "text-master": "master document (.odm)",
    "spreadsheet": "spreadsheet (.ods)",
    "presentation": "presentation (.odp)",
}
_OPEN_DOCUMENT_PREFIX = "application/vnd.oasis.opendocument."


def _refuse_open_document(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_size: int) -> None:
    """Raise NotADocxError for an OpenDocument package (LibreOffice's own format), saying how to convert it.

    Its first member is ``mimetype``, holding the media type as plain text;
    a Word package never has one.
    """
    info = next((info for info in infos if info.filename == "mimetype"), None)
    if info is None or info.file_size > 200 or info.flag_bits & 0x1:
        return
    try:
        media_type = _read_checked(archive, info, max_size).decode("ascii").strip()
    except (CorruptDocumentError, UnsafeDocumentError, UnicodeDecodeError):
        return  # not a readable OpenDocument marker: the checks that follow say what is wrong
    if not media_type.startswith(_OPEN_DOCUMENT_PREFIX):
        return
    kind = media_type.removeprefix(_OPEN_DOCUMENT_PREFIX)
    what = _OPEN_DOCUMENT_KINDS.get(kind, "file")
    if kind.startswith("text"):
        raise NotADocxError(
            f"not a Word document: the file is an OpenDocument {what}; save it as .docx "
            "(in LibreOffice File > Save As > Word 2007-365 (.docx), or "
            "soffice --headless --convert-to docx <file>) and use that"
        )
    raise NotADocxError(f"not a Word document: the file is an OpenDocument {what} (renamed?)")


def _check_name(name: str) -> None:
    if "\\" in name:
        raise UnsafeDocumentError(
            f"member {name!r} uses backslashes in its name: the package was written by a broken zip tool"
        )
    if name.startswith("/") or "\x00" in name or (len(name) > 1 and name[1] == ":"):
        raise UnsafeDocumentError(f"member {name!r} has an absolute path")
    if ".." in name.split("/"):
        raise UnsafeDocumentError(f"member {name!r} points outside the package ('..')")


def _read_checked(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_size: int) -> bytes:
    """Decompress one member in bounded chunks; zipfile checks the CRC at the end."""
    chunks: list[bytes] = []
    got = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_READ_CHUNK):
                got += len(chunk)
                if got > info.file_size or got > max_size:
                    raise UnsafeDocumentError(f"member {info.filename!r} is larger than its header says")
                chunks.append(chunk)
    except UnsafeDocumentError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CorruptDocumentError(
            f"member {info.filename!r} is damaged ({exc}); the file may be truncated"
        ) from None
    if got != info.file_size:
        raise CorruptDocumentError(f"member {info.filename!r} is truncated")
    return b"".join(chunks)


def _raw_bytes(blob: bytes, info: zipfile.ZipInfo) -> bytes:
    """The member's compressed bytes, straight from its local header."""
    offset = info.header_offset
    header = blob[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise CorruptDocumentError(f"member {info.filename!r} has a damaged local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_len + extra_len
    raw = blob[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise CorruptDocumentError(f"member {info.filename!r} is truncated")
    return raw


def _dos_date_time(value: tuple[int, int, int, int, int, int]) -> tuple[int, int, int, int, int, int]:
    year, month, day, hour, minute, second = value
    if not 1980 <= year <= 2107:
        return (1980, 1, 1, 0, 0, 0)
    return (year, max(month, 1), max(day, 1), hour, minute, second)


# -- writing ---------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A member ready to be written: compressed bytes plus what the headers need."""

    name: bytes
    flags: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    compressed: bytes
    size: int

    @property
    def local_header(self) -> bytes:
        return (
            struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                20,
                self.flags,
                self.method,
                self.dos_time,
                self.dos_date,
                self.crc,
                len(self.compressed),
                self.size,
                len(self.name),
                0,
            )
            + self.name
        )

    def central_record(self, offset: int) -> bytes:
        extra = b""
        version = 20
        if offset >= _ZIP64_LIMIT:  # the local header starts past 4 GiB: its offset goes in a ZIP64 field
            extra = struct.pack("<2HQ", 1, 8, offset)
            version, offset = 45, _ZIP64_LIMIT
        return (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                version,
                version,
                self.flags,
                self.method,
                self.dos_time,
                self.dos_date,
                self.crc,
                len(self.compressed),
                self.size,
                len(self.name),
                len(extra),
                0,
                0,
                0,
                0,
                offset,
            )
            + self.name
            + extra
        )


def entry_from_member(member: Member) -> Entry:
    """An entry that copies a member's compressed bytes unchanged (deflating a rendered one's data)."""
    if member.deflate:
        return deflated_entry(member.name, member.date_time, member.data or b"")
    return _entry(member.name, member.date_time, member.method, member.crc, member.compressed, member.size)


def deflated_entry(name: str, date_time: tuple[int, int, int, int, int, int], data: bytes) -> Entry:
    """An entry holding ``data``, deflated at the level Word itself uses."""
    compressor = zlib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
    compressed = compressor.compress(data) + compressor.flush()
    return _entry(name, date_time, zipfile.ZIP_DEFLATED, zlib.crc32(data), compressed, len(data))


def stored_entry(name: str, date_time: tuple[int, int, int, int, int, int], data: bytes) -> Entry:
    """An entry holding ``data`` uncompressed (pictures are compressed already)."""
    return _entry(name, date_time, zipfile.ZIP_STORED, zlib.crc32(data), data, len(data))


def _entry(
    name: str,
    date_time: tuple[int, int, int, int, int, int],
    method: int,
    crc: int,
    compressed: bytes,
    size: int,
) -> Entry:
    if len(compressed) >= 0xFFFFFFFF or size >= 0xFFFFFFFF:
        raise UnsafeDocumentError(f"member {name!r} is too large for a Word document")
    try:
        encoded, flags = name.encode("ascii"), 0
    except UnicodeEncodeError:
        encoded, flags = name.encode("utf-8"), _FLAG_UTF8
    year, month, day, hour, minute, second = date_time
    dos_time = (hour << 11) | (minute << 5) | (second // 2)
    dos_date = ((year - 1980) << 9) | (month << 5) | day
    return Entry(encoded, flags, method, dos_time, dos_date, crc, compressed, size)


def write_zip(entries: Iterator[Entry] | list[Entry]) -> bytes:
    """Assemble a complete zip archive from entries, in the order given."""
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    count = 0
    for entry in entries:
        header = entry.local_header
        central.append(entry.central_record(offset))
        chunks.append(header)
        chunks.append(entry.compressed)
        offset += len(header) + len(entry.compressed)
        count += 1
    directory = b"".join(central)
    chunks.append(directory)
    size = len(directory)
    if count >= _ZIP_COUNT_LIMIT or size >= _ZIP64_LIMIT or offset >= _ZIP64_LIMIT:
        # More members or bytes than the classic end record can count: add the ZIP64 end
        # record and its locator, as zipfile does, and saturate the classic fields.
        chunks.append(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset))
        chunks.append(struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + size, 1))
        count, size, offset = min(count, _ZIP_COUNT_LIMIT), min(size, _ZIP64_LIMIT), min(offset, _ZIP64_LIMIT)
    chunks.append(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, offset, 0))
    return b"".join(chunks)
