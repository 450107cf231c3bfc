"""Word mail-merge fields (MERGEFIELD, IF, MERGEREC, MERGESEQ, NEXT) turned into the engine's tags.

Runs once per story part when a template opens with the mergefield syntax,
before :func:`~mytypist_cli.ooxml.compiler.compile_part` reads paragraphs:
each field Word writes, as a simple field (``w:fldSimple``) or as a complex one
(``w:fldChar`` begin, ``w:instrText`` over any number of runs, separate, the
result runs, end), is replaced by one run in its result's formatting whose
text holds private-use tokens. :func:`scan_fields` reads those tokens back as
:class:`~mytypist_cli.engine.syntax.Tag` objects, so merge fields compile to the
same slots and sections as ``<<name>>``: a MERGEFIELD is a value whose filter
chain is its switches, an IF two inline sections (``?`` and ``^``) whose test
is written on the section. The field code is gone from the output.

A field after the k-th NEXT reads record k of the document's group: its name
is prefixed (``record_name``) and :func:`merge_records` lays out a group's
records so that name finds them. Fields that merge needs but mytypist does not
run (ASK, FILLIN, SKIPIF, ...) become problems; every other field (PAGE,
DATE, REF, TOC) stays as Word wrote it.

Imports neither typer nor rich.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from mytypist_cli.engine.field_pictures import (
    OPERATORS,
    Operand,
    comparison,
    compile_switches,
    condition,
    formats,
    split_instruction,
    unquoted,
)
from mytypist_cli.engine.syntax import Stray, Tag, normalise_name
from mytypist_cli.errors import FilterSyntaxError, TemplateSyntaxError

TOKEN_OPEN, TOKEN_CLOSE = "\U00100000", "\U00100001"
_TOKEN = re.compile(f"{TOKEN_OPEN}(\\d+){TOKEN_CLOSE}")
RECORD = "\u2060record"
"""The key the record number (MERGEREC, MERGESEQ) is found under."""
_PREFIX = "\u2060"
UNSUPPORTED = frozenset(
    {"ASK", "FILLIN", "SKIPIF", "NEXTIF", "DATABASE", "INCLUDETEXT", "INCLUDEPICTURE", "SET"}
    | {"ADDRESSBLOCK", "GREETINGLINE", "MERGEBARCODE", "COMPARE"}
)
"""Fields a mail merge runs that mytypist does not: reported, left as they are."""
_MERGE_WORDS = re.compile(rb"MERGEFIELD", re.IGNORECASE)


_INSTRUCTION = re.compile(rb"<(?:\w+:)?instrText\b[^>]*>([^<]*)<")


def has_merge_fields(data: bytes) -> bool:
    """Whether a part's bytes hold a MERGEFIELD, its code split over runs or not (cheap: no parsing)."""
    if _MERGE_WORDS.search(data) is not None:
        return True
    if b"instrText" not in data:
        return False
    return _MERGE_WORDS.search(b"".join(_INSTRUCTION.findall(data))) is not None


def record_name(record: int, name: str) -> str:
    """The name a field after ``record`` NEXT fields is looked up by."""
    return f"{_PREFIX}{record}.{name}" if record else name


def column_of(name: str) -> str | None:
    """The data column a looked-up name stands for; None for the record number."""
    if name == RECORD:
        return None
    if name.startswith(_PREFIX):
        rest = name.split(".", 1)[1]
        return None if rest == RECORD else rest
    return name


class _Blank(dict[str, Any]):
    """Stands for a record past the end of the data on the last sheet of labels: every field empty."""

    def __contains__(self, key: object) -> bool:
        return True

    def get(self, key: str, default: Any = None) -> Any:
        return ""


def merge_records(
    records: Sequence[Mapping[str, Any]], first_number: int, per_document: int
) -> dict[str, Any]:
    """The values one document of ``per_document`` records reads (see :func:`record_name`).

    Records past the end of the data (the last sheet) read as empty, as Word leaves them.
    """
    merged: dict[str, Any] = {**records[0], RECORD: first_number}
    for index in range(1, per_document):
        if index < len(records):
            merged[f"{_PREFIX}{index}"] = {**records[index], RECORD: first_number + index}
        else:
            merged[f"{_PREFIX}{index}"] = _Blank()
    return merged


