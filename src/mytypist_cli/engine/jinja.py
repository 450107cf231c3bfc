"""docxtpl (Jinja) templates, rendered by docxtpl itself inside mytypist's pipeline.

:class:`JinjaTemplate` is what ``Template.open`` returns for ``syntax="jinja"``
(or ``auto`` on a template with ``{%`` statements). It offers the surface the
pipeline uses (``names``, ``placeholders``, ``missing_from``, ``fill``,
``render``, ``extension``, pickling as the source bytes) and renders each
document with docxtpl (``autoescape=True``, so ``&`` and ``<`` in values never
corrupt the XML). mytypist's filters are Jinja filters of the same names
(``{{ fee|money }}``, ``{{ start|date("ordinal") }}``) in the template's locale.
Jinja's compiled templates are kept per part's source text, so a batch
compiles them once per process, not once per row.

docxtpl and jinja2 are imported here only, inside functions: ``<< >>``
templates never pay their import. Imports neither typer nor rich.
"""

from __future__ import annotations

import contextvars
import functools
import io
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any

from mytypist_cli.engine import filters
from mytypist_cli.engine import pictures as images
from mytypist_cli.engine.filters import Chain, compile_chain
from mytypist_cli.engine.syntax import normalise_name
from mytypist_cli.engine.template import Filled, Missing, Placeholder, Template
from mytypist_cli.engine.values import clean_text, text_of
from mytypist_cli.errors import (
    FilterSyntaxError,
    FilterValueError,
    MacroTemplateError,
    MissingFieldsError,
    PictureError,
    RenderError,
    TemplateError,
    TemplateSyntaxError,
)
from mytypist_cli.ooxml import package

_STORY = re.compile(r"word/(document\d*|header\d*|footer\d*|footnotes)\.xml$", re.IGNORECASE)
# Our filters, by name (engine/filters.py): each is a Jinja filter with one optional argument.
FILTER_NAMES: tuple[str, ...] = tuple(filters._MAKERS)

_missing_names: contextvars.ContextVar[dict[str, None] | None] = contextvars.ContextVar(
    "mytypist_jinja_missing", default=None
)
_missing_mode: contextvars.ContextVar[str] = contextvars.ContextVar("mytypist_jinja_mode", default="error")


class _Pictures:
    """What ``|image`` needs while one document renders: the docxtpl document and the picture rules."""

    def __init__(self, document: Any, image_dir: Path | None, max_bytes: int) -> None:
        self.document = document
        self.image_dir = image_dir
        self.max_bytes = max_bytes
        self.cache: dict[bytes, images.Picture] = {}
        self.added = False


_pictures: contextvars.ContextVar[_Pictures | None] = contextvars.ContextVar(
    "mytypist_jinja_pictures", default=None
)
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@lru_cache(maxsize=512)
def _chain(name: str, argument: str | None, locale: str) -> Chain:
    if argument is None:
        return compile_chain(name, locale)
    quote = "'" if '"' in argument else '"'
    return compile_chain(f"{name}:{quote}{argument}{quote}", locale)


def _make_filter(name: str, locale: str) -> Any:
    import jinja2

    def apply(value: Any, *arguments: Any) -> Any:
        if len(arguments) > 1:
            raise RenderError(f"the filter {name!r} takes at most one argument")
        try:
            chain = _chain(name, None if not arguments else str(arguments[0]), locale)
        except FilterSyntaxError as exc:
            raise RenderError(f"{{{{ …|{name} }}}}: {exc}") from None
        if isinstance(value, jinja2.Undefined):
            if not chain.has_default:
                return value  # printed, it is noted as missing
            from mytypist_cli.engine.values import MISSING

            value = MISSING
        try:
            return clean_text(chain.apply(value, getattr(value, "_undefined_name", None) or name))
        except FilterValueError as exc:
            raise RenderError(f"{{{{ …|{name} }}}}: {exc}") from None

    return apply


def _image_filter(value: Any, *arguments: Any) -> Any:
    """``{{ photo|image }}``, ``{{ signature|image("4cm") }}``: a picture docxtpl puts in (InlineImage)."""
    import jinja2

    if len(arguments) > 1:
        raise RenderError("the filter 'image' takes at most one argument")
    if isinstance(value, jinja2.Undefined):
        return value  # printed, it is noted as missing
    if value is None or isinstance(value, str) and not value.strip():
        return ""
    state = _pictures.get()
    if state is None:
        raise RenderError("{{ …|image }} works only while a document renders")
    try:
        spec = images.parse_size(None if not arguments else str(arguments[0]), "{{ …|image }}")
        picture = images.read_picture(
            value, base_dir=state.image_dir, max_bytes=state.max_bytes, cache=state.cache
        )
    except (PictureError, TemplateSyntaxError) as exc:
        raise RenderError(f"{{{{ …|image }}}}: {exc}") from None
    from docx.shared import Emu
    from docxtpl import InlineImage

    width, height = images.fitted_size(picture, spec, _text_width(state.document))
    state.added = True
    return InlineImage(state.document, io.BytesIO(picture.data), width=Emu(width), height=Emu(height))


