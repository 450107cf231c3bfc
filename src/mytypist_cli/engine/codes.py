"""QR codes and barcodes drawn from a value: ``<<ref|qrcode:3cm:H>>``, ``<<sku|barcode:ean13:4cm>>``.

The template names the code and its size; a row's value is drawn as a PNG,
which then goes through the picture pipeline (sizes, headers, cells, stored
once per document when repeated). PNG, not SVG: Word shows an SVG only with a
PNG fallback beside it, and the picture pipeline checks and sizes PNG, JPEG
and GIF. The PNGs are drawn crisp: every module is a whole number of pixels,
at least 4, at 300 dpi, so nothing is smoothed when printed or scanned.

QR codes come from segno (every error-correction level, L, M, Q, H; M when
not given); Code 128, EAN-13 and Code 39 bars from python-barcode, drawn
here module by module with the text under them. A value a code cannot
encode (letters in an EAN-13, a wrong check digit, lower case in Code 39,
text too long for a QR code) raises PictureError, which fails the row naming
the placeholder. segno, barcode and Pillow are imported only when a
template draws a code.

Imports neither typer nor rich.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mytypist_cli.engine.values import raw_value, text_of
from mytypist_cli.errors import PictureError, TemplateSyntaxError

CODE_FILTERS = ("qrcode", "barcode")
QR_LEVELS = ("L", "M", "Q", "H")
BARCODES = ("code128", "ean13", "code39")
DPI = 300
_QR_WIDTH_PX = 354  # 3 cm at 300 dpi: a QR code without a size
_BAR_PX = 4  # pixels per bar module: 0.34 mm at 300 dpi, EAN-13's nominal 0.33 mm
_QUIET_MODULES = 10
_CODE39 = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")


@dataclass(frozen=True)
class CodeSpec:
    """What to draw: ``qrcode`` with its error-correction level, or ``barcode`` with its symbology."""

    kind: str
    option: str


def parse(filters: str, raw: str) -> tuple[CodeSpec, str | None]:
    """``qrcode``, ``qrcode:3cm``, ``qrcode:3cm:H``, ``barcode:code128``, ``barcode:ean13:4cm``.

    Returns the code and the size argument (None when not given). Raises TemplateSyntaxError.
    """
    name, _, argument = filters.partition(":")
    name = name.strip()
    pieces = [piece.strip().strip("\"'") for piece in argument.split(":")] if argument.strip() else []
    if name == "qrcode":
        level = "M"
        size = None
        for piece in pieces:
            if piece.upper() in QR_LEVELS:
                level = piece.upper()
            elif size is None and piece:
                size = piece
            else:
                raise TemplateSyntaxError(
                    f"{raw}: qrcode takes a size and an error-correction level, like qrcode:3cm:H "
                    f"(levels {', '.join(QR_LEVELS)})"
                )
        if size is not None and "x" in size:
            raise TemplateSyntaxError(f"{raw}: a QR code is square; give its width only, like qrcode:3cm")
        return CodeSpec("qrcode", level), size
    if not pieces or pieces[0].lower() not in BARCODES:
        raise TemplateSyntaxError(
            f"{raw}: barcode needs its kind first, like barcode:code128:5cm (kinds: {', '.join(BARCODES)})"
        )
    if len(pieces) > 2:
        raise TemplateSyntaxError(f"{raw}: barcode takes a kind and a size, like barcode:ean13:4cm")
    return CodeSpec("barcode", pieces[0].lower()), (pieces[1] if len(pieces) > 1 else None)


def png(spec: CodeSpec, value: Any) -> bytes:
    """The code for ``value`` as PNG bytes at 300 dpi. Raises PictureError."""
    plain = raw_value(value)
    if isinstance(plain, bytes | bytearray | dict | list | tuple):
        raise PictureError(f"a {'QR code' if spec.kind == 'qrcode' else 'barcode'} needs text or a number")
    text = text_of(plain).strip()
    if not text:
        raise PictureError("there is nothing to encode")
    return _drawn(spec, text)


@lru_cache(maxsize=256)
def _drawn(spec: CodeSpec, text: str) -> bytes:
    if spec.kind == "qrcode":
        return _qr(text, spec.option)
    return _bars(spec.option, text)


def _qr(text: str, level: str) -> bytes:
    import segno
    from PIL import Image

    try:
        code = segno.make(text, error=level, micro=False, boost_error=False)
    except segno.DataOverflowError:
        raise PictureError(f"{len(text):,} characters are too many for a QR code at level {level}") from None
    # segno's own PNG writer is pure Python; Pillow draws the same modules many times faster.
    border = 4
    modules = len(code.matrix) + 2 * border
    scale = max(4, round(_QR_WIDTH_PX / modules))
    light = bytearray(b"\xff" * (modules * modules))
    for y, row in enumerate(code.matrix):
        start = (y + border) * modules + border
        light[start : start + len(row)] = bytes(0 if dark else 255 for dark in row)
    image = Image.frombytes("L", (modules, modules), bytes(light))
    image = image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST).convert("1")
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def _checked_text(kind: str, text: str) -> str:
    """The text the barcode encodes, or PictureError saying why it cannot be one."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    if kind == "ean13":
        if not text.isdigit() or not text.isascii():
            raise PictureError(f'"{shown}" is not an EAN-13 number: it may hold digits only')
        if len(text) not in (12, 13):
            raise PictureError(
                f'"{shown}" is not an EAN-13 number: it needs 12 digits, or 13 with the check digit'
            )
        digits = [int(d) for d in text[:12]]
        check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
        if len(text) == 13 and int(text[12]) != check:
            raise PictureError(f'"{shown}" has a wrong EAN-13 check digit (it should end in {check})')
        return text[:12]
    if kind == "code39":
        wrong = sorted({char for char in text if char not in _CODE39})
        if wrong:
            hint = " (Code 39 has capital letters only)" if any(c.islower() for c in wrong) else ""
            raise PictureError(f'"{shown}" cannot be a Code 39 barcode: {"".join(wrong)!r} not allowed{hint}')
        return text
    wrong = sorted({char for char in text if not " " <= char <= "~"})
    if wrong:
        raise PictureError(f'"{shown}" cannot be a Code 128 barcode: {"".join(wrong)!r} is not plain ASCII')
    return text


