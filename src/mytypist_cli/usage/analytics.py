"""Usage analytics: SQL GROUP BY over recorded runs, returned as plain dataclasses.

``stats(store, since, template)`` answers "which templates do we use, how many
documents did we make, which fields do people leave out". Times are stored in
UTC; documents per day are counted in the *local* time zone (SQLite's
``localtime`` modifier, i.e. this process's TZ). Also here: ``parse_since``
for ``--since 30d|2026-01-01`` and a CSV writer that defuses spreadsheet
formulas. Only the CLI draws tables and charts; this module never prints.

Imports sqlmodel through the store; never typer or rich.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import Integer, case, func, literal_column
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from mytypist_cli.csv_cells import csv_safe
from mytypist_cli.errors import StoreError
from mytypist_cli.library.models import RunFieldRow, RunRow
from mytypist_cli.library.store import Store, parse_ref
from mytypist_cli.usage.journal import format_utc

_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class TemplateStats:
    """Usage of one template (a library name, or a file path for fills by path)."""

    name: str
    documents: int
    runs: int
    failures: int
    rows: int
    last_used: datetime
    mean_ms_per_document: float | None
    is_path: bool = False

    def to_json_dict(self) -> dict[str, Any]:
        """JSON shape: ``name``, ``documents``, ``runs``, ``failures``, ``last_used`` and more."""
        return {
            "name": self.name,
            "documents": self.documents,
            "runs": self.runs,
            "failures": self.failures,
            "rows": self.rows,
            "last_used": format_utc(self.last_used),
            "mean_ms_per_document": self.mean_ms_per_document,
            "is_path": self.is_path,
        }


@dataclass(frozen=True)
class DayCount:
    """Documents written on one local calendar day."""

    day: date
    documents: int


@dataclass(frozen=True)
class FieldCount:
    """How many rows lacked (missing) or left empty (blank) one placeholder."""

    placeholder: str
    missing: int
    blank: int

    @property
    def total(self) -> int:
        """missing + blank."""
        return self.missing + self.blank


@dataclass(frozen=True)
class Stats:
    """Everything ``mytypist stats`` shows."""

    since: datetime | None
    template: str | None
    total_documents: int
    total_runs: int
    total_failures: int
    total_rows: int
    templates: list[TemplateStats]
    per_day: list[DayCount]
    fields: list[FieldCount]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON object with ``total_documents``, ``total_runs``, ``templates`` and the rest."""
        return {
            "since": None if self.since is None else format_utc(self.since),
            "template": self.template,
            "total_documents": self.total_documents,
            "total_runs": self.total_runs,
            "total_failures": self.total_failures,
            "total_rows": self.total_rows,
            "templates": [t.to_json_dict() for t in self.templates],
            "per_day": [{"day": d.day.isoformat(), "documents": d.documents} for d in self.per_day],
            "fields": [
                {"placeholder": f.placeholder, "missing": f.missing, "blank": f.blank} for f in self.fields
            ],
        }


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """Parse ``--since``: ``30d`` / ``12h`` / ``2w`` ago, or a date/time (local midnight for a date).

    Returns an aware UTC datetime. Raises StoreError for anything else.
    """
    current = now or datetime.now(UTC)
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return (current - timedelta(**{_UNITS[unit]: amount})).astimezone(UTC)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise StoreError(
            f"bad --since {text!r}: use a span like 30d, 12h, 2w or a date like 2026-01-01"
        ) from None
    if moment.tzinfo is None:
        # Days are counted in local time, so a bare date means local midnight.
        moment = moment.astimezone()
    return moment.astimezone(UTC)


