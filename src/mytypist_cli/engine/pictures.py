"""Pictures for ``<<photo|image>>`` and ``<<signature|image:4cm>>``: load, check, size, draw.

A value is a path (relative paths resolve against a base folder, the data
file's, and may not leave it), a ``data:`` URI, or base64 text. Pillow
checks that the bytes are a whole PNG, JPEG or GIF and reads its size and
resolution; it is imported only when a template has a picture.

Imports neither typer nor rich.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mytypist_cli.errors import PictureError, TemplateSyntaxError
from mytypist_cli.ooxml.names import (
    DRAWING_NAMESPACES,
    DRAWING_STRICT_NAMESPACES,
    EMU_PER_INCH,
    IMAGE_RELATIONSHIP,
    IMAGE_RELATIONSHIP_STRICT,
)

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Default cap on one picture's size in bytes."""
_UNITS = {"cm": EMU_PER_INCH / 2.54, "mm": EMU_PER_INCH / 25.4, "in": EMU_PER_INCH, "px": EMU_PER_INCH / 96}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(cm|mm|in|px)\s*(?:x\s*(\d+(?:\.\d+)?)\s*(cm|mm|in|px)\s*)?$")
_EXTENSIONS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif"}  # Pillow's format name -> the file's extension
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


@dataclass(frozen=True)
class SizeSpec:
    """The size written in the template; a missing height keeps the aspect ratio."""

    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Picture:
    data: bytes
    extension: str
    width_px: int
    height_px: int
    dpi: tuple[float, float]
    sha256: str

    def natural_size(self) -> tuple[int, int]:
        """Width and height in EMU at the picture's own resolution (96 dpi when it has none)."""
        dpi_x, dpi_y = self.dpi
        return round(self.width_px / dpi_x * EMU_PER_INCH), round(self.height_px / dpi_y * EMU_PER_INCH)


def parse_size(argument: str | None, raw: str) -> SizeSpec:
    """``4cm``, ``4cmx2cm``, ``2in``, ``50mm``, ``300px`` (or nothing). Raises TemplateSyntaxError."""
    if argument is None:
        return SizeSpec()
    match = _SIZE.match(argument)
    if not match:
        raise TemplateSyntaxError(
            f"{raw}: image size {argument!r} should look like 4cm, 4cmx2cm, 2in, 50mm or 300px"
        )
    width = round(float(match.group(1)) * _UNITS[match.group(2)])
    height = round(float(match.group(3)) * _UNITS[match.group(4)]) if match.group(3) else None
    if width <= 0 or (height is not None and height <= 0):
        raise TemplateSyntaxError(f"{raw}: an image size must be more than zero")
    return SizeSpec(width, height)


def fitted_size(picture: Picture, spec: SizeSpec, max_width: int) -> tuple[int, int]:
    """The size to draw at: the template's, else natural, scaled down (never up) to ``max_width``."""
    natural_width, natural_height = picture.natural_size()
    ratio = natural_height / natural_width if natural_width else 1.0
    if spec.width is not None:
        return spec.width, spec.height if spec.height is not None else max(1, round(spec.width * ratio))
    if natural_width > max_width > 0:
        return max_width, max(1, round(max_width * ratio))
    return max(1, natural_width), max(1, natural_height)


def read_picture(
    value: Any,
    *,
    base_dir: Path | None,
    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
    cache: dict[bytes, Picture] | None = None,
) -> Picture:
    """Load and check a picture from a path, a data: URI or base64 text. Raises PictureError.

    ``cache`` (by the bytes' sha256) spares decoding the same signature on every row.
    """
    if isinstance(value, bytes | bytearray):
        data = bytes(value)
    elif isinstance(value, str) and value.strip():
        data = _bytes_from_text(value.strip(), base_dir, max_bytes)
    else:
        raise PictureError("an image needs a file path, a data: URI or base64 text")
    if len(data) > max_bytes:
        raise PictureError(f"the image is {len(data):,} bytes, more than the {max_bytes:,} allowed")
    if cache is None:
        return _checked(data)
    digest = hashlib.sha256(data).digest()
    picture = cache.get(digest)
    if picture is None:
        if len(cache) >= 64:
            cache.clear()  # a bound, not an LRU: batches reuse a handful of pictures
        picture = cache[digest] = _checked(data)
    return picture


