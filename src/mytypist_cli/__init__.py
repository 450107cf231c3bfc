"""mytypist: fill Word templates with ``<<placeholders>>`` from data.

The library API; the command line (``mytypist``) is a thin layer over it::

    from mytypist_cli import Template
    t = Template.open("offer.docx")
    [p.name for p in t.placeholders]
    data = t.render({"full_name": "Adébáyọ̀ Okonkwo"})
"""

from mytypist_cli.engine.template import Filled, Placeholder, Problem, Template, fill_text
from mytypist_cli.errors import (
    CorruptDocumentError,
    DataError,
    EncryptedDocumentError,
    MacroTemplateError,
    MissingFieldsError,
    MytypistError,
    NotADocxError,
    RenderError,
    StoreError,
    TemplateError,
    TemplateSyntaxError,
    UnsafeDocumentError,
)

__version__ = "0.1.0"

__all__ = [
    "CorruptDocumentError",
    "DataError",
    "EncryptedDocumentError",
    "Filled",
    "MacroTemplateError",
    "MissingFieldsError",
    "MytypistError",
    "NotADocxError",
    "Placeholder",
    "Problem",
    "RenderError",
    "StoreError",
    "Template",
    "TemplateError",
    "TemplateSyntaxError",
    "UnsafeDocumentError",
    "__version__",
    "fill_text",
]
