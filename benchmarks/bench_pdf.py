"""PDFs per second through LibreOffice: mytypist's chunked conversion against one soffice per file.

    python benchmarks/bench_pdf.py                   # 200 documents, every contender
    python benchmarks/bench_pdf.py --docs 50 --naive-docs 20

The documents are ``bench-template.docx`` (about three A4 pages) filled with
``make_bench_template.iter_rows``. Contenders, in the same run and on the same files:

- naive: ``soffice --convert-to pdf`` once per document, one after the other
  (one warm profile shared, as a user's own LibreOffice would be);
- mytypist ``convert_to_pdf`` with jobs=1 and jobs=2 (chunks of documents per
  LibreOffice start, one temporary profile per instance);
- uno: one long-lived LibreOffice (``--accept``) driven document by document
  over UNO by LibreOffice's own Python (``/usr/bin/python3`` with python3-uno),
  when that Python can import ``uno``: the unoserver approach without unoserver.

Rates are whole runs (start-ups included) divided into the documents converted.
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
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
sys.path.insert(0, str(FIXTURES))

from make_bench_template import iter_rows  # noqa: E402

from mytypist_cli.engine.template import Template  # noqa: E402
from mytypist_cli.pdf.convert import convert_to_pdf, find_soffice  # noqa: E402

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


def make_documents(folder: Path, count: int) -> list[Path]:
    template = Template.open(FIXTURES / "bench-template.docx")
    paths = []
    for number, row in enumerate(itertools.islice(iter_rows(count), count), 1):
        path = folder / f"tenancy-{number:04d}.docx"
        path.write_bytes(template.render(row))
        paths.append(path)
    return paths


@contextlib.contextmanager
def profile_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-pdf-profile-") as scratch:
        yield Path(scratch)


def soffice_command(soffice: Path, profile: Path, *args: str) -> list[str]:
    return [str(soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", *args]


def run_killing_group(command: list[str]) -> None:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        process.wait()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def naive(soffice: Path, documents: list[Path], out: Path) -> None:
    with profile_dir() as profile:
        run_killing_group(soffice_command(soffice, profile, "--terminate_after_init"))  # create the profile
        for document in documents:
            run_killing_group(
                soffice_command(soffice, profile, "--convert-to", "pdf", "--outdir", str(out), str(document))
            )


def chunked(jobs: int) -> Callable[[Path, list[Path], Path], None]:
    def run(soffice: Path, documents: list[Path], out: Path) -> None:
        results = convert_to_pdf(documents, out, jobs=jobs, soffice=soffice, overwrite=True)
        failed = [r for r in results if r.pdf is None]
        if failed:
            raise SystemExit(f"{len(failed)} failed, e.g. {failed[0]}")

    return run


def uno(soffice: Path, documents: list[Path], out: Path) -> None:
    pipe = f"mytypist-bench-{os.getpid()}"
    with profile_dir() as profile:
        server = subprocess.Popen(
            soffice_command(soffice, profile, "--invisible", "--nologo", f"--accept=pipe,name={pipe};urp;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
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


def uno_available() -> bool:
    if not Path(UNO_PYTHON).exists():
        return False
    return subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200, help="documents per contender (default 200)")
    parser.add_argument(
        "--naive-docs", type=int, default=None, help="documents for the naive contender (default: --docs)"
    )
    arguments = parser.parse_args()
    soffice = find_soffice()
    print(f"LibreOffice: {soffice}; {os.cpu_count()} CPUs", file=sys.stderr)

    contenders: list[tuple[str, Callable[[Path, list[Path], Path], None], int]] = [
        ("naive: one soffice per file", naive, arguments.naive_docs or arguments.docs),
        ("mytypist convert_to_pdf jobs=1", chunked(1), arguments.docs),
        ("mytypist convert_to_pdf jobs=2", chunked(2), arguments.docs),
    ]
    if uno_available():
        contenders.append(("uno: one long-lived soffice", uno, arguments.docs))
    else:
        print(f"uno: skipped ({UNO_PYTHON} cannot import uno)", file=sys.stderr)

    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as scratch:
        work = Path(scratch)
        documents = make_documents(work, max(count for _name, _run, count in contenders))
        for label, run, count in contenders:
            out = work / label.split(":")[0].replace(" ", "-")
            out.mkdir()
            start = time.perf_counter()
            run(soffice, documents[:count], out)
            seconds = time.perf_counter() - start
            made = len(list(out.glob("*.pdf")))
            if made != count:
                raise SystemExit(f"{label}: {made} of {count} PDFs written")
            rates[label] = count / seconds
            print(f"{label:34} {count:4d} PDFs in {seconds:7.1f} s  {rates[label]:6.2f} PDFs/s", flush=True)
            shutil.rmtree(out)

    naive_rate = rates["naive: one soffice per file"]
    for label in ("mytypist convert_to_pdf jobs=1", "mytypist convert_to_pdf jobs=2"):
        print(f"{label} / naive: {rates[label] / naive_rate:.1f}x")


if __name__ == "__main__":
    main()
