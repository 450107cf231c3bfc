"""``mytypist fill``: one document, or one per row, as .docx, PDF or a zip.

Parses the options, calls ``fill_batch`` once and shows what it reports:
paths written on stdout as they are written; row failures, progress, the
summary and hints on stderr. Every rule of a fill lives in the library
(``mytypist_cli.fill.pipeline``), so a program that imports it gets the same.
"""

# No `from __future__ import annotations`: typer would evaluate every option's annotation string
# again on each run (about 3 ms of a one-document fill).
import sys
import time
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.cli.common import (
    DelimitersOption,
    ListNameOption,
    LocaleOption,
    SetsOption,
    SheetOption,
    SyntaxOption,
    _state,
    errors_to_exit,
    parse_sets,
)
from mytypist_cli.engine.pictures import DEFAULT_MAX_IMAGE_BYTES
from mytypist_cli.engine.template import Missing
from mytypist_cli.errors import OptionsError
from mytypist_cli.fill.pipeline import DEFAULT_PDF_TIMEOUT, OutputFormat
from mytypist_cli.fill.results import BatchSummary, RowResult

app = typer.Typer()


@app.command()
@errors_to_exit
def fill(
    template: Annotated[
        str,
        typer.Argument(
            help="The template: a .docx, .docm, .dotx or .dotm path, or a library NAME[@VERSION]."
        ),
    ],
    data: Annotated[
        str | None,
        typer.Argument(help="JSON, NDJSON, CSV or .xlsx data; - for standard input.", show_default=False),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write one document here; - for standard output.")
    ] = None,
    out_dir: Annotated[
        str | None,
        typer.Option(
            "--out-dir",
            help="Write one document per row into this folder, or a URL such as s3://bucket/letters/.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help='File-name pattern with placeholders, e.g. "<<last_name>>-<<first_name>>.docx".',
            show_default="<template>-0001.docx",
        ),
    ] = None,
    sets: SetsOption = None,
    missing: Annotated[
        Missing, typer.Option("--missing", help="What a name without a value does: error, blank or keep.")
    ] = "error",
    delimiters: DelimitersOption = None,
    locale: LocaleOption = None,
    syntax: SyntaxOption = None,
    allow_macros: Annotated[
        bool, typer.Option("--allow-macros", help="Allow a macro-enabled template (makes .docm files).")
    ] = False,
    zip_path: Annotated[
        str | None, typer.Option("--zip", help="Write one .zip archive instead (a path or a URL).")
    ] = None,
    combine: Annotated[
        Path | None,
        typer.Option(
            "--combine",
            help="Write every record into this one file: a .docx, or a .pdf (needs LibreOffice).",
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing files.")] = False,
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Skip rows whose file exists (to resume).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=0, help="Fill at most N rows.")] = None,
    start_at: Annotated[int, typer.Option("--start-at", min=1, help="Start at data row N.")] = 1,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Parallel processes.", show_default="the number of CPUs"),
    ] = None,
    report: Annotated[
        str | None, typer.Option("--report", help="Write a per-row report (.json or .csv; a path or a URL).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Text encoding of CSV data.", show_default="utf-8")
    ] = None,
    sheet: SheetOption = None,
    max_image_mb: Annotated[
        float,
        typer.Option(
            "--max-image-mb",
            envvar="MYTYPIST_MAX_IMAGE_MB",
            min=0.0001,
            help="Refuse pictures larger than this many megabytes.",
        ),
    ] = DEFAULT_MAX_IMAGE_BYTES / 1024 / 1024,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also write a PDF beside each document (needs LibreOffice).")
    ] = False,
    to: Annotated[
        OutputFormat, typer.Option("--to", help="docx, or pdf to keep only the PDFs (needs LibreOffice).")
    ] = "docx",
    pdf_timeout: Annotated[
        float,
        typer.Option(
            "--pdf-timeout",
            envvar="MYTYPIST_PDF_TIMEOUT",
            min=1,
            help="Seconds one document may take in LibreOffice before it is stopped and its row fails.",
        ),
    ] = DEFAULT_PDF_TIMEOUT,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            help="One document per distinct value of this column; its rows become the list <<#rows>>. "
            "A row with a blank key continues the group above it.",
        ),
    ] = None,
    list_name: ListNameOption = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="K/N",
            help="Fill only the K-th of N shares of the rows, named as one run would name them.",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            envvar="MYTYPIST_CLUSTER",
            metavar="ADDRESS",
            help="Render and write on this Dask cluster's workers (tcp://scheduler:8786).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary line.")] = False,
) -> None:
    """Fill a template with data: one document, or one per row.

    Examples:

      mytypist fill offer-letter.docx staff.csv --out-dir letters/

      mytypist fill offer-letter.docx --set full_name="Ada Obi" -o ada.docx

      mytypist fill offer-letter.docx staff.csv --out-dir s3://bucket/letters/ --cluster tcp://scheduler:8786
    """
    from mytypist_cli import storage
    from mytypist_cli.fill.pipeline import fill_batch

    shares = _parse_shard(shard) if shard is not None else None

    target: Path | str | IO[bytes] | None = None
    if output == "-":
        if sys.stdout.isatty():
            raise typer.BadParameter(
                "refusing to write a document to a terminal; redirect it or name a file", param_hint="-o"
            )
        target = sys.stdout.buffer
    elif output is not None:
        target = output if storage.is_url(output) else Path(output)
    progress = _Progress(enabled=not quiet and show.stderr_is_terminal())
    try:
        summary = fill_batch(
            template,
            sys.stdin.buffer if data == "-" else data,
            sets=parse_sets(sets or []),
            output=target,
            out_dir=out_dir,
            name=name,
            zip_path=zip_path,
            combine=combine,
            to=to,
            pdf=pdf,
            pdf_timeout=pdf_timeout,
            report=report,
            overwrite=overwrite,
            skip_existing=skip_existing,
            start_at=start_at,
            limit=limit,
            jobs=jobs,
            dry_run=dry_run,
            missing=missing,
            allow_macros=allow_macros,
            delimiters=delimiters,
            locale=locale,
            syntax=syntax,
            encoding=encoding,
            sheet=sheet,
            group_by=group_by,
            list_name=list_name,
            max_image_bytes=round(max_image_mb * 1024 * 1024),
            home=_state["home"],
            record_usage=True,
            on_progress=progress.update,
            on_result=_show_result,
            on_file=_show_path,
            on_converted=progress.converted,
            shard=shares,
            cluster=cluster or None,
        )
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from None
    finally:
        progress.stop()
    for problem in summary.errors:
        show.error(problem)
    for problem in summary.warnings:
        show.warning(problem)
    if not quiet:
        show.note(_summary_line(summary, one=output is not None and combine is None))
    hint = _hint(summary)
    if hint:
        show.note(f"hint: {hint}")
    if not summary.succeeded:
        raise typer.Exit(1)