@dataclass(frozen=True)
class FieldTag(Tag):
    """A tag that a Word field became."""

    field_name: str = ""
    """The field's name as written (``First Name``), for messages."""


@dataclass
class _Field:
    """One field: its instruction (text and nested fields) and the runs it takes up."""

    instruction: list[str | _Field] = field(default_factory=list)
    runs: list[etree._Element] = field(default_factory=list)
    result_runs: list[etree._Element] = field(default_factory=list)
    in_result: bool = False
    simple: etree._Element | None = None

    @property
    def keyword(self) -> str:
        first = self.instruction[0] if self.instruction and isinstance(self.instruction[0], str) else ""
        words = first.split()
        return words[0].upper() if words else ""

    def text(self) -> str:
        return "".join(piece for piece in self.instruction if isinstance(piece, str))


@dataclass
class Rewritten:
    """What rewriting one part's fields found."""

    tags: dict[int, FieldTag]
    problems: list[tuple[int, str]]
    """(paragraph index, message) for fields left as they are."""
    next_fields: int = 0
    """NEXT fields in the part."""
    uses_record: bool = False


class _Writer:
    def __init__(self, names: Any) -> None:
        self.names = names
        self.tags: dict[int, FieldTag] = {}
        self.record = 0  # NEXT fields met so far: fields after k of them read record k
        self.problems: list[tuple[int, str]] = []
        self.uses_record = False

    def token(self, tag: FieldTag) -> str:
        number = len(self.tags)
        self.tags[number] = tag
        return f"{TOKEN_OPEN}{number}{TOKEN_CLOSE}"

    def value(self, name: str, switches: str) -> str:
        shown = normalise_name(name)
        looked_up = record_name(self.record, shown)
        raw = f"\u00ab{name}\u00bb"
        return self.token(FieldTag(0, 0, raw, looked_up, "", switches.strip(), field_name=name))

    def record_number(self, keyword: str) -> str:
        self.uses_record = True
        name = record_name(self.record, RECORD)
        return self.token(FieldTag(0, 0, f"{{{keyword}}}", name, "", "", field_name=keyword))

    def tokens(self, node: _Field, paragraph: int) -> str | None:
        """The token text a field becomes, or None to leave it as it is."""
        keyword = node.keyword
        if keyword == "MERGEFIELD":
            named = _name_and_switches(node)
            if named is None:
                self.problems.append((paragraph, "a MERGEFIELD without a field name; left as it is"))
                return None
            return self.value(*named)
        if keyword in ("MERGEREC", "MERGESEQ"):
            return self.record_number(keyword)
        if keyword == "NEXT":
            self.record += 1
            return ""
        if keyword == "IF":
            return self._if(node, paragraph)
        if keyword in UNSUPPORTED:
            self.problems.append((paragraph, f"the {keyword} field is not run by mytypist; left as it is"))
        return None

    def _if(self, node: _Field, paragraph: int) -> str | None:
        words = _instruction_words(node.instruction)
        if words and words[0] == ["IF"]:
            words = words[1:]
        if len(words) < 3:
            self.problems.append((paragraph, "an IF field mytypist cannot read; left as it is"))
            return None
        left, operator_word, right = words[0], words[1], words[2]
        operator = "".join(piece for piece in operator_word if isinstance(piece, str))
        left_side, right_side = self._operand(left), self._operand(right)
        if operator not in OPERATORS or left_side is None or right_side is None:
            self.problems.append(
                (paragraph, "an IF field that does not compare merge fields and text; left as it is")
            )
            return None
        fields = [piece[0] for piece in (*left_side, *right_side) if isinstance(piece, tuple)]
        if not fields:
            self.problems.append((paragraph, "an IF field that compares no MERGEFIELD; left as it is"))
            return None
        looked_up = fields[0]
        name = looked_up.removeprefix(record_name(self.record, ""))
        if left_side == [(looked_up,)] and all(isinstance(piece, str) for piece in right_side):
            expected = "".join(piece for piece in right_side if isinstance(piece, str))
            test = condition(operator, expected)
            raw = f"{{IF {name} {operator} {expected!r}}}"
        else:
            # The other fields are read through the renderer's lookup; each is also named by an
            # empty section on it, so extract lists it and a batch feeds it.
            test = comparison(left_side, operator, right_side)
            raw = "{" + test + "}"
        out: list[str] = []
        for sigil, result in (
            ("?", words[3] if len(words) > 3 else []),
            ("^", words[4] if len(words) > 4 else []),
        ):
            text = self._result(result, paragraph)
            if text is None:
                return None
            if not text:
                continue
            out.append(self.token(FieldTag(0, 0, raw, looked_up, sigil, test, field_name=name)))
            out.append(text)
            out.append(self.token(FieldTag(0, 0, raw, looked_up, "/", "", field_name=name)))
        for other in dict.fromkeys(fields[1:]):
            if other != looked_up:
                shown = other.removeprefix(record_name(self.record, ""))
                out.append(self.token(FieldTag(0, 0, raw, other, "?", test, field_name=shown)))
                out.append(self.token(FieldTag(0, 0, raw, other, "/", "", field_name=shown)))
        return "".join(out)

    def _operand(self, word: list[str | _Field]) -> Operand | None:
        """One side of an IF comparison: its text and merge fields, or None when it holds another field."""
        pieces: Operand = []
        for index, piece in enumerate(word):
            if isinstance(piece, str):
                text = piece[1:] if index == 0 and piece.startswith('"') else piece
                if text:
                    pieces.append(text)
                continue
            if piece.keyword != "MERGEFIELD":
                return None
            named = _name_and_switches(piece)
            if named is None:
                return None
            name, switches = normalise_name(named[0]), named[1]
            looked_up = record_name(self.record, name)
            # Word compares what the field shows: { MERGEFIELD fee \# "0.00" } is "10.00" for 10.
            if not formats(switches):
                pieces.append((looked_up,))
            elif "\u00bb" in switches or " \\" in name:
                return None  # cannot be written in a test: left as it is, with a warning
            else:
                try:
                    compile_switches(switches)  # a bad switch fails at open, as outside an IF
                except FilterSyntaxError as exc:
                    where = f"{{MERGEFIELD {name} {switches}}} in an IF field"
                    raise TemplateSyntaxError(f"{where}: {exc}") from None
                pieces.append((looked_up, switches))
        return pieces

    def _result(self, pieces: list[str | _Field], paragraph: int) -> str | None:
        out: list[str] = []
        for index, piece in enumerate(pieces):
            if isinstance(piece, str):
                text = piece[1:] if index == 0 and piece.startswith('"') else piece
                out.append(text)
            else:
                tokens = self.tokens(piece, paragraph)
                if tokens is None:
                    out.append(_shown_result(piece))
                else:
                    out.append(tokens)
        return "".join(out)


