"""Record fills in an append-only usage journal, cheaply and safely in parallel.

Every fill records one *run*: which template (library name and version, or a
path and its sha256), when it started (UTC), how long it took, how many rows,
documents and failures, the output kind, and which placeholders were missing
or left blank, with counts. Never values and never output paths: both are
often personal data.

Why a journal and not the database: importing sqlmodel costs about 0.3 s, and a
one-document ``fill`` must stay fast. So recording a run is one JSON line
appended with a single ``os.write`` to ``<home>/usage.jsonl`` (opened with
``O_APPEND``, so lines from parallel processes never interleave). The store
ingests the journal into its ``runs`` table whenever it opens
(``store.Store.ingest_usage``), using the claim/read/release helpers below.

Concurrency protocol (POSIX): a writer holds a shared ``flock`` on the journal
while it appends and checks that the path still names the file it opened; the
ingester first *renames* the journal to a unique claimed name, then takes an
exclusive lock on it, which waits out any writer still appending to it. A
writer that loses that race sees the inode change and appends to the new
journal instead. Claimed files are deleted only after their runs are committed
(idempotently: every run carries a random id), so a crash at any point loses
nothing and double-counts nothing.

Stdlib only, and no heavy stdlib modules either (no dataclasses, uuid,
hashlib at import): ``python -X importtime -c "import mytypist_cli.usage.journal"``
stays in the low milliseconds. Never imports sqlmodel, sqlalchemy, typer or rich.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mytypist_cli.errors import StoreError
from mytypist_cli.home import journal_path as default_journal_path

try:  # fcntl is POSIX-only; elsewhere the rename protocol runs without locks.
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS
    fcntl = None  # type: ignore[assignment]

NO_ANALYTICS_ENV = "MYTYPIST_NO_ANALYTICS"
JOURNAL_FORMAT = 1
_CLAIM_SUFFIX = ".ingest"
# How often a writer retries when the journal is renamed under it; each retry
# means an ingester claimed the file, so a handful is already pathological.
_MAX_WRITE_ATTEMPTS = 50


def analytics_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Return False when ``MYTYPIST_NO_ANALYTICS`` is set to a true value (1/true/yes/on)."""
    env = os.environ if environ is None else environ
    return env.get(NO_ANALYTICS_ENV, "").strip().lower() not in {"1", "true", "yes", "on"}


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime (what ``started`` expects)."""
    return datetime.now(UTC)


def format_utc(moment: datetime) -> str:
    """Format an aware datetime as fixed-width ISO-8601 UTC (sorts as text, SQLite reads it)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def new_run_id() -> str:
    """Return a random 128-bit run id as 32 hex digits (the ingest dedup key)."""
    # os.urandom instead of uuid: importing uuid alone costs several ms.
    return os.urandom(16).hex()


def _counts(name: str, counts: Mapping[str, int] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in (counts or {}).items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{name}: placeholder names must be non-empty strings")
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}[{key!r}]: count must be a non-negative int")
        if value:
            out[key] = value
    return out


def make_run_record(
    *,
    started: datetime,
    duration_ms: int,
    rows: int,
    documents: int,
    failures: int,
    output_kind: str,
    template_name: str | None = None,
    template_version: int | None = None,
    template_path: str | os.PathLike[str] | None = None,
    template_sha256: str | None = None,
    missing: Mapping[str, int] | None = None,
    blank: Mapping[str, int] | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """Build the JSON-ready dict for one run, validating it.

    Give a library template as ``template_name`` (+ ``template_version``) or a
    file as ``template_path`` (+ ``template_sha256``). ``missing`` and ``blank``
    map placeholder names to how many rows lacked them / had them empty.
    Raises ValueError for a malformed run (a programming error, not user input).
    """
    if not template_name and template_path is None:
        raise ValueError("a run needs template_name or template_path")
    if not isinstance(output_kind, str) or not output_kind:
        raise ValueError("output_kind must be a non-empty string such as 'docx'")
    for label, number in (
        ("duration_ms", duration_ms),
        ("rows", rows),
        ("documents", documents),
        ("failures", failures),
    ):
        if not isinstance(number, int) or number < 0:
            raise ValueError(f"{label} must be a non-negative int")
    if template_version is not None and template_version < 1:
        raise ValueError("template_version must be >= 1")
    return {
        "v": JOURNAL_FORMAT,
        "id": run_id or new_run_id(),
        "template_name": template_name or None,
        "template_version": template_version,
        # Absolute so runs of the same file from different directories group together.
        "template_path": None if template_path is None else os.path.abspath(template_path),
        "template_sha256": template_sha256,
        "started_utc": format_utc(started),
        "duration_ms": duration_ms,
        "rows": rows,
        "documents": documents,
        "failures": failures,
        "output_kind": output_kind,
        "missing": _counts("missing", missing),
        "blank": _counts("blank", blank),
    }


def append_record(record: Mapping[str, Any], journal: Path) -> None:
    """Append one record to the journal as a single ``os.write`` of one line.

    Raises StoreError (naming the journal) if it cannot be written.
    """
    line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    try:
        os.makedirs(journal.parent, exist_ok=True)
        for _ in range(_MAX_WRITE_ATTEMPTS):
            fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_SH)
                    # An ingester may have renamed the file between our open and
                    # our lock; appending then would land in a file being read.
                    try:
                        current = os.stat(journal)
                    except FileNotFoundError:
                        continue
                    mine = os.fstat(fd)
                    if (current.st_ino, current.st_dev) != (mine.st_ino, mine.st_dev):
                        continue
                written = os.write(fd, line)
                if written != len(line):
                    # Terminate the fragment so the next run starts on its own line;
                    # the reader skips the fragment as malformed.
                    os.write(fd, b"\n")
                    raise OSError(f"short write ({written} of {len(line)} bytes)")
                return
            finally:
                os.close(fd)  # also releases the flock
        raise OSError("journal kept being replaced while writing")
    except OSError as exc:
        raise StoreError(f"cannot write usage journal {journal}: {exc}") from exc