def _bytes_from_text(text: str, base_dir: Path | None, max_bytes: int) -> bytes:
    if text.startswith("data:"):
        header, _, payload = text.partition(",")
        if ";base64" not in header:
            raise PictureError("a data: URI for an image must be base64 (data:image/png;base64,...)")
        return _decode_base64(payload, max_bytes)
    if len(text) > 256 and _BASE64.match(text):
        return _decode_base64(text, max_bytes)
    if "\0" in text:
        raise PictureError(f"{text!r}: an image path cannot contain a NUL character")
    try:
        path = Path(text).expanduser()
    except RuntimeError:  # ~nosuchuser/...: no such user, so no home folder to expand
        raise PictureError(f"{text}: no such user's home folder") from None
    if not path.is_absolute():
        base = (base_dir or Path.cwd()).resolve()
        path = (base / path).resolve()
        if not path.is_relative_to(base):
            raise PictureError(f"{text}: a relative image path may not leave the data's folder ({base})")
    return _read_regular_file(path, text, max_bytes)


def _read_regular_file(path: Path, text: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``. Raises PictureError.

    Opened without blocking (a FIFO would wait for a writer forever) and
    checked with fstat before reading, so a device (/dev/zero, /dev/urandom)
    or a FIFO is refused; at most ``max_bytes + 1`` bytes are read, in case
    the file grows between the fstat and the read.
    """
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise PictureError(f"{text}: no such image file") from None
    except IsADirectoryError:
        raise PictureError(f"{text}: is a folder, not an image") from None
    except (OSError, ValueError) as exc:
        raise PictureError(
            f"{text}: cannot read the image ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    try:
        with os.fdopen(descriptor, "rb", buffering=0) as file:
            descriptor = -1
            info = os.fstat(file.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise PictureError(f"{text}: is a folder, not an image")
            if not stat.S_ISREG(info.st_mode):
                raise PictureError(
                    f"{text}: not a regular file (a device, a pipe or a socket), so not an image"
                )
            if info.st_size > max_bytes:
                raise PictureError(
                    f"{text}: the image is {info.st_size:,} bytes, more than the {max_bytes:,} allowed"
                )
            chunks: list[bytes] = []
            left = max_bytes + 1
            while left > 0:
                chunk = file.read(min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            data = b"".join(chunks)
    except IsADirectoryError:
        raise PictureError(f"{text}: is a folder, not an image") from None
    except OSError as exc:
        raise PictureError(f"{text}: cannot read the image ({exc.strerror or exc})") from None
    finally:
        if descriptor != -1:
            os.close(descriptor)
    if len(data) > max_bytes:
        raise PictureError(f"{text}: the image is more than the {max_bytes:,} bytes allowed")
    return data


def _decode_base64(payload: str, max_bytes: int) -> bytes:
    # Base64 is 4/3 of the bytes: longer text is too large an image, refused before decoding.
    if len(payload) > (max_bytes + 2) // 3 * 4 + len(payload) // 64 + 4096:
        raise PictureError(f"the image's base64 text is longer than the {max_bytes:,} bytes allowed")
    try:
        return base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise PictureError("the image's base64 text is damaged") from None


def _checked(data: bytes) -> Picture:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                width, height = image.size
                dpi = image.info.get("dpi")
                image.load()  # decodes it all: a truncated or damaged file fails here, not in Word
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureError("not a PNG, JPEG or GIF image (or one too large to open safely)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PictureError(f"the image is damaged ({exc})") from None
    if kind not in _EXTENSIONS:
        raise PictureError(f"a {kind or 'unknown'} image; use PNG, JPEG or GIF")
    resolution = (96.0, 96.0)
    if isinstance(dpi, tuple) and len(dpi) == 2 and all(isinstance(d, int | float) and d >= 1 for d in dpi):
        # PNG stores dots per metre: 96 dpi comes back as 96.012. Whole dpi is what was meant.
        resolution = (float(round(dpi[0])), float(round(dpi[1])))
    return Picture(data, _EXTENSIONS[kind], width, height, resolution, hashlib.sha256(data).hexdigest())


def drawing_xml(
    *, prefix: str, strict: bool, rid: str, drawing_id: int, size: tuple[int, int], name: str
) -> bytes:
    """An inline picture (``w:drawing``) as Word writes one, with its namespaces declared on it."""
    ns = DRAWING_STRICT_NAMESPACES if strict else DRAWING_NAMESPACES
    cx, cy = size
    declarations = " ".join(f'xmlns:{key}="{uri}"' for key, uri in ns.items())
    safe_name = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (
        f'<{prefix}drawing><wp:inline {declarations} distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{drawing_id}" name="Picture {drawing_id}" descr="{safe_name}"/>'
        '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
        f'<a:graphic><a:graphicData uri="{ns["pic"]}"><pic:pic>'
        f'<pic:nvPicPr><pic:cNvPr id="{drawing_id}" name="{safe_name}"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
        f"</pic:pic></a:graphicData></a:graphic></wp:inline></{prefix}drawing>"
    ).encode()


class PictureBook:
    """The pictures of one document: each stored once, with a relationship per part that shows it."""

    def __init__(
        self,
        *,
        base_dir: Path | None,
        max_bytes: int,
        cache: dict[bytes, Picture],
        text_width: int,
        taken_ids: dict[str, set[str]],
    ) -> None:
        self._base_dir = base_dir
        self._max_bytes = max_bytes
        self._cache = cache
        self._text_width = text_width
        self._taken = taken_ids  # relationship ids each part's .rels already uses
        self.media: dict[str, tuple[str, Picture]] = {}  # sha256 -> (member name, picture)
        self.relationships: dict[str, dict[str, str]] = {}  # part -> sha256 -> relationship id

    def run(
        self,
        *,
        value: Any,
        part: str,
        prefix: str,
        strict: bool,
        size: SizeSpec,
        drawing_id: int,
        max_width: int | None = None,
        name: str | None = None,
    ) -> bytes:
        """A run holding the picture for ``value``; without a size it fits ``max_width`` (EMU).

        Raises PictureError.
        """
        picture = read_picture(value, base_dir=self._base_dir, max_bytes=self._max_bytes, cache=self._cache)
        if picture.sha256 not in self.media:
            self.media[picture.sha256] = (
                f"word/media/mytypist-{picture.sha256[:16]}.{picture.extension}",
                picture,
            )
        ids = self.relationships.setdefault(part, {})
        rid = ids.get(picture.sha256)
        if rid is None:
            taken = self._taken.get(part, set())
            number = len(ids) + 1
            while f"rIdMt{number}" in taken:
                number += 1
            rid = ids[picture.sha256] = f"rIdMt{number}"
        if name is None:  # what Word shows as its alternative text: the file's name
            shown = (
                value if isinstance(value, str) and not value.startswith("data:") and len(value) < 200 else ""
            )
            name = Path(shown).name if shown else "picture"
        elif len(name) > 200:
            name = name[:197] + "..."
        drawing = drawing_xml(
            prefix=prefix,
            strict=strict,
            rid=rid,
            drawing_id=drawing_id,
            size=fitted_size(picture, size, max_width or self._text_width),
            name=name,
        )
        return f"<{prefix}r>".encode() + drawing + f"</{prefix}r>".encode()

    def relationship_xml(self, part: str, strict: bool) -> bytes:
        """The <Relationship> elements ``part`` needs for its pictures."""
        kind = IMAGE_RELATIONSHIP_STRICT if strict else IMAGE_RELATIONSHIP
        folder = part.rsplit("/", 1)[0]
        chunks = []
        for sha, rid in self.relationships.get(part, {}).items():
            member = self.media[sha][0]
            target = member[len(folder) + 1 :] if member.startswith(folder + "/") else "/" + member
            chunks.append(f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>')
        return "".join(chunks).encode()