def _bars(kind: str, text: str) -> bytes:
    import barcode  # type: ignore[import-untyped]
    from barcode.errors import BarcodeError  # type: ignore[import-untyped]
    from PIL import Image, ImageDraw, ImageFont

    encoded = _checked_text(kind, text)
    try:
        if kind == "code39":
            symbol = barcode.get_barcode_class(kind)(encoded, add_checksum=False)
        else:
            symbol = barcode.get_barcode_class(kind)(encoded)
        pattern = "".join(symbol.build())
        shown = symbol.get_fullcode() if kind == "ean13" else text
    except BarcodeError as exc:
        raise PictureError(f'"{text}" cannot be a {kind} barcode ({exc})') from None
    quiet = _QUIET_MODULES * _BAR_PX
    width = len(pattern) * _BAR_PX + 2 * quiet
    bar_height = max(60 * _BAR_PX, width // 4)
    font_px = 11 * _BAR_PX
    height = bar_height + font_px + 4 * _BAR_PX
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    for index, module in enumerate(pattern):
        if module == "1":
            left = quiet + index * _BAR_PX
            draw.rectangle((left, 0, left + _BAR_PX - 1, bar_height - 1), fill=0)
    font_path = barcode.writer.ImageWriter().font_path  # python-barcode's own DejaVu Sans Mono
    font = ImageFont.truetype(font_path, font_px)
    draw.text((width // 2, bar_height + _BAR_PX), shown, font=font, fill=0, anchor="ma")
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()
