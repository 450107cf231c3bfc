"""Render compiled nodes that contain sections: lists repeat, conditions show or hide.

Names inside a list resolve first in the item, then outside it; ``<<.>>`` is
the item itself. Falsy values are: missing, ``null``, empty text, an empty
list or object, ``false``, zero, and the texts ``false``, ``no`` and ``0`` in
any case (data from CSV is text). A condition (``<<?x>>``, ``<<^x>>``) on a
missing name is false, never a missing-field error. A list (``<<#x>>``) whose
name has no value (absent or ``null``) is missing, as a value is: it is
reported in ``missing``, renders nothing, or with ``keep`` its content once
with the placeholders inside as written (names inside are then not reported
as well); an empty list ``[]`` is a list with no items.

Imports neither typer nor rich.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mytypist_cli.engine import codes, richtext
from mytypist_cli.engine.field_pictures import if_holds
from mytypist_cli.engine.filters import DEFAULT_LOCALE, Chain, display_text
from mytypist_cli.engine.pictures import PictureBook
from mytypist_cli.engine.values import MISSING, Row, raw_value, text_of
from mytypist_cli.errors import PictureError, RenderError
from mytypist_cli.ooxml.compiler import (
    CheckboxSlot,
    ImageSlot,
    NewId,
    Node,
    NumRef,
    Once,
    RichProps,
    RichSlot,
    Section,
    Slot,
)

_FALSE_TEXTS = frozenset({"", "false", "no", "0"})


class _Item:
    """A list item that is not an object: only ``<<.>>`` reads it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


Scope = Row | _Item


def lookup(scopes: list[Scope], name: str) -> Any:
    """The value of ``name`` from the innermost scope that has it, or MISSING."""
    if name == ".":
        for scope in reversed(scopes):
            if isinstance(scope, _Item):
                return scope.value
        return MISSING
    for scope in reversed(scopes):
        if isinstance(scope, Row):
            value = scope.lookup(name)
            if value is not MISSING:
                return value
    return MISSING


def truthy(value: Any) -> bool:
    """Whether a condition holds (see the module docstring for what is falsy)."""
    if value is MISSING or value is None or value is False:
        return False
    if isinstance(value, str):
        return value.strip().casefold() not in _FALSE_TEXTS
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, Mapping | list | tuple):
        return len(value) > 0
    return True


