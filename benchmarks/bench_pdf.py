"""PDFs per second through LibreOffice: mytypist's PDF paths against one soffice per file.

    python benchmarks/bench_pdf.py                   # 200 records, every contender
    python benchmarks/bench_pdf.py --docs 50 --naive-docs 20
    python benchmarks/bench_pdf.py --uno             # also a long-lived LibreOffice over UNO

The records are ``bench-template.docx`` (about three A4 pages) filled with
``make_bench_template.iter_rows``. Contenders, in the same run, on the same records:

- naive: ``soffice --convert-to pdf`` once per (already filled) document, one
  after the other (one warm profile shared, as a user's own LibreOffice would be);
- chunked, jobs=1 and jobs=2: the per-document path (``fill_batch`` writes
  the .docx files, ``fill.pdfs.convert_rows`` converts them, many files per
  LibreOffice call): what ``fill --to pdf`` did before combined chunks, and
  still does for templates with whole-document fields;
- combined-and-split, jobs=1 and jobs=2: ``fill_batch(..., to="pdf")``, i.e.
  ``mytypist fill --to pdf``: records rendered into combined documents of
  at most ``COMBINED_RECORDS``, converted, split back at the record bookmarks;
- ``--combine all.pdf``: ``fill_batch(..., combine=...)``, one PDF of every record;
- uno (with ``--uno``): one long-lived LibreOffice (``--accept``) driven document
  by document over UNO by LibreOffice's own Python (``/usr/bin/python3`` with
  python3-uno): the unoserver approach without unoserver.

The mytypist contenders start from the rows (filling included, a fraction of a
second for 200); naive and uno from the filled documents. Rates are whole runs
(start-ups included) divided into the records converted. Then the check: every
combined-and-split PDF has the same page count and the same text on each page
(pdftotext, whitespace folded) as the chunked path's PDF of that record, and
``all.pdf`` holds exactly their pages in order.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
TEMPLATE = FIXTURES / "bench-template.docx"
sys.path.insert(0, str(FIXTURES))

from make_bench_template import iter_rows  # noqa: E402

from mytypist_cli import fill_batch  # noqa: E402
from mytypist_cli.engine.template import Template  # noqa: E402
from mytypist_cli.fill.pdfs import COMBINED_RECORDS, convert_rows  # noqa: E402
from mytypist_cli.fill.results import RowResult  # noqa: E402
from mytypist_cli.pdf.convert import find_soffice, seed_profile, soffice_environment  # noqa: E402

UNO_PYTHON = "/usr/bin/python3"
UNO_CLIENT = textwrap.dedent(
    """
    import os, sys, time, uno
    from com.sun.star.beans import PropertyValue

    def prop(name, value):
        p = PropertyValue(); p.Name = name; p.Value = value; return p

    pipe, out_dir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.05)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    for name in files:
        url = uno.systemPathToFileUrl(os.path.abspath(name))
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
        stem = os.path.splitext(os.path.basename(name))[0]
        target = uno.systemPathToFileUrl(os.path.join(os.path.abspath(out_dir), stem + ".pdf"))
        doc.storeToURL(target, (prop("FilterName", "writer_pdf_Export"),))
        doc.close(True)
    """
)

NAIVE = "naive: one soffice per file"
CHUNKED_1 = "chunked (per document), jobs=1"
CHUNKED_2 = "chunked (per document), jobs=2"
FAST_1 = "combined-and-split, jobs=1"
FAST_2 = "combined-and-split, jobs=2"
COMBINE = "--combine all.pdf"
UNO = "uno: one long-lived soffice"

#: A contender: (soffice, rows to fill, their filled documents, an empty output folder) -> records done.
Run = Callable[[Path, list[dict[str, str]], list[Path], Path], int]


def make_documents(folder: Path, rows: list[dict[str, str]]) -> list[Path]:
    template = Template.open(TEMPLATE)
    paths = []
    for number, row in enumerate(rows, 1):
        path = folder / f"bench-template-{number:04d}.docx"
        path.write_bytes(template.render(row))
        paths.append(path)
    return paths


@contextlib.contextmanager
def profile_dir() -> Iterator[Path]:
    """A private profile, seeded as mytypist seeds its own: a profile a person's LibreOffice has
    used records its version, so it skips the graphics self-tests on start, as this one does."""
    with tempfile.TemporaryDirectory(prefix="bench-pdf-profile-") as scratch:
        seed_profile(Path(scratch))
        yield Path(scratch)


def soffice_command(soffice: Path, profile: Path, *args: str) -> list[str]:
    return [str(soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", *args]


def run_killing_group(command: list[str], profile: Path) -> None:
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=soffice_environment(profile),
        start_new_session=True,
    )
    try:
        process.wait()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def naive(soffice: Path, _rows: list[dict[str, str]], documents: list[Path], out: Path) -> int:
    with profile_dir() as profile:
        run_killing_group(soffice_command(soffice, profile, "--terminate_after_init"), profile)  # make it
        for document in documents:
            run_killing_group(
                soffice_command(soffice, profile, "--convert-to", "pdf", "--outdir", str(out), str(document)),
                profile,
            )
    return count_pdfs(out)


def chunked(jobs: int) -> Run:
    """The per-document path: fill the .docx files, then convert them many to a LibreOffice call."""

    def run(soffice: Path, rows: list[dict[str, str]], _documents: list[Path], out: Path) -> int:
        staging = out / "docx"
        summary = fill_batch(TEMPLATE, rows, out_dir=staging, jobs=jobs)
        results = convert_rows(
            summary.results, out, keep_docx=False, overwrite=False, jobs=jobs, timeout=120.0, soffice=soffice
        )
        check_ok(results)
        shutil.rmtree(staging)
        return count_pdfs(out)

    return run


def combined_and_split(jobs: int) -> Run:
    """What ``mytypist fill TEMPLATE DATA --to pdf -j JOBS`` does."""

    def run(soffice: Path, rows: list[dict[str, str]], _documents: list[Path], out: Path) -> int:
        summary = fill_batch(TEMPLATE, rows, out_dir=out, to="pdf", jobs=jobs, soffice=soffice)
        check_ok(summary.results)
        if summary.warnings:
            raise SystemExit(f"the fast path was not taken: {summary.warnings}")
        return count_pdfs(out)

    return run


def combine_all(soffice: Path, rows: list[dict[str, str]], _documents: list[Path], out: Path) -> int:
    summary = fill_batch(TEMPLATE, rows, combine=out / "all.pdf", soffice=soffice)
    check_ok(summary.results)
    return summary.ok if (out / "all.pdf").is_file() else 0


def uno(soffice: Path, _rows: list[dict[str, str]], documents: list[Path], out: Path) -> int:
    pipe = f"mytypist-bench-{os.getpid()}"
    with profile_dir() as profile:
        server = subprocess.Popen(
            soffice_command(soffice, profile, "--invisible", "--nologo", f"--accept=pipe,name={pipe};urp;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=soffice_environment(profile),
            start_new_session=True,
        )
        try:
            subprocess.run(
                [UNO_PYTHON, "-c", UNO_CLIENT, pipe, str(out), *map(str, documents)], check=True, timeout=3600
            )
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return count_pdfs(out)


def uno_available() -> bool:
    if not Path(UNO_PYTHON).exists():
        return False
    return subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def check_ok(results: Iterable[RowResult]) -> None:
    failed = [row for row in results if row.status != "ok"]
    if failed:
        raise SystemExit(f"{len(failed)} failed, e.g. {failed[0]}")


def count_pdfs(folder: Path) -> int:
    return len(list(folder.glob("*.pdf")))


def page_texts(pdf: Path) -> list[str]:
    """Each page's text, whitespace folded (as tests/test_pdf_fast.py compares them)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    return [" ".join(page.decode().split()) for page in text.split(b"\f")[:-1]]


