"""Every error mytypist raises on purpose, under one root class.

Library code raises these and never prints or exits; the CLI turns a
``MytypistError`` into one ``error: ...`` line and an exit status in one
place. Imports neither typer nor rich.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class MytypistError(Exception):
    """The root of every error mytypist raises on purpose."""


class TemplateError(MytypistError):
    """A template cannot be opened: not a Word document, broken, or unsafe."""


class NotADocxError(TemplateError):
    """The file is not a Word (.docx/.docm/.dotx/.dotm) package."""


class EncryptedDocumentError(TemplateError):
    """The file is password-protected (an OLE2 container, not a zip)."""


class CorruptDocumentError(TemplateError):
    """The package is truncated or damaged, or one of its XML parts is malformed."""


class UnsafeDocumentError(TemplateError):
    """The package is hostile: DOCTYPE/entities, unsafe entry names, or a zip bomb."""


class TemplateSyntaxError(TemplateError):
    """A placeholder is written in a way mytypist cannot compile (bad filter, unbalanced tags)."""


class FilterSyntaxError(TemplateSyntaxError, ValueError):
    """A filter chain that cannot be compiled (unknown filter, bad argument).

    The engine raises it as a TemplateSyntaxError naming the placeholder and where it is.
    """


class MacroTemplateError(MytypistError):
    """A macro-enabled template was rendered without ``allow_macros=True``."""


class RenderError(MytypistError):
    """One set of values could not be rendered into the template."""


class MissingFieldsError(RenderError):
    """Values for one or more placeholders were not given (and ``missing="error"``)."""

    def __init__(self, names: Iterable[str], hints: Mapping[str, str] | None = None) -> None:
        self.names: tuple[str, ...] = tuple(names)
        #: name -> the key of the data it was probably meant as (``items`` -> ``Items``).
        self.hints: dict[str, str] = dict(hints or {})
        listed = ", ".join(
            f"{name} (did you mean `{self.hints[name]}`?)" if name in self.hints else name
            for name in self.names
        )
        super().__init__(f"missing value{'s' if len(self.names) != 1 else ''} for {listed}")


class FilterValueError(RenderError, ValueError):
    """A value that a filter cannot take; the message says which and why.

    The engine raises it as a RenderError naming the placeholder.
    """


class PictureError(RenderError, ValueError):
    """A value that is not a usable picture; the message says why.

    The engine raises it as a RenderError naming the placeholder.
    """


class DataError(MytypistError):
    """Input data (JSON, CSV, NDJSON, Excel) cannot be read; the message names ``path:line``."""


class StoreError(MytypistError):
    """The template library or its database cannot be used."""


class NotFoundError(StoreError):
    """No template of that name (or version) is in the library."""


class OutputError(MytypistError):
    """An output cannot be written: its folder is unusable, it is an input of the run, or not a file."""


class OutputExistsError(OutputError):
    """The output exists and ``overwrite`` was not given."""


class ExtraMissingError(MytypistError):
    """An optional extra is not installed (``[cluster]`` for ``--cluster`` and URL outputs); says how."""


class BatchError(MytypistError):
    """A batch as a whole cannot run: its output folder or archive is unusable."""


class ConversionError(MytypistError):
    """A document could not be converted (to PDF, or the PDF to an image)."""


class ConverterMissingError(ConversionError):
    """LibreOffice (or poppler's pdftoppm) is not installed or not where it was said to be."""


class OptionsError(MytypistError, ValueError):
    """Settings of a call contradict each other or are out of range (on the command line: a usage error)."""
