"""Engine speed and memory against docxtpl and docx-mailmerge, in the same run.

    python benchmarks/bench_engine.py              # 500 rows, the streaming check on 1,000 and 100,000
    python benchmarks/bench_engine.py --rows 200 --stream 1000 20000

Each measurement runs in a fresh child process so peak memory (max RSS) is
that tool's alone. All three fill the same ~3-page tenancy agreement (about 80
placeholder uses, a table, a header and a footer), written in each tool's own
syntax, with the same rows, and keep every document in memory as bytes.
Prints docs/second, ms/doc and peak memory, then mytypist's ratios.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
sys.path.insert(0, str(FIXTURES))


def _rows(n: int) -> list[dict[str, str]]:
    from make_bench_template import iter_rows

    return list(iter_rows(n))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_mytypist(n: int) -> dict[str, float]:
    from mytypist_cli import Template

    rows = _rows(n)
    start = time.perf_counter()
    template = Template.open(FIXTURES / "bench-template.docx")
    total = 0
    for row in rows:
        total += len(template.render(row))
    return {"seconds": time.perf_counter() - start, "bytes": total}


def run_mytypist_mergefield(n: int) -> dict[str, float]:
    """mytypist on docx-mailmerge's own MERGEFIELD template: the same fields, compiled once."""
    from mytypist_cli import Template

    rows = _rows(n)
    start = time.perf_counter()
    template = Template.open(FIXTURES / "bench-template-mergefield.docx", syntax="mergefield")
    total = 0
    for row in rows:
        total += len(template.render(row))
    return {"seconds": time.perf_counter() - start, "bytes": total}


def run_docxtpl(n: int) -> dict[str, float]:
    from docxtpl import DocxTemplate

    rows = _rows(n)
    path = FIXTURES / "bench-template-docxtpl.docx"
    start = time.perf_counter()
    total = 0
    for row in rows:
        document = DocxTemplate(path)  # docxtpl renders in place: one load per document
        document.render(row)
        out = io.BytesIO()
        document.save(out)
        total += out.tell()
    return {"seconds": time.perf_counter() - start, "bytes": total}


def run_mailmerge(n: int) -> dict[str, float]:
    from mailmerge import MailMerge

    rows = _rows(n)
    path = FIXTURES / "bench-template-mergefield.docx"
    start = time.perf_counter()
    total = 0
    for row in rows:
        document = MailMerge(str(path))
        document.merge(**row)
        out = io.BytesIO()
        document.write(out)
        total += out.tell()
    return {"seconds": time.perf_counter() - start, "bytes": total}


def run_stream(n: int) -> dict[str, float]:
    """mytypist over an n-row CSV file read as a stream: memory must not grow with n."""
    from make_bench_template import write_rows_csv

    from mytypist_cli import Template
    from mytypist_cli.data.records import open_records

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        write_rows_csv(path, n)
        template = Template.open(FIXTURES / "bench-template.docx")
        start = time.perf_counter()
        for record in open_records(path):
            template.render(record.values)
        return {"seconds": time.perf_counter() - start, "bytes": 0}


WORKERS = {
    "mytypist": run_mytypist,
    "docxtpl": run_docxtpl,
    "docx-mailmerge": run_mailmerge,
    "mytypist-mergefield": run_mytypist_mergefield,
    "stream": run_stream,
}


def child(tool: str, n: int) -> dict[str, float]:
    """Run one measurement in a fresh interpreter and return its numbers."""
    out = subprocess.run(
        [sys.executable, __file__, "--worker", tool, "--rows", str(n)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--stream", type=int, nargs="*", default=[1000, 100_000])
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = WORKERS[args.worker](args.rows)
        result["peak_mib"] = _peak_mib()
        print(json.dumps(result))
        return

    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}"
    )
    print(f"rows: {args.rows}; template: {FIXTURES / 'bench-template.docx'}\n")
    print(f"{'tool':<21}{'docs/s':>10}{'ms/doc':>10}{'peak MiB':>10}")
    rates: dict[str, float] = {}
    for tool in ("mytypist", "docxtpl", "docx-mailmerge", "mytypist-mergefield"):
        result = child(tool, args.rows)
        rate = args.rows / result["seconds"]
        rates[tool] = rate
        print(f"{tool:<21}{rate:>10.1f}{1000 / rate:>10.2f}{result['peak_mib']:>10.1f}")
    print()
    print(f"mytypist / docxtpl:        {rates['mytypist'] / rates['docxtpl']:.1f}x (goal: 50x)")
    print(f"mytypist / docx-mailmerge: {rates['mytypist'] / rates['docx-mailmerge']:.1f}x (goal: 15x)")
    same_file = rates["mytypist-mergefield"] / rates["docx-mailmerge"]
    print(f"mytypist / docx-mailmerge, same MERGEFIELD file: {same_file:.1f}x (goal: 15x)")
    if args.stream:
        print("\nstreamed CSV input, mytypist (peak memory must stay flat):")
        for n in args.stream:
            result = child("stream", n)
            print(f"  {n:>8,} rows: {n / result['seconds']:>8.1f} docs/s, peak {result['peak_mib']:.1f} MiB")


if __name__ == "__main__":
    main()