def record_run(
    *,
    started: datetime,
    duration_ms: int,
    rows: int,
    documents: int,
    failures: int,
    output_kind: str,
    template_name: str | None = None,
    template_version: int | None = None,
    template_path: str | os.PathLike[str] | None = None,
    template_sha256: str | None = None,
    missing: Mapping[str, int] | None = None,
    blank: Mapping[str, int] | None = None,
    run_id: str | None = None,
    journal: Path | None = None,
) -> str | None:
    """Record one fill in the usage journal; return its run id, or None when disabled.

    Arguments as for :func:`make_run_record`. Does nothing when
    ``MYTYPIST_NO_ANALYTICS=1``. ``journal`` defaults to ``<home>/usage.jsonl``.
    Costs one small file append: no database, no sqlmodel import.
    Raises StoreError if the journal cannot be written, ValueError for a malformed run.
    """
    if not analytics_enabled():
        return None
    record = make_run_record(
        started=started,
        duration_ms=duration_ms,
        rows=rows,
        documents=documents,
        failures=failures,
        output_kind=output_kind,
        template_name=template_name,
        template_version=template_version,
        template_path=template_path,
        template_sha256=template_sha256,
        missing=missing,
        blank=blank,
        run_id=run_id,
    )
    append_record(record, default_journal_path() if journal is None else journal)
    return str(record["id"])


# --- ingest side: used by store.py -----------------------------------------


def claim_journal(journal: Path) -> list[Path]:
    """Rename the live journal to a unique claimed name; return every claimed file.

    Leftover claims from an ingester that crashed (or is running right now) are
    returned too: ingesting them again is harmless because runs are deduplicated
    by id. Missing journal -> only the leftovers (often an empty list).
    """
    if journal.exists():
        claimed = journal.with_name(f"{journal.name}.{os.getpid()}-{os.urandom(6).hex()}")
        claimed = claimed.with_name(claimed.name + _CLAIM_SUFFIX)
        # FileNotFoundError: another process claimed it first; its claim is globbed
        # below. PermissionError: a platform that cannot rename an open file; the
        # runs stay in the journal until the next open.
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.replace(journal, claimed)
    return sorted(journal.parent.glob(f"{journal.name}.*{_CLAIM_SUFFIX}"))


def read_claimed(claimed: Path) -> tuple[list[dict[str, Any]], int]:
    """Read a claimed journal file: (records, number of malformed lines skipped).

    Waits for writers still appending to it. A file that vanished (another
    ingester finished it) reads as empty.
    """
    try:
        fd = os.open(claimed, os.O_RDONLY)
    except FileNotFoundError:
        return [], 0
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read()
    finally:
        os.close(fd)
    records: list[dict[str, Any]] = []
    bad = 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except ValueError:
            bad += 1
            continue
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            records.append(item)
        else:
            bad += 1
    return records, bad


def release_claimed(claimed: Path) -> None:
    """Delete a claimed journal file once its runs are committed."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(claimed)


def iter_journal(journal: Path) -> Iterator[dict[str, Any]]:
    """Yield the records currently in the live journal (for tests and debugging)."""
    records, _ = read_claimed(journal)
    yield from records