def _filters(since: datetime | None, template: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(col(RunRow.started_utc) >= format_utc(since))
    if template is not None:
        name, version = parse_ref(template)
        conditions.append(
            func.coalesce(RunRow.template_name, RunRow.template_path) == name,
        )
        if version is not None:
            conditions.append(col(RunRow.template_version) == version)
    return conditions


def stats(
    store: Store,
    since: datetime | None = None,
    template: str | None = None,
    *,
    top_fields: int = 10,
) -> Stats:
    """Compute usage statistics from the runs in ``store``.

    ``since`` keeps runs started at or after it; ``template`` keeps one
    template (``NAME``, ``NAME@VERSION``, or the path of a template filled by
    path). ``top_fields`` limits the most-often missing/blank placeholders.
    Raises StoreError if the database cannot be read.
    """
    where = _filters(since, template)
    key = func.coalesce(RunRow.template_name, RunRow.template_path)
    documents = func.coalesce(func.sum(RunRow.documents), 0)
    failures = func.coalesce(func.sum(RunRow.failures), 0)
    rows = func.coalesce(func.sum(RunRow.row_count), 0)
    duration = func.coalesce(func.sum(RunRow.duration_ms), 0)

    totals_q = select(documents, func.count(), failures, rows).where(*where)
    # sqlmodel's select() is typed for at most four columns; Core's has no limit.
    per_template_q = (
        sa_select(
            key.label("name"),
            documents.label("documents"),
            func.count().label("runs"),
            failures.label("failures"),
            rows.label("rows"),
            func.max(RunRow.started_utc).label("last_used"),
            duration.label("duration"),
            func.max(case((col(RunRow.template_name).is_(None), 1), else_=0)).label("is_path"),
        )
        .where(*where)
        .group_by(key)
        .order_by(documents.desc(), key)
    )
    local_day = func.date(RunRow.started_utc, literal_column("'localtime'"))
    per_day_q = (
        select(local_day.label("day"), documents.label("documents"))
        .where(*where)
        .group_by(local_day)
        .order_by(local_day)
    )
    missing = func.sum(case((col(RunFieldRow.kind) == "missing", RunFieldRow.count), else_=0))
    blank = func.sum(case((col(RunFieldRow.kind) == "blank", RunFieldRow.count), else_=0))
    fields_q = (
        select(RunFieldRow.placeholder, missing.label("missing"), blank.label("blank"))
        .join(RunRow, col(RunRow.id) == col(RunFieldRow.run_id))
        .where(*where)
        .group_by(col(RunFieldRow.placeholder))
        .order_by((missing + blank).cast(Integer).desc(), col(RunFieldRow.placeholder))
        .limit(top_fields)
    )
    with store.reading() as session:
        total_docs, total_runs, total_failures, total_rows = session.exec(totals_q).one()
        templates = [
            TemplateStats(
                name=str(name),
                documents=int(docs),
                runs=int(runs),
                failures=int(fails),
                rows=int(nrows),
                last_used=datetime.fromisoformat(str(last)),
                mean_ms_per_document=round(int(ms) / int(docs), 1) if docs else None,
                is_path=bool(is_path),
            )
            for name, docs, runs, fails, nrows, last, ms, is_path in session.execute(per_template_q)
        ]
        days = [(date.fromisoformat(str(day)), int(docs)) for day, docs in session.exec(per_day_q)]
        fields = [
            FieldCount(placeholder=str(name), missing=int(miss), blank=int(blk))
            for name, miss, blk in session.exec(fields_q)
        ]
    return Stats(
        since=since,
        template=template,
        total_documents=int(total_docs),
        total_runs=int(total_runs),
        total_failures=int(total_failures),
        total_rows=int(total_rows),
        templates=templates,
        per_day=_fill_days(days),
        fields=fields,
    )


def _fill_days(days: Sequence[tuple[date, int]]) -> list[DayCount]:
    """Add zero days between the first and last day with runs, so a bar chart has no gaps."""
    if not days:
        return []
    counts = dict(days)
    first, last = days[0][0], days[-1][0]
    span = (last - first).days
    return [
        DayCount(day=first + timedelta(days=i), documents=counts.get(first + timedelta(days=i), 0))
        for i in range(span + 1)
    ]


def write_csv(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write CSV with every text cell passed through :func:`csv_safe`."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])


STATS_CSV_HEADER = (
    "name",
    "documents",
    "runs",
    "failures",
    "rows",
    "last_used",
    "mean_ms_per_document",
)


def write_stats_csv(result: Stats, out: TextIO) -> None:
    """Write the per-template table of ``result`` as CSV (formula-safe)."""
    write_csv(
        out,
        STATS_CSV_HEADER,
        (
            (
                t.name,
                t.documents,
                t.runs,
                t.failures,
                t.rows,
                format_utc(t.last_used),
                "" if t.mean_ms_per_document is None else t.mean_ms_per_document,
            )
            for t in result.templates
        ),
    )
