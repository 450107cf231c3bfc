"""Rows with rich values against plain ones (issue 15), on the engine benchmark's tenancy agreement.

The same ~3-page template is filled as it is, and with one more paragraph
holding a ``markdown`` placeholder (a 2 KB clause: bold, italic, a link and
two numbered lists), a ``link``, a QR code or a barcode. Prints ms/doc for
each and its ratio to the plain rows. The clause is the same in every row
(as a standard clause from a database is); ``--distinct`` makes each row's
clause differ, so nothing is reused between rows.

    python benchmarks/bench_rich.py
    python benchmarks/bench_rich.py --rows 500 --distinct
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "fixtures"))

CLAUSE = (
    "The Tenant shall pay the **rent** for each month *in advance*, on or before the first day of the "
    "month, by transfer to the account the Landlord names in writing; see [the payment terms]"
    "(https://example.ng/terms).\n\n"
    "1. Keep the premises clean and in good repair, fair wear and tear excepted.\n"
    "2. Not sublet or part with possession of the premises without the Landlord's *written* consent.\n"
    "3. Allow the Landlord to inspect the premises on reasonable notice.\n\n"
    "The Landlord shall:\n\n"
    "1. Insure the building against fire and flood.\n"
    "2. Carry out **structural** repairs within a reasonable time of notice.\n\n"
)


def _with_paragraph(template: bytes, tag: str) -> bytes:
    """The template with one more paragraph holding ``tag``, before the body's section properties."""
    source = zipfile.ZipFile(io.BytesIO(template))
    document = source.read("word/document.xml")
    at = document.rindex(b"<w:sectPr")
    escaped = tag.replace("<", "&lt;").replace(">", "&gt;").encode()
    document = document[:at] + b"<w:p><w:r><w:t>" + escaped + b"</w:t></w:r></w:p>" + document[at:]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, document if name == "word/document.xml" else source.read(name))
    return out.getvalue()


def _ms_per_doc(template: bytes, runs: list[list[dict[str, str]]]) -> float:
    """The best of the runs, in ms per document (each run its own rows, so caches see new values)."""
    from mytypist_cli.engine.template import Template

    opened = Template.open(template)
    opened.render(runs[0][0])  # warm: the first render loads what later ones reuse
    best = float("inf")
    for rows in runs:
        started = time.perf_counter()
        for row in rows:
            opened.render(row)
        best = min(best, (time.perf_counter() - started) / len(rows))
    return best * 1000


def main() -> None:
    from make_bench_template import iter_rows

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--distinct", action="store_true", help="a different clause in every row")
    options = parser.parse_args()
    template = (HERE / "fixtures" / "bench-template.docx").read_bytes()
    rows = list(iter_rows(options.rows))
    clause = (CLAUSE * 2)[:2048]
    cases = {
        "plain": (template, {}),
        "markdown (2 KB)": (_with_paragraph(template, "<<clause|markdown>>"), {"clause": clause}),
        "link": (_with_paragraph(template, '<<url|link:"Pay now">>'), {"url": "https://pay.example.ng/t/1"}),
        "qrcode": (_with_paragraph(template, "<<ref|qrcode:3cm>>"), {"ref": "https://verify.example.ng/1"}),
        "barcode": (_with_paragraph(template, "<<sku|barcode:code128:5cm>>"), {"sku": "TEN-2025-0001"}),
    }
    print(f"{len(rows)} rows, {'a different' if options.distinct else 'the same'} value in every row")
    plain = None
    for name, (data, extra) in cases.items():
        runs = []
        for repeat in range(3):
            filled = []
            for number, row in enumerate(rows):
                values = {**row, **extra}
                if options.distinct and extra:
                    # A value no earlier row or run had: the engine's caches cannot help.
                    key, serial = next(iter(extra)), f"{repeat}-{number + 1}"
                    values[key] = (
                        extra[key].replace("1", serial, 1)
                        if key != "clause"
                        else (f"Clause {serial}. " + extra[key])
                    )
                filled.append(values)
            runs.append(filled)
        ms = _ms_per_doc(data, runs)
        plain = plain or ms
        print(f"{name:16} {ms:7.3f} ms/doc  {ms / plain:5.1f}x plain")


if __name__ == "__main__":
    main()
