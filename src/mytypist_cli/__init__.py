"""mytypist: fill Word templates with ``<<placeholders>>`` from data.

The library API; the command line (``mytypist``) is a thin layer over it::

    from mytypist_cli import Template, fill_batch
    t = Template.open("offer.docx")
    [p.name for p in t.placeholders]
    data = t.render({"full_name": "Adébáyọ̀ Okonkwo"})
    summary = fill_batch(t, "staff.csv", out_dir="letters")   # what `mytypist fill` does
"""

from mytypist_cli.data.records import open_records
from mytypist_cli.engine.template import Filled, Placeholder, Problem, Template, fill_text
from mytypist_cli.errors import (
    BatchError,
    CorruptDocumentError,
    DataError,
    EncryptedDocumentError,
    MacroTemplateError,
    MissingFieldsError,
    MytypistError,
    NotADocxError,
    OptionsError,
    OutputError,
    OutputExistsError,
    RenderError,
    StoreError,
    TemplateError,
    TemplateSyntaxError,
    UnsafeDocumentError,
)
from mytypist_cli.fill.cluster import fill_dataframe
from mytypist_cli.fill.pipeline import fill_batch
from mytypist_cli.fill.results import BatchSummary, RowResult

__version__ = "0.1.0"

__all__ = [
    "BatchError",
    "BatchSummary",
    "CorruptDocumentError",
    "DataError",
    "EncryptedDocumentError",
    "Filled",
    "MacroTemplateError",
    "MissingFieldsError",
    "MytypistError",
    "NotADocxError",
    "OptionsError",
    "OutputError",
    "OutputExistsError",
    "Placeholder",
    "Problem",
    "RenderError",
    "RowResult",
    "StoreError",
    "Template",
    "TemplateError",
    "TemplateSyntaxError",
    "UnsafeDocumentError",
    "__version__",
    "fill_batch",
    "fill_dataframe",
    "fill_text",
    "open_records",
]
