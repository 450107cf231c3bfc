"""Tests for mytypist_cli.analytics: numbers checked against the runs the test records."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mytypist_cli import home
from mytypist_cli.csv_cells import csv_safe
from mytypist_cli.errors import StoreError
from mytypist_cli.library.store import Store, open_store
from mytypist_cli.usage import analytics
from mytypist_cli.usage import journal as usage

LETTER = "/srv/templates/letter.docx"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def eastern() -> Iterator[None]:
    """Run in a fixed local zone (UTC-5, no DST) so local days are predictable."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "EST+5"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def record(**kwargs: object) -> None:
    values: dict[str, object] = {"failures": 0, "output_kind": "docx"}
    values.update(kwargs)
    usage.record_run(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(eastern: None) -> Iterator[Store]:
    record(
        template_name="invoice",
        template_version=1,
        started=utc("2026-03-01T03:00:00"),  # 22:00 on 28 Feb, local
        duration_ms=100,
        rows=3,
        documents=2,
        failures=1,
        missing={"city": 2},
        blank={"email": 1},
    )
    record(
        template_name="invoice",
        template_version=2,
        started=utc("2026-03-02T15:00:00"),
        duration_ms=250,
        rows=5,
        documents=5,
        missing={"city": 1},
        output_kind="zip",
    )
    record(
        template_name="offer",
        template_version=1,
        started=utc("2026-03-04T10:00:00"),
        duration_ms=40,
        rows=1,
        documents=1,
        blank={"email": 1, "phone": 1},
    )
    record(
        template_path=LETTER,
        template_sha256="ab" * 32,
        started=utc("2026-03-04T11:00:00"),
        duration_ms=30,
        rows=1,
        documents=0,
        failures=1,
    )
    with open_store(home.db_path()) as opened:
        opened.add_template(b"inv", name="invoice", placeholders=["city"])
        yield opened


def test_totals_and_per_template_rows(store: Store) -> None:
    result = analytics.stats(store)
    assert (result.total_documents, result.total_runs, result.total_failures) == (8, 4, 2)
    assert result.total_rows == 10
    assert [(t.name, t.documents, t.runs, t.failures, t.rows) for t in result.templates] == [
        ("invoice", 7, 2, 1, 8),
        ("offer", 1, 1, 0, 1),
        (LETTER, 0, 1, 1, 1),
    ]
    invoice, offer, letter = result.templates
    assert invoice.last_used == utc("2026-03-02T15:00:00")
    assert invoice.mean_ms_per_document == 50.0  # (100 + 250) ms / 7 documents
    assert offer.mean_ms_per_document == 40.0
    assert letter.mean_ms_per_document is None  # no documents: no mean
    assert letter.is_path
    assert not invoice.is_path


def test_documents_per_day_are_counted_in_local_time(store: Store) -> None:
    result = analytics.stats(store)
    assert [(d.day, d.documents) for d in result.per_day] == [
        (date(2026, 2, 28), 2),  # 03:00 UTC on 1 March is still 28 February in UTC-5
        (date(2026, 3, 1), 0),  # gaps are filled so a chart has every day
        (date(2026, 3, 2), 5),
        (date(2026, 3, 3), 0),
        (date(2026, 3, 4), 1),
    ]


def test_most_often_missing_and_blank_placeholders(store: Store) -> None:
    result = analytics.stats(store)
    assert [(f.placeholder, f.missing, f.blank, f.total) for f in result.fields] == [
        ("city", 3, 0, 3),
        ("email", 0, 2, 2),
        ("phone", 0, 1, 1),
    ]
    assert [f.placeholder for f in analytics.stats(store, top_fields=1).fields] == ["city"]


def test_since_keeps_later_runs(store: Store) -> None:
    result = analytics.stats(store, since=utc("2026-03-02T00:00:00"))
    assert (result.total_documents, result.total_runs) == (6, 3)
    assert [t.name for t in result.templates] == ["invoice", "offer", LETTER]
    assert [f.placeholder for f in result.fields] == ["city", "email", "phone"]
    assert result.fields[0].missing == 1


def test_template_filter_by_name_version_or_path(store: Store) -> None:
    assert analytics.stats(store, template="invoice").total_documents == 7
    only_v1 = analytics.stats(store, template="invoice@1")
    assert (only_v1.total_documents, only_v1.total_runs) == (2, 1)
    assert [f.placeholder for f in only_v1.fields] == ["city", "email"]
    assert analytics.stats(store, template=LETTER).total_failures == 1
    nothing = analytics.stats(store, template="nope")
    assert (nothing.total_documents, nothing.templates, nothing.per_day) == (0, [], [])


def test_renamed_template_keeps_its_history(store: Store) -> None:
    store.edit_template("invoice", rename="bill")
    result = analytics.stats(store)
    assert result.templates[0].name == "bill"
    assert analytics.stats(store, template="bill").total_documents == 7


def test_json_shape(store: Store) -> None:
    data = json.loads(json.dumps(analytics.stats(store).to_json_dict()))
    assert data["total_documents"] == 8
    assert data["total_runs"] == 4
    first = data["templates"][0]
    assert {"name", "documents", "runs", "failures", "last_used"} <= set(first)
    assert first["last_used"] == "2026-03-02T15:00:00.000000+00:00"
    assert data["per_day"][0] == {"day": "2026-02-28", "documents": 2}
    assert data["fields"][0] == {"placeholder": "city", "missing": 3, "blank": 0}


def test_empty_library_has_zero_stats(tmp_path: Path) -> None:
    with open_store(tmp_path / "empty.db") as empty:
        result = analytics.stats(empty)
    assert (result.total_documents, result.total_runs, result.total_failures) == (0, 0, 0)
    assert (result.templates, result.per_day, result.fields) == ([], [], [])


def test_runs_are_ingested_once_however_often_the_store_opens(store: Store) -> None:
    store.close()
    with open_store(home.db_path()) as again:
        assert analytics.stats(again).total_runs == 4


# --- parse_since ----------------------------------------------------------------------

NOW = utc("2026-03-31T12:00:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", utc("2026-03-01T12:00:00")),
        ("12h", utc("2026-03-31T00:00:00")),
        ("2w", utc("2026-03-17T12:00:00")),
        (" 1D ", utc("2026-03-30T12:00:00")),
        ("2026-01-01", utc("2026-01-01T05:00:00")),  # local midnight in UTC-5
        ("2026-01-01T08:30:00+00:00", utc("2026-01-01T08:30:00")),
    ],
)
def test_parse_since(eastern: None, text: str, expected: datetime) -> None:
    assert analytics.parse_since(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "30", "d30", "2026-13-01"])
def test_parse_since_rejects_nonsense(text: str) -> None:
    with pytest.raises(StoreError, match="bad --since"):
        analytics.parse_since(text)


# --- CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("invoice", "invoice"),
        ("a=b", "a=b"),
        (-5, -5),
        (None, None),
    ],
)
def test_csv_safe(value: object, expected: object) -> None:
    assert csv_safe(value) == expected


def test_stats_csv_defuses_formulas_in_template_names(eastern: None, tmp_path: Path) -> None:
    record(
        template_name='=HYPERLINK("http://evil","x")',
        started=utc("2026-03-01T12:00:00"),
        duration_ms=10,
        rows=1,
        documents=1,
    )
    with open_store(home.db_path()) as opened:
        result = analytics.stats(opened)
    out = io.StringIO()
    analytics.write_stats_csv(result, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == list(analytics.STATS_CSV_HEADER)
    assert rows[1][:4] == ['\'=HYPERLINK("http://evil","x")', "1", "1", "0"]
    assert rows[1][5] == "2026-03-01T12:00:00.000000+00:00"