class SectionRenderer:
    """Walks nodes for one document, resolving values per scope and counting missing and blank names."""

    def __init__(
        self,
        *,
        chains: dict[str, Chain],
        texts: dict[tuple[str, str], str],
        keep: bool,
        encode: Callable[[str, str], bytes],
        next_id: Callable[[], int],
        pictures: PictureBook | None = None,
        locale: str = DEFAULT_LOCALE,
        rich: richtext.RichBook | None = None,
    ) -> None:
        self._chains = chains
        self._locale = locale  # for values that show by locale without a filter (an Excel short date)
        self._texts = texts  # values of names outside any section, computed once per row
        self._keep = keep
        self._encode = encode
        self._next_id = next_id
        self._pictures = pictures
        self._rich = rich
        self._blocks: dict[int, list[richtext.Block]] = {}  # made by a RichProps, written by its RichSlot
        self._nums: dict[str, str] = {}  # a list restarted in the current item -> the item's own numId
        self._shown: set[Once] = set()  # comment anchors and bookmarks already written once
        self._absent = 0  # > 0 while rendering the content of a missing list kept as written
        self.missing: dict[str, None] = {}
        self.blank: dict[str, None] = {}

    def render(self, nodes: tuple[Node, ...] | list[Node], scopes: list[Scope], out: list[bytes]) -> None:
        """Append the bytes of ``nodes`` rendered in ``scopes`` to ``out``. Raises RenderError."""
        for node in nodes:
            if isinstance(node, bytes):
                out.append(node)
            elif isinstance(node, Slot):
                out.append(self._encode(self._text(node, scopes), node.prefix))
            elif isinstance(node, Section):
                self._section(node, scopes, out)
            elif isinstance(node, ImageSlot):
                self._picture(node, scopes, out)
            elif isinstance(node, NewId):
                out.append(str(self._next_id()).encode())
            elif isinstance(node, Once) and node not in self._shown:
                self._shown.add(node)
                out.append(node.markup)
            elif isinstance(node, CheckboxSlot):
                text = self._text(node, scopes)  # type: ignore[arg-type]  # a Slot's name, filters, raw
                ticked = text == richtext.CHECKED
                if node.state:
                    out.append(b"1" if ticked else b"0")
                else:
                    shown = node.checked if ticked else node.unchecked if text == richtext.UNCHECKED else text
                    out.append(self._encode(shown, node.prefix))
            elif isinstance(node, NumRef):
                out.append(self._nums.get(node.num, node.num).encode())
            elif isinstance(node, RichSlot):
                self._rich_runs(node, scopes, out)
            elif isinstance(node, RichProps):
                self._rich_props(node.slot, scopes, out)

    def _text(self, slot: Slot, scopes: list[Scope]) -> str:
        if len(scopes) == 1:
            known = self._texts.get((slot.name, slot.filters))
            if known is not None:
                return known
        chain = self._chains.get(slot.filters) if slot.filters else None
        text = display_text(lookup(scopes, slot.name), chain, slot.name, slot.raw, locale=self._locale)
        if text is None:
            self._miss(slot.name)
            return slot.raw if self._keep else ""
        if not text:
            self.blank[slot.name] = None
        return text

    def _picture(self, slot: ImageSlot, scopes: list[Scope], out: list[bytes]) -> None:
        value = lookup(scopes, slot.name)
        if value is MISSING:
            self._miss(slot.name)
            if self._keep:
                out.append(
                    f"<{slot.prefix}r>".encode() + self._encode_run(slot) + f"</{slot.prefix}r>".encode()
                )
            return
        if value == "":
            self.blank[slot.name] = None
            return
        assert self._pictures is not None, "a template with pictures renders with a PictureBook"
        try:
            name = None
            if slot.code is not None:
                drawn = codes.png(slot.code, value)  # checks the value can be a code first
                shown = "".join(char for char in text_of(raw_value(value)) if char.isprintable())
                name = f"{'QR code' if slot.code.kind == 'qrcode' else 'Barcode'}: {shown}"
                value = drawn
            out.append(
                self._pictures.run(
                    value=value,
                    name=name,
                    part=slot.part,
                    prefix=slot.prefix,
                    strict=slot.strict,
                    size=slot.size,
                    drawing_id=self._next_id(),
                    max_width=slot.max_width,
                )
            )
        except PictureError as exc:
            raise RenderError(f"{slot.raw}: {exc}") from None

    def _rich_blocks(self, slot: RichSlot, scopes: list[Scope]) -> list[richtext.Block]:
        """The paragraphs a markdown or link value makes (one for a link). Raises RenderError."""
        text: str | None = None
        if len(scopes) == 1:
            text = self._texts.get((slot.name, slot.filters))
        if text is None:
            chain = self._chains.get(slot.filters)
            text = display_text(lookup(scopes, slot.name), chain, slot.name, slot.raw, locale=self._locale)
        if text is None:
            self._miss(slot.name)
            return [richtext.Block(None, richtext.plain_run(slot, slot.raw))] if self._keep else []
        if not text:
            self.blank[slot.name] = None
            return []
        assert self._rich is not None, "a template with markdown or links renders with a RichBook"
        if slot.kind == "link":
            return [richtext.Block(None, richtext.link_runs(slot, text, self._rich))]
        try:
            blocks = richtext.markdown_blocks(slot, text, self._rich)
        except RenderError as exc:
            raise RenderError(f"{slot.raw}: {exc}") from None
        if not slot.paragraph:
            if len(blocks) > 1 or any(block.ppr is not None for block in blocks):
                raise RenderError(f"{slot.raw}: the value {richtext.MULTI_PARAGRAPH}")
        elif slot.sectioned and blocks and blocks[-1].ppr is not None:
            blocks.append(richtext.Block(None, b""))  # the page section ends in a paragraph of its own
        return blocks

    def _rich_props(self, slot: RichSlot, scopes: list[Scope], out: list[bytes]) -> None:
        blocks = self._blocks[id(slot)] = self._rich_blocks(slot, scopes)
        if not blocks:
            out.append(slot.ppr_last)
            return
        first = blocks[0].ppr
        out.append(first if first is not None else slot.ppr_last if len(blocks) == 1 else slot.ppr_own)

    def _rich_runs(self, slot: RichSlot, scopes: list[Scope], out: list[bytes]) -> None:
        if slot.paragraph and id(slot) in self._blocks:
            blocks = self._blocks.pop(id(slot))
        else:
            blocks = self._rich_blocks(slot, scopes)
        if not blocks:
            return
        out.append(blocks[0].runs)
        between = f"</{slot.prefix}p><{slot.prefix}p>".encode()
        last = len(blocks) - 1
        for number, block in enumerate(blocks[1:], start=1):
            ppr = block.ppr if block.ppr is not None else slot.ppr_last if number == last else slot.ppr_own
            out.append(between + ppr + block.runs)

    def _miss(self, name: str) -> None:
        if not self._absent:
            self.missing[name] = None

    def _encode_run(self, slot: ImageSlot) -> bytes:
        return (
            f'<{slot.prefix}t xml:space="preserve">'.encode()
            + self._encode(slot.raw, slot.prefix)
            + (f"</{slot.prefix}t>".encode())
        )

    def _section(self, section: Section, scopes: list[Scope], out: list[bytes]) -> None:
        value = lookup(scopes, section.name)
        # A Word IF field's test is written on its section (sections of << >> take no filters).
        if section.filters:  # other merge fields the test compares are read from the same scopes
            holds = if_holds(value, section.filters, lambda name: lookup(scopes, name), locale=self._locale)
        else:
            holds = truthy(value)
        if section.sigil == "?":
            if holds:
                self.render(section.children, scopes, out)
        elif section.sigil == "^":
            if not holds:
                self.render(section.children, scopes, out)
        elif value is MISSING:
            self._miss(section.name)
            if self._keep:
                self._absent += 1
                try:
                    self.render(section.children, scopes, out)
                finally:
                    self._absent -= 1
        elif isinstance(value, list | tuple):
            saved = {number: self._nums.get(number) for number in section.restarts}
            for item in value:
                scope = Row(item) if isinstance(item, Mapping) else _Item(item)
                if section.restarts and self._rich is not None:
                    for number in section.restarts:
                        fresh = self._rich.restart(number)
                        if fresh is not None:
                            self._nums[number] = fresh
                self.render(section.children, [*scopes, scope], out)
            for number, before in saved.items():
                if before is None:
                    self._nums.pop(number, None)
                else:
                    self._nums[number] = before
        elif isinstance(value, Mapping):
            self.render(section.children, [*scopes, Row(value)], out)
        elif truthy(value):
            self.render(section.children, scopes, out)