def _name_and_switches(node: _Field) -> tuple[str, str] | None:
    """A MERGEFIELD's field name (unquoted) and its switches as written; None when it names no field."""
    words = node.text().split(None, 1)
    rest = words[1].strip() if len(words) > 1 else ""
    parts = split_instruction(rest)
    if not parts or parts[0].startswith("\\"):
        return None
    return unquoted(parts[0]).strip(), rest[len(_first_word(rest)) :].strip()


def _first_word(text: str) -> str:
    words = split_instruction(text)
    if not words:
        return ""
    # The name as written, quotes included: find where the first word ends in the text.
    if text.startswith(("\u201c", '"', "\u201d")):
        closing = '"' if text[0] == '"' else "\u201d"
        end = text.find(closing, 1)
        return text[: end + 1] if end >= 0 else text
    return text.split(None, 1)[0]


def _shown_result(node: _Field) -> str:
    return "".join(
        "".join(t.text or "" for t in run.iter() if t.tag.endswith("}t")) for run in node.result_runs
    )


def _instruction_words(instruction: list[str | _Field]) -> list[list[str | _Field]]:
    """Split an instruction into words: quoted text (with nested fields inside) is one word."""
    words: list[list[str | _Field]] = []
    current: list[str | _Field] = []
    quote: str | None = None
    for piece in instruction:
        if isinstance(piece, _Field):
            current.append(piece)
            continue
        index = 0
        while index < len(piece):
            char = piece[index]
            if quote is not None:
                if char == "\\" and index + 1 < len(piece) and piece[index + 1] in '"\\':
                    current.append(piece[index + 1])
                    index += 2
                    continue
                if char == quote:
                    quote = None
                    words.append(current)
                    current = []
                else:
                    current.append(char)
            elif char in '"\u201c\u201d':
                if current:
                    words.append(current)
                quote = '"' if char == '"' else "\u201d"
                current = ['"']
            elif char.isspace():
                if current:
                    words.append(current)
                    current = []
            else:
                current.append(char)
            index += 1
    if current:
        words.append(current)
    return [_joined(word) for word in words]