def _parse_shard(text: str) -> tuple[int, int]:
    """``3/8`` as (3, 8); a usage error otherwise."""
    k, slash, n = text.partition("/")
    if slash and k.strip().isdigit() and n.strip().isdigit() and 1 <= int(k) <= int(n):
        return int(k), int(n)
    raise typer.BadParameter(
        f"--shard is K/N with 1 <= K <= N (such as 2/8), not {text!r}", param_hint="--shard"
    )


def _show_path(path: str) -> None:
    show.print_lines([path])


def _show_result(result: RowResult) -> None:
    if result.status == "failed":
        show.note(f"{result.label}: {result.error}")
    elif result.why == "blank":
        show.warning(result.error or f"{result.label}: no value for any placeholder; skipped")


def _hint(summary: BatchSummary) -> str | None:
    """What to do about the failed rows, true to why they failed; a dry run has nothing to resume."""
    failed = [result for result in summary.results if result.status == "failed"]
    if not failed:
        return None
    resume = f"resume with --start-at {failed[0].row} --skip-existing"
    if all(result.why == "exists" for result in failed):
        return "add --overwrite to replace the existing files, or --skip-existing to keep them"
    if summary.dry_run:
        return None
    if summary.zip_path is not None or summary.combined is not None:
        one_file = summary.destination if summary.zip_path is not None else summary.combined
        return f"fix the data, then run again with --overwrite to replace {one_file}"
    if all(result.why == "write" for result in failed):
        return f"make room in {summary.destination} (or let this user write there), then {resume}"
    if all(result.why == "pdf" for result in failed):
        # --skip-existing would skip these rows: their documents exist, so no PDF would be made.
        documents = "the documents are written; " if summary.output_kind != "pdf" else ""
        return f"{documents}fix what stopped LibreOffice, then run again with --overwrite"
    return f"fix the data, then {resume}"