def compare(reference: Path, other: Path) -> list[str]:
    """Records whose PDF in ``other`` differs from ``reference``'s in page count or page text."""
    differ = []
    for pdf in sorted(reference.glob("*.pdf")):
        mine, theirs = page_texts(pdf), page_texts(other / pdf.name) if (other / pdf.name).exists() else []
        if mine != theirs:
            differ.append(f"{pdf.name}: {len(mine)} pages against {len(theirs)}")
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200, help="records per contender (default 200)")
    parser.add_argument(
        "--naive-docs", type=int, default=None, help="documents for the naive contender (default: --docs)"
    )
    parser.add_argument("--uno", action="store_true", help="also drive one long-lived LibreOffice over UNO")
    arguments = parser.parse_args()
    soffice = find_soffice()
    print(
        f"LibreOffice: {soffice}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; "
        f"at most {COMBINED_RECORDS} records per combined chunk",
        file=sys.stderr,
    )

    contenders: list[tuple[str, Run, int]] = [
        (NAIVE, naive, arguments.naive_docs or arguments.docs),
        (CHUNKED_1, chunked(1), arguments.docs),
        (CHUNKED_2, chunked(2), arguments.docs),
        (FAST_1, combined_and_split(1), arguments.docs),
        (FAST_2, combined_and_split(2), arguments.docs),
        (COMBINE, combine_all, arguments.docs),
    ]
    if arguments.uno:
        if uno_available():
            contenders.append((UNO, uno, arguments.docs))
        else:
            print(f"uno: skipped ({UNO_PYTHON} cannot import uno)", file=sys.stderr)

    rates: dict[str, float] = {}
    rows = list(itertools.islice(iter_rows(arguments.docs), arguments.docs))
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as scratch:
        work = Path(scratch)
        (work / "docx").mkdir()
        documents = make_documents(work / "docx", rows)
        outputs: dict[str, Path] = {}
        for number, (label, run, count) in enumerate(contenders, 1):
            out = outputs[label] = work / f"out{number}"
            out.mkdir()
            start = time.perf_counter()
            made = run(soffice, rows[:count], documents[:count], out)
            seconds = time.perf_counter() - start
            if made != count:
                raise SystemExit(f"{label}: {made} of {count} records converted")
            rates[label] = count / seconds
            print(
                f"{label:34} {count:4d} records in {seconds:7.1f} s  {rates[label]:6.2f} records/s "
                f"(load {os.getloadavg()[0]:.2f})",
                flush=True,
            )

        print()
        naive_rate = rates[NAIVE]
        for label in rates:
            if label != NAIVE:
                print(f"{label:34} / naive: {rates[label] / naive_rate:5.1f}x")
        print(f"{FAST_1} / {CHUNKED_1}: {rates[FAST_1] / rates[CHUNKED_1]:.1f}x (goal: at least 4x)")
        print(f"{FAST_2} / {CHUNKED_2}: {rates[FAST_2] / rates[CHUNKED_2]:.1f}x (goal: at least 4x)")
        print(f"{COMBINE} / {CHUNKED_1}: {rates[COMBINE] / rates[CHUNKED_1]:.1f}x")

        print()
        reference = outputs[CHUNKED_1]
        for label in (CHUNKED_2, FAST_1, FAST_2):
            differ = compare(reference, outputs[label])
            verdict = "identical pages and text" if not differ else f"{len(differ)} differ, e.g. {differ[0]}"
            print(f"{label} against {CHUNKED_1}: {verdict}")
        expected = [page for pdf in sorted(reference.glob("*.pdf")) for page in page_texts(pdf)]
        whole = page_texts(outputs[COMBINE] / "all.pdf")
        verdict = "identical pages and text" if whole == expected else "differ"
        print(f"{COMBINE} ({len(whole)} pages) against the {len(expected)} pages of {CHUNKED_1}: {verdict}")


if __name__ == "__main__":
    main()