def _joined(word: list[str | _Field]) -> list[str | _Field]:
    out: list[str | _Field] = []
    for piece in word:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def rewrite_fields(root: etree._Element, names: Any) -> Rewritten:
    """Replace the merge fields of every paragraph under ``root`` by token runs (see the module docstring)."""
    writer = _Writer(names)
    for index, paragraph in enumerate(root.iter(names.p), start=1):
        top = _fields_of(paragraph, names)
        if top is None:
            writer.problems.append((index, "a field continues past its paragraph; left as it is"))
            continue
        for node in top:
            tokens = writer.tokens(node, index)
            if tokens is not None:
                _replace(node, tokens, names)
    return Rewritten(writer.tags, writer.problems, writer.record, writer.uses_record)


def _fields_of(paragraph: etree._Element, names: Any) -> list[_Field] | None:
    """The paragraph's outermost fields in order; None when one is not closed in the paragraph."""
    w = names.w
    begin, separate, end = "begin", "separate", "end"
    fld_char, instr, simple = w + "fldChar", w + "instrText", w + "fldSimple"
    skip = {w + "pPr", w + "del", w + "moveFrom", names.p}
    found: list[_Field] = []
    stack: list[_Field] = []
    elements = list(reversed(paragraph))
    while elements:
        element = elements.pop()
        if not isinstance(element.tag, str) or element.tag in skip:
            continue
        if element.tag == simple:
            node = _Field([element.get(w + "instr") or ""], [], list(element.iter(names.r)), True, element)
            if stack:
                if not stack[-1].in_result:
                    stack[-1].instruction.append(node)
                for open_field in stack:
                    open_field.runs.append(element)
            else:
                found.append(node)
            continue
        if element.tag != names.r:
            elements.extend(reversed(element))
            continue
        for open_field in stack:
            open_field.runs.append(element)
        for child in element:
            if child.tag == fld_char:
                kind = child.get(w + "fldCharType")
                if kind == begin:
                    node = _Field(runs=[element])
                    if stack and not stack[-1].in_result:
                        stack[-1].instruction.append(node)
                    stack.append(node)
                elif kind == separate and stack:
                    stack[-1].in_result = True
                elif kind == end and stack:
                    done = stack.pop()
                    if not stack:
                        found.append(done)
            elif child.tag == instr and stack and not stack[-1].in_result:
                pieces = stack[-1].instruction
                if pieces and isinstance(pieces[-1], str):
                    pieces[-1] += child.text or ""  # the code split over runs reads as one text
                else:
                    pieces.append(child.text or "")
            elif (
                stack
                and stack[-1].in_result
                and child.tag != names.rpr
                and element not in stack[-1].result_runs
            ):
                stack[-1].result_runs.append(element)
    return None if stack else found


def _replace(node: _Field, tokens: str, names: Any) -> None:
    """Put one run with ``tokens`` where the field was, in its result's formatting."""
    first = node.simple if node.simple is not None else node.runs[0]
    parent = first.getparent()
    if parent is None:
        return
    source = next((run for run in node.result_runs if run.tag == names.r), None)
    if source is None:
        source = node.runs[0] if node.simple is None else None
    run = etree.Element(names.r)
    if source is not None:
        properties = source.find(names.rpr)
        if properties is not None:
            run.append(copy.deepcopy(properties))
    text = etree.SubElement(run, names.t)
    text.text = tokens
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    parent.replace(first, run)
    for element in [] if node.simple is not None else node.runs[1:]:
        holder = element.getparent()
        if holder is not None:
            holder.remove(element)


def scan_fields(text: str, tags: Mapping[int, FieldTag]) -> tuple[list[Tag], list[Stray]]:
    """The field tags in a paragraph's text, placed, as :func:`~mytypist_cli.engine.syntax.scan` gives."""
    if TOKEN_OPEN not in text:
        return [], []
    found: list[Tag] = []
    for match in _TOKEN.finditer(text):
        tag = tags[int(match.group(1))]
        found.append(
            FieldTag(
                match.start(),
                match.end(),
                tag.raw,
                tag.name,
                tag.sigil,
                tag.filters,
                field_name=tag.field_name,
            )
        )
    return found, []
