"""A long repeated table row: mytypist against docxtpl, one document of N rows.

    python benchmarks/bench_table.py                      # N = 100, 1,000 and 10,000
    python benchmarks/bench_table.py --rows 100 1000 10000 20000 --skip-docxtpl-above 10000

Rendering must stay linear in the size of the data (docxtpl issue #490 took
27 minutes for 12,000 variables). The script writes two equivalent invoice
templates into a temporary folder with python-docx, byte for byte the same on
every run: a title paragraph, a table with a header row and one repeated row
(description, qty, unit price, amount), and a total paragraph.

- mytypist: ``<<#rows>><<description>>`` | ``<<qty>>`` | ``<<unit_price>>`` |
  ``<<amount>><</rows>>`` in one row;
- docxtpl: a ``{%tr for r in rows %}`` row, a ``{{ r.description }}`` ... row
  and a ``{%tr endfor %}`` row.

Both get the same plain string values, no filters. Each measurement runs in a
fresh child process (peak memory is that tool's alone) and times opening the
template, rendering and saving ONE document to memory: the best of up to
three runs, fewer when one run is slow. A child that takes longer than
``--timeout`` seconds is reported as "timed out". Both outputs are checked
once per N: a sound zip whose table has N + 1 rows (the header and N items).

Prints, per N: seconds for each tool, docxtpl / mytypist, and mytypist's
microseconds per row, both total / N and (total - empty table) / N; the last
stays roughly constant as N grows when rendering is linear.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))

OURS = "table-mytypist.docx"
THEIRS = "table-docxtpl.docx"
COLUMNS = ("description", "qty", "unit_price", "amount")
HEADINGS = ("Description", "Qty", "Unit price", "Amount")
WIDTHS_CM = (8.4, 1.8, 3.0, 3.2)
ROW_RE = re.compile(rb"<w:tr[\s>]")  # a row, not <w:trPr> or <w:trHeight>
BUDGET = 5.0  # seconds: no further repeat once the runs so far took this long
REPEATS = 3


# ---------------------------------------------------------------------------
# Templates and data (deterministic)
# ---------------------------------------------------------------------------
def make_templates(folder: Path) -> tuple[Path, Path]:
    """Write the two equivalent templates into ``folder``; return (mytypist, docxtpl)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from make_examples import add_table, new_document, para, save_docx

    right = WD_ALIGN_PARAGRAPH.RIGHT
    aligns = (None, right, right, right)

    def build(path: Path, title: str, rows: list[tuple[str, ...]], total: str) -> Path:
        doc = new_document("Table benchmark", "A long repeated table row")
        para(doc, title, style="Title")
        add_table(doc, [HEADINGS, *rows], WIDTHS_CM, aligns=aligns, size=10)
        para(doc, total, align=right, before=8, bold=True)
        save_docx(doc, path)
        return path

    ours = build(
        folder / OURS,
        "Invoice <<invoice_no>> for <<client_name>>",
        [("<<#rows>><<description>>", "<<qty>>", "<<unit_price>>", "<<amount>><</rows>>")],
        "Total: <<total>>",
    )
    theirs = build(
        folder / THEIRS,
        "Invoice {{ invoice_no }} for {{ client_name }}",
        [
            ("{%tr for r in rows %}", "", "", ""),
            tuple(f"{{{{ r.{name} }}}}" for name in COLUMNS),
            ("{%tr endfor %}", "", "", ""),
        ],
        "Total: {{ total }}",
    )
    return ours, theirs


ITEMS = (
    "A4 paper, 80 gsm, ream",
    "Toner cartridge, black",
    "Stapler, heavy duty",
    "Box file, foolscap",
    "Printer servicing, per visit",
    "Diesel for generator, litre",
    "Courier delivery, Lagos Island",
    "Bottled water, carton of 12",
)


def make_context(n: int) -> dict[str, Any]:
    """The invoice with ``n`` line items; values avoid ``&`` and ``<`` (docxtpl does not escape)."""
    rows: list[dict[str, str]] = []
    total = 0
    for i in range(n):
        qty = 1 + (i * 7) % 23
        price = 250 + (i * 7919) % 97_000  # naira
        amount = qty * price
        total += amount
        rows.append(
            {
                "description": f"{ITEMS[i % len(ITEMS)]} (line {i + 1})",
                "qty": str(qty),
                "unit_price": f"{price:,}.00",
                "amount": f"{amount:,}.00",
            }
        )
    return {
        "invoice_no": "INV-2025-0042",
        "client_name": "Adebayo Stationers Ltd",
        "rows": rows,
        "total": f"{total:,}.00",
    }


# ---------------------------------------------------------------------------
# Child side: one tool, one N
# ---------------------------------------------------------------------------
def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best_of(job: Callable[[], bytes]) -> tuple[float, bytes]:
    """Best time of up to REPEATS runs, stopping early once BUDGET seconds are spent."""
    best, spent, data = float("inf"), 0.0, b""
    for _ in range(REPEATS):
        start = time.perf_counter()
        data = job()
        took = time.perf_counter() - start
        best, spent = min(best, took), spent + took
        if spent >= BUDGET:
            break
    return best, data