def _text_width(document: Any) -> int:
    """The first section's width between its margins, in EMU (0 when the template does not say)."""
    try:
        section = document.docx.sections[0]
        return int(section.page_width - section.left_margin - section.right_margin)
    except (AttributeError, IndexError, TypeError):
        return 0


def _undefined_class() -> type[Any]:
    import jinja2

    class NotedUndefined(jinja2.ChainableUndefined):
        """A missing value: noted by name when printed or looped over, shown per ``missing=``."""

        def _note(self) -> None:
            noted = _missing_names.get()
            if noted is not None and self._undefined_name:
                noted[str(self._undefined_name)] = None

        def __str__(self) -> str:
            self._note()
            if _missing_mode.get() == "keep":
                return "{{ " + str(self._undefined_name) + " }}"
            return ""

        def __html__(self) -> str:
            return str(self)

        def __iter__(self) -> Iterator[Any]:
            self._note()
            return iter(())

    return NotedUndefined


@lru_cache(maxsize=16)
def _environment(locale: str) -> Any:
    """A Jinja environment per locale: autoescaped, our filters, missing values noted."""
    import jinja2
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        if isinstance(value, jinja2.Undefined | Markup) or hasattr(value, "__html__"):
            return value
        try:
            return clean_text(text_of(value, locale))
        except RenderError as exc:
            raise RenderError(str(exc)) from None

    env = jinja2.Environment(autoescape=True, undefined=_undefined_class(), finalize=finalize)
    for name in FILTER_NAMES:
        env.filters[name] = _make_filter(name, locale)
    env.filters["image"] = _image_filter
    return env


def _docxtpl_class() -> type[Any]:
    from docxtpl import DocxTemplate

    class CompiledOnce(DocxTemplate):  # type: ignore[misc]
        """docxtpl, with each part's compiled Jinja template kept by its source text."""

        compiled: dict[str, Any] = {}

        def render_xml_part(self, src_xml: str, part: Any, context: Any, jinja_env: Any = None) -> str:
            cache = self.compiled
            original = jinja_env.from_string

            def from_string(source: str) -> Any:
                found = cache.get(source)
                if found is None:
                    found = cache[source] = original(source)
                return found

            jinja_env.from_string = from_string
            try:
                return str(super().render_xml_part(src_xml, part, context, jinja_env))
            finally:
                del jinja_env.from_string

    return CompiledOnce


class JinjaTemplate(Template):
    """A docxtpl template: filled by docxtpl with our filters, escaping and missing-value rules."""

    @classmethod
    def compile(
        cls, blob: bytes, members: list[package.Member], delimiters: tuple[str, str], locale: str
    ) -> JinjaTemplate:
        """Read the template's variables and check its Jinja; raises TemplateError, TemplateSyntaxError."""
        import jinja2

        from mytypist_cli.engine.template import _compile

        base = _compile(members, delimiters, locale)  # the package checks, macros, main type
        if base.is_macro_enabled:
            raise TemplateError("docxtpl cannot fill a macro-enabled template (.docm, .dotm)")
        env = _environment(locale)
        patcher = _docxtpl_class()(io.BytesIO(blob))
        scopes: dict[str, Any] = {}
        for member in members:
            if member.data is None or not _STORY.search(member.name):
                continue
            source = patcher.patch_xml(member.data.decode("utf-8", "replace"))
            try:
                scopes[member.name] = env.parse(source)
                env.compile(source)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateSyntaxError(f"{member.name}: {exc.message}") from None
        placeholders, required = _variables(scopes, locale)
        template = cls(
            placeholders=placeholders,
            warnings=(),
            layout=[],
            delimiters=delimiters,
            is_macro_enabled=False,
            uses={},
            chains={},
            locale=locale,
            slots=(),
            first_id=1,
            required=required,
            syntax="jinja",
        )
        return template

    def fill(
        self,
        values: Mapping[str, Any],
        *,
        missing: Missing = "error",
        allow_macros: bool = False,
        image_dir: str | PathLike[str] | None = None,
        max_image_bytes: int = images.DEFAULT_MAX_IMAGE_BYTES,
    ) -> Filled:
        """Render one document with docxtpl; missing names as :meth:`Template.fill` treats them.

        Raises MissingFieldsError, RenderError.
        """
        if self.is_macro_enabled and not allow_macros:
            raise MacroTemplateError("the template contains macros (VBA)")
        if missing not in ("error", "blank", "keep"):
            raise ValueError(f"missing must be 'error', 'blank' or 'keep', not {missing!r}")
        import jinja2

        context = _context(values)
        noted: dict[str, None] = {}
        names_token = _missing_names.set(noted)
        mode_token = _missing_mode.set(missing)
        document = _docxtpl_class()(io.BytesIO(self.source))
        state = _Pictures(document, Path(image_dir) if image_dir is not None else None, max_image_bytes)
        pictures_token = _pictures.set(state)
        try:
            document.compiled = self.__dict__.setdefault("_compiled", {})
            document.render(context, jinja_env=_environment(self.locale), autoescape=True)
            out = io.BytesIO()
            document.save(out)
        except RenderError:
            raise
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
            raise RenderError(f"docxtpl could not render the template: {exc}") from None
        finally:
            _missing_names.reset(names_token)
            _missing_mode.reset(mode_token)
            _pictures.reset(pictures_token)
        data = out.getvalue()
        if state.added:
            data = _value_pictures_named(data, self.source)
        if noted and missing == "error":
            raise MissingFieldsError(noted)
        blank = tuple(name for name in self.names if isinstance(context.get(name), str) and not context[name])
        return Filled(data, tuple(noted), blank, self.extension)

    def filled_members(self, values: Mapping[str, Any], **options: Any) -> list[package.Member]:
        """The members of :meth:`fill`'s document: docxtpl writes a whole package, so it is read back."""
        return package.read_package(self.fill(values, **options).data)