class _Progress:
    """A progress bar on a terminal, started at the first row done.

    Started only then: its refresh thread would make the batch's workers start
    through a fork server instead of a plain, faster fork.
    """

    def __init__(self, *, enabled: bool) -> None:
        self._enabled = enabled
        self._bar: Any = None
        self._converting: Any = None
        self._started = time.perf_counter()

    def update(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            self._bar = show.progress(total)
            self._bar.add_task("fill", total=total, rate="")
            self._bar.start()
        rate = done / max(time.perf_counter() - self._started, 1e-9)
        self._bar.update(self._bar.task_ids[0], completed=done, rate=f"{rate:,.0f} docs/s")

    def converted(self, done: int, total: int) -> None:
        """The PDF conversion's own bar, after the filling one (LibreOffice is the slow part)."""
        if not self._enabled:
            return
        if self._converting is None:
            self.stop()
            self._bar = show.progress(total, label="converting")
            self._converting = self._bar.add_task("pdf", total=total, rate="")
            self._bar.start()
            self._started = time.perf_counter()
        rate = done / max(time.perf_counter() - self._started, 1e-9)
        self._bar.update(self._converting, completed=done, rate=f"{rate:,.1f} PDFs/s")

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


# What a batch made, by its output kind (docx+pdf and docm+pdf are both "+pdf").
_NOUNS = {"pdf": ("PDF", "PDFs")}
_WITH_PDFS = ("document with its PDF", "documents with their PDFs")


def _summary_line(summary: BatchSummary, *, one: bool) -> str:
    """``wrote 5 documents to letters in 0.02 s (1 failed)``, or ``wrote ada.docx`` for one document."""
    if one:
        document = next(result for result in summary.results if result.why != "blank")
        if summary.dry_run:
            return f"checked {document.file}"
        if document.status == "skipped":
            return f"skipped {document.file}: it exists"
        return "wrote " + " and ".join(summary.outputs) if summary.outputs else "wrote the document"
    count = summary.ok if summary.dry_run else summary.written
    if summary.combined is not None:
        noun = "record" if count == 1 else "records"
        into = f" into {summary.combined}" if summary.outputs else ""
        tail = [f"{summary.failed} failed"] if summary.failed else []
        tail += [f"{summary.skipped} skipped"] if summary.skipped else []
        verb = "checked" if summary.dry_run else "wrote"
        line = f"{verb} {count} {noun}{into} in {summary.elapsed:.2f} s"
        return line + (f" ({', '.join(tail)}; not in it)" if tail else "")
    kind = summary.output_kind.removesuffix("+zip")
    singular, plural = _WITH_PDFS if kind.endswith("+pdf") else _NOUNS.get(kind, ("document", "documents"))
    noun = singular if count == 1 else plural
    parts = [f"{'checked' if summary.dry_run else 'wrote'} {count} {noun}"]
    if not summary.dry_run:
        parts.append(f"to {summary.destination}")
    parts.append(f"in {summary.elapsed:.2f} s")
    tail = []
    if summary.failed:
        tail.append(f"{summary.failed} failed")
    if summary.skipped:
        tail.append(f"{summary.skipped} skipped")
    return " ".join(parts) + (f" ({', '.join(tail)})" if tail else "")