def _table_rows(data: bytes) -> tuple[int, bool]:
    """(table rows in the body, whether the zip's members all read back with good CRCs)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sound = archive.testzip() is None
        body = archive.read("word/document.xml")
    return len(ROW_RE.findall(body)), sound


def run_mytypist(folder: Path, n: int) -> dict[str, Any]:
    from mytypist_cli import Template

    context = make_context(n)
    path = folder / OURS

    def job() -> bytes:
        return Template.open(path).render(context)

    seconds, data = _best_of(job)
    rows, sound = _table_rows(data)
    return {"seconds": seconds, "bytes": len(data), "table_rows": rows, "zip_ok": sound}


def run_docxtpl(folder: Path, n: int) -> dict[str, Any]:
    from docxtpl import DocxTemplate

    context = make_context(n)
    path = folder / THEIRS

    def job() -> bytes:
        document = DocxTemplate(path)  # renders in place: one load per document
        document.render(context)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    seconds, data = _best_of(job)
    rows, sound = _table_rows(data)
    return {"seconds": seconds, "bytes": len(data), "table_rows": rows, "zip_ok": sound}


WORKERS = {"mytypist": run_mytypist, "docxtpl": run_docxtpl}


# ---------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------
def child(tool: str, folder: Path, n: int, timeout: float) -> dict[str, Any] | None:
    """One measurement in a fresh interpreter; None when it ran past ``timeout`` seconds."""
    command = [sys.executable, __file__, "--worker", tool, "--folder", str(folder), "--rows", str(n)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise SystemExit(f"{tool} with {n:,} rows failed (exit {done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 1000, 10_000])
    parser.add_argument(
        "--skip-docxtpl-above", type=int, default=None, metavar="N", help="do not run docxtpl for more rows"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per child (default 600)")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make_templates(args.folder)
        return
    if args.worker:
        result = WORKERS[args.worker](args.folder, args.rows[0])
        result["peak_mib"] = _peak_mib()
        print(json.dumps(result))
        return

    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}"
    )
    print("one invoice per run: open the template, render N table rows, save to memory\n")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        # In a child too: Linux carries the parent's peak RSS into every child it
        # starts, so the parent must not grow by importing python-docx.
        subprocess.run([sys.executable, __file__, "--make", "--folder", name], check=True)
        empty = child("mytypist", folder, 0, args.timeout)
        base = empty["seconds"] if empty else 0.0
        print(f"mytypist with an empty table: {base * 1000:.1f} ms\n")
        print(
            f"{'rows':>8}{'mytypist s':>12}{'docxtpl s':>12}{'docxtpl/ours':>14}"
            f"{'µs/row':>9}{'µs/row net':>12}{'ours MiB':>10}{'theirs MiB':>12}  check"
        )
        problems: list[str] = []
        timed_out = False
        for n in args.rows:
            ours = child("mytypist", folder, n, args.timeout)
            skip = args.skip_docxtpl_above is not None and n > args.skip_docxtpl_above
            theirs = None if skip else child("docxtpl", folder, n, args.timeout)
            timed_out = timed_out or ours is None or (theirs is None and not skip)
            if ours is None:
                ours_s, per_row, net, ours_mib, check = "timed out", "", "", "", ""
            else:
                ours_s = f"{ours['seconds']:.3f}"
                per_row = f"{ours['seconds'] / n * 1e6:.1f}" if n else ""
                net = f"{(ours['seconds'] - base) / n * 1e6:.1f}" if n else ""
                ours_mib = f"{ours['peak_mib']:.1f}"
                good = ours["zip_ok"] and ours["table_rows"] == n + 1
                check = f"{'ok' if good else 'WRONG'}: {ours['table_rows']:,} rows"
                if not good:
                    problems.append(f"mytypist, {n:,} rows: {ours}")
            if skip:
                theirs_s, ratio, theirs_mib = "skipped", "", ""
            elif theirs is None:
                theirs_s, ratio, theirs_mib = "timed out", "", ""
                if ours is not None:
                    ratio = f">{args.timeout / ours['seconds']:.0f}x"
            else:
                theirs_s = f"{theirs['seconds']:.3f}"
                ratio = f"{theirs['seconds'] / ours['seconds']:.1f}x" if ours else ""
                theirs_mib = f"{theirs['peak_mib']:.1f}"
                if not theirs["zip_ok"] or theirs["table_rows"] != n + 1:
                    problems.append(f"docxtpl, {n:,} rows: {theirs}")
            print(
                f"{n:>8,}{ours_s:>12}{theirs_s:>12}{ratio:>14}"
                f"{per_row:>9}{net:>12}{ours_mib:>10}{theirs_mib:>12}  {check}",
                flush=True,
            )
    if timed_out:
        print(f"\ntimed out: the child ran past --timeout ({args.timeout:g} s) and was stopped.")
    if problems:
        raise SystemExit("wrong output:\n" + "\n".join(problems))


if __name__ == "__main__":
    main()
