"""Write a zip package member by member into a file object, with flat memory.

``package.write_zip`` assembles a whole package in memory, which suits one
filled document. A combined document of thousands of records must not be held
whole: :class:`ZipStream` writes each member's local header and bytes into
``out`` as it comes and spools the central directory records to a temporary
file, so memory stays the size of the largest member being written. Large
members built piece by piece (the main document of a combined package) are
deflated incrementally into a temporary file by :class:`DeflatedSpool` and
copied in when finished. ZIP64 records are added when the counts or offsets
need them, as ``package.write_zip`` does.

Imports neither typer nor rich; never prints.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from typing import IO

from mytypist_cli.errors import UnsafeDocumentError
from mytypist_cli.ooxml.package import Entry

_ZIP64_LIMIT = 0xFFFFFFFF
_ZIP_COUNT_LIMIT = 0xFFFF
_COPY_CHUNK = 1 << 16  # small copies: the peak must not grow with the package
_DEFLATE_LEVEL = 6
_FLAG_UTF8 = 0x800
_DEFLATED = 8


def _dos(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


class DeflatedSpool:
    """A member's bytes deflated as they are written, into a temporary file; CRC and sizes kept."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close/finish)
        self._compressor = zlib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.compressed_size = 0
        self._finished = False

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        chunk = self._compressor.compress(data)
        if chunk:
            self.file.write(chunk)
            self.compressed_size += len(chunk)

    def finish(self) -> None:
        if not self._finished:
            chunk = self._compressor.flush()
            self.file.write(chunk)
            self.compressed_size += len(chunk)
            self._finished = True

    def close(self) -> None:
        self.file.close()


class ZipStream:
    """Members written into ``out`` one after another; ``finish`` writes the central directory."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._offset = 0
        self._count = 0
        self._central: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close/finish)
        self._central_size = 0

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._offset += len(data)

    def _header(
        self,
        name: str,
        date_time: tuple[int, int, int, int, int, int],
        method: int,
        crc: int,
        compressed_size: int,
        size: int,
    ) -> None:
        if compressed_size >= _ZIP64_LIMIT or size >= _ZIP64_LIMIT:
            raise UnsafeDocumentError(f"member {name!r} is too large for a Word document")
        try:
            encoded, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            encoded, flags = name.encode("utf-8"), _FLAG_UTF8
        dos_time, dos_date = _dos(date_time)
        entry = Entry(encoded, flags, method, dos_time, dos_date, crc, b"", size)
        # Entry measures the compressed bytes it holds; this one streams them, so patch the size in.
        local = bytearray(entry.local_header)
        struct.pack_into("<L", local, 18, compressed_size)
        central = bytearray(entry.central_record(self._offset))
        struct.pack_into("<L", central, 20, compressed_size)
        self._central.write(central)
        self._central_size += len(central)
        self._count += 1
        self._write(bytes(local))

    def add(self, entry: Entry) -> None:
        """Write an entry made by ``package.deflated_entry`` / ``stored_entry`` / ``entry_from_member``."""
        self._central.write(entry.central_record(self._offset))
        self._central_size += len(entry.central_record(self._offset))
        self._count += 1
        self._write(entry.local_header)
        self._write(entry.compressed)

    def add_spool(
        self, name: str, date_time: tuple[int, int, int, int, int, int], spool: DeflatedSpool
    ) -> None:
        """Copy a finished :class:`DeflatedSpool` in as the member ``name``."""
        spool.finish()
        self._header(name, date_time, _DEFLATED, spool.crc, spool.compressed_size, spool.size)
        spool.file.seek(0)
        while chunk := spool.file.read(_COPY_CHUNK):
            self._write(chunk)

    def finish(self) -> None:
        """Write the central directory and the end records; the stream is complete after this."""
        start = self._offset
        self._central.seek(0)
        while chunk := self._central.read(_COPY_CHUNK):
            self._write(chunk)
        self._central.close()
        size, offset, count = self._central_size, start, self._count
        if count >= _ZIP_COUNT_LIMIT or size >= _ZIP64_LIMIT or offset >= _ZIP64_LIMIT:
            self._write(
                struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset)
            )
            self._write(struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + size, 1))
            count, size, offset = (
                min(count, _ZIP_COUNT_LIMIT),
                min(size, _ZIP64_LIMIT),
                min(offset, _ZIP64_LIMIT),
            )
        self._write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, offset, 0))

    def discard(self) -> None:
        """Drop the spooled central directory without finishing (the output is left to the caller)."""
        self._central.close()