def _value_pictures_named(data: bytes, template: bytes) -> bytes:
    """The pictures ``|image`` added, named as our engine names a value's picture.

    Each new image relationship gets an ``rIdMt`` id and its picture the member
    ``word/media/mytypist-<sha256>.<ext>``, so a combined document tells them
    from the template's own pictures and keeps each record's (engine/combine.py).
    """
    import hashlib
    import posixpath
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(template)) as source:
        known = set(source.namelist())
        template_rels = {
            name: set(re.findall(rb'\bId="([^"]+)"', source.read(name)))
            for name in known
            if name.endswith(".rels")
        }
    with zipfile.ZipFile(io.BytesIO(data)) as rendered:
        members = {info.filename: rendered.read(info) for info in rendered.infolist()}
    renamed_media: dict[str, str] = {}
    for rels_name in [name for name in members if name.endswith(".rels") and "/_rels/" in f"/{name}"]:
        root = etree.fromstring(members[rels_name])
        folder = posixpath.dirname(posixpath.dirname(rels_name))
        part = posixpath.join(folder, posixpath.basename(rels_name)[: -len(".rels")])
        old_ids = template_rels.get(rels_name, set())
        taken = {e.get("Id") or "" for e in root}
        ids: dict[str, str] = {}
        for relationship in root:
            rid = relationship.get("Id") or ""
            if not (relationship.get("Type") or "").endswith("/image") or rid.encode() in old_ids:
                continue
            if (relationship.get("TargetMode") or "").lower() == "external":
                continue
            media = posixpath.normpath(posixpath.join(folder, relationship.get("Target") or ""))
            if media not in members:
                continue
            if media not in renamed_media:
                picture = members[media]
                extension = posixpath.splitext(media)[1].lstrip(".").lower() or "png"
                renamed_media[media] = (
                    f"word/media/mytypist-{hashlib.sha256(picture).hexdigest()[:16]}.{extension}"
                )
            number = 1
            while f"rIdMt{number}" in taken:
                number += 1
            ids[rid] = f"rIdMt{number}"
            taken.add(ids[rid])
            relationship.set("Id", ids[rid])
            relationship.set("Target", posixpath.relpath(renamed_media[media], folder))
        if not ids:
            continue
        members[rels_name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if part in members:
            members[part] = re.sub(
                rb'(r:(?:embed|link|id)=")([^"]+)(")', functools.partial(_new_id, ids), members[part]
            )
    for media, new_name in renamed_media.items():
        if media in known:  # python-docx reused a picture of the template's own: copy it
            members[new_name] = members[media]
            continue
        members[new_name] = members.pop(media)
        types = members.get("[Content_Types].xml", b"")
        members["[Content_Types].xml"] = types.replace(f'"/{media}"'.encode(), f'"/{new_name}"'.encode())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as written:
        for name, content in members.items():
            written.writestr(name, content)
    return out.getvalue()


def _new_id(ids: dict[str, str], match: re.Match[bytes]) -> bytes:
    old = match.group(2).decode()
    return match.group(1) + ids.get(old, old).encode() + match.group(3)


def _context(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values with NFC keys; a column ``client.name`` becomes ``client`` with a ``name``."""
    context: dict[str, Any] = {}
    dotted: list[tuple[str, Any]] = []
    for key, value in values.items():
        name = normalise_name(str(key))
        if "." in name:
            dotted.append((name, value))
        context[name] = value
    for name, value in dotted:
        head, *rest = name.split(".")
        target = context.setdefault(head, {})
        if not isinstance(target, dict):
            continue
        for part in rest[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            target.setdefault(rest[-1], value)
    return context


def _variables(scopes: dict[str, Any], locale: str) -> tuple[tuple[Placeholder, ...], tuple[str, ...]]:
    """Placeholders (values, conditions, lists with their items' fields) and the names a row needs."""
    from jinja2 import meta, nodes

    order: dict[str, None] = {}
    kinds: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    parts: dict[str, dict[str, None]] = {}
    filters: dict[str, dict[str, None]] = {}
    fields: dict[str, dict[str, None]] = {}
    needed: dict[str, bool] = {}

    for part, tree in scopes.items():
        undeclared = meta.find_undeclared_variables(tree)

        # visit and note are called within this iteration only: part and undeclared are this part's.
        def visit(node: Any, *, condition: bool, defaulted: bool, chain: tuple[str, ...]) -> None:
            if isinstance(node, nodes.For):
                if isinstance(node.iter, nodes.Name) and node.iter.name in undeclared:  # noqa: B023
                    note(node.iter.name, "list", need=True)
                    if isinstance(node.target, nodes.Name):
                        item = node.target.name
                        for attr in node.find_all(nodes.Getattr):
                            if isinstance(attr.node, nodes.Name) and attr.node.name == item:
                                fields.setdefault(node.iter.name, {})[attr.attr] = None
                else:
                    visit(node.iter, condition=condition, defaulted=defaulted, chain=())
                for child in (*node.body, *node.else_):
                    visit(child, condition=condition, defaulted=defaulted, chain=())
                if node.test is not None:
                    visit(node.test, condition=True, defaulted=defaulted, chain=())
                return
            if isinstance(node, nodes.If | nodes.CondExpr):
                visit(node.test, condition=True, defaulted=defaulted, chain=())
                for child in node.iter_child_nodes(exclude=("test",)):
                    visit(child, condition=condition, defaulted=defaulted, chain=())
                return
            if isinstance(node, nodes.Filter) and node.name == "image":
                argument = node.args[0].value if node.args and isinstance(node.args[0], nodes.Const) else None
                images.parse_size(None if argument is None else str(argument), f"{part}: |image")  # noqa: B023
                if isinstance(node.node, nodes.Name) and node.node.name in undeclared:  # noqa: B023
                    note(node.node.name, "image", need=not (condition or defaulted))
                    filters.setdefault(node.node.name, {})[
                        "image" if argument is None else f'image:"{argument}"'
                    ] = None
                    return
            if isinstance(node, nodes.Filter):
                text = node.name
                if node.args and isinstance(node.args[0], nodes.Const):
                    text = f'{node.name}:"{node.args[0].value}"'
                    if node.name in FILTER_NAMES:
                        try:
                            _chain(node.name, str(node.args[0].value), locale)
                        except FilterSyntaxError as exc:
                            raise TemplateSyntaxError(f"{part}: |{node.name}: {exc}") from None  # noqa: B023
                if node.node is not None:
                    visit(
                        node.node,
                        condition=condition,
                        defaulted=defaulted or node.name == "default",
                        chain=(text, *chain),
                    )
                for child in (*node.args, *(kw.value for kw in node.kwargs)):
                    visit(child, condition=condition, defaulted=defaulted, chain=())
                return
            if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in undeclared:  # noqa: B023
                note(node.name, "condition" if condition else "value", need=not (condition or defaulted))
                if chain:
                    filters.setdefault(node.name, {})["|".join(chain)] = None
                return
            for child in node.iter_child_nodes():
                visit(child, condition=condition, defaulted=defaulted, chain=())

        def note(name: str, kind: str, *, need: bool) -> None:
            order.setdefault(name, None)
            kinds.setdefault(name, set()).add(kind)
            counts[name] = counts.get(name, 0) + 1
            parts.setdefault(name, {})[part] = None  # noqa: B023
            needed[name] = needed.get(name, False) or need

        visit(tree, condition=False, defaulted=False, chain=())
        for name in sorted(undeclared):
            order.setdefault(name, None)

    placeholders = []
    for name in order:
        found = kinds.get(name, {"value"})
        kind = next(k for k in ("list", "image", "value", "condition") if k in found)
        placeholders.append(
            Placeholder(
                name,
                counts.get(name, 1),
                tuple(parts.get(name, {})),
                tuple(filters.get(name, {})),
                kind,
                tuple(Placeholder(field, 1, tuple(parts.get(name, {}))) for field in fields.get(name, {})),
            )
        )
    return tuple(placeholders), tuple(name for name in order if needed.get(name, False))
