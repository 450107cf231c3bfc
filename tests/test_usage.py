"""Tests for mytypist_cli.usage: the append-only usage journal and its claim protocol."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mytypist_cli import home
from mytypist_cli.errors import StoreError
from mytypist_cli.usage import journal as usage

STARTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "template_name": "invoice",
        "template_version": 2,
        "started": STARTED,
        "duration_ms": 120,
        "rows": 3,
        "documents": 2,
        "failures": 1,
        "output_kind": "docx",
        "missing": {"city": 2, "zip": 0},
        "blank": {"email": 1},
    }
    values.update(overrides)
    return values


def test_record_run_appends_one_json_line_to_the_home_journal() -> None:
    run_id = usage.record_run(**run())
    assert run_id is not None
    assert len(run_id) == 32
    lines = home.journal_path().read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record == {
        "v": 1,
        "id": run_id,
        "template_name": "invoice",
        "template_version": 2,
        "template_path": None,
        "template_sha256": None,
        "started_utc": "2026-03-01T12:00:00.000000+00:00",
        "duration_ms": 120,
        "rows": 3,
        "documents": 2,
        "failures": 1,
        "output_kind": "docx",
        "missing": {"city": 2},  # zero counts are dropped
        "blank": {"email": 1},
    }
    usage.record_run(**run())
    assert len(home.journal_path().read_text().splitlines()) == 2


def test_path_runs_store_an_absolute_path_and_sha(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    usage.record_run(
        journal=journal,
        **run(template_name=None, template_version=None, template_path="t.docx", template_sha256="ab"),
    )
    record = next(usage.iter_journal(journal))
    assert Path(record["template_path"]).is_absolute()
    assert record["template_sha256"] == "ab"


def test_local_times_are_stored_as_utc(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    local = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=-5)))
    usage.record_run(journal=journal, **run(started=local))
    assert next(usage.iter_journal(journal))["started_utc"] == "2026-03-01T13:00:00.000000+00:00"


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_no_analytics_turns_recording_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MYTYPIST_NO_ANALYTICS", value)
    assert not usage.analytics_enabled()
    assert usage.record_run(**run()) is None
    assert not home.journal_path().exists()


def test_analytics_on_by_default() -> None:
    assert usage.analytics_enabled({})
    assert usage.analytics_enabled({"MYTYPIST_NO_ANALYTICS": "0"})


@pytest.mark.parametrize(
    "overrides",
    [
        {"template_name": None},
        {"documents": -1},
        {"output_kind": ""},
        {"rows": 1.5},
        {"template_version": 0},
        {"missing": {"": 1}},
        {"blank": {"x": -2}},
        {"started": datetime(2026, 1, 1)},  # naive: which zone?
    ],
)
def test_malformed_runs_are_programming_errors(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        usage.make_run_record(**run(**overrides))


def test_unwritable_journal_raises_store_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    journal = blocker / "usage.jsonl"  # its parent is a file
    with pytest.raises(StoreError, match=str(journal)):
        usage.record_run(journal=journal, **run())


def test_claim_read_release(tmp_path: Path) -> None:
    journal = tmp_path / "usage.jsonl"
    assert usage.claim_journal(journal) == []
    first = usage.record_run(journal=journal, **run())
    with journal.open("ab") as handle:
        handle.write(b"{not json\n[1, 2]\n\n")
    claimed = usage.claim_journal(journal)
    assert len(claimed) == 1
    assert not journal.exists()
    # A run recorded after the claim goes to a fresh journal, not the claimed file.
    second = usage.record_run(journal=journal, **run())
    records, bad = usage.read_claimed(claimed[0])
    assert [r["id"] for r in records] == [first]
    assert bad == 2
    # An unreleased claim (a crashed ingester) is handed out again with the new one.
    again = usage.claim_journal(journal)
    assert claimed[0] in again
    assert len(again) == 2
    for path in again:
        usage.release_claimed(path)
    usage.release_claimed(again[0])  # already gone: fine
    assert usage.read_claimed(again[0]) == ([], 0)
    assert second is not None


APPENDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mytypist_cli.usage import journal as usage
    journal, k = Path(sys.argv[1]), sys.argv[2]
    for i in range(300):
        usage.record_run(
            journal=journal, run_id=f"{k}-{i}", template_name="t" * 200, started=usage.utc_now(),
            duration_ms=1, rows=1, documents=1, failures=0, output_kind="docx",
            missing={f"field{n}": 1 for n in range(40)},
        )
    """
)


def test_parallel_appends_and_claims_lose_and_tear_nothing(tmp_path: Path) -> None:
    journal = tmp_path / "usage.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(journal), str(k)]) for k in range(4)]
    seen: list[str] = []
    malformed = 0

    def drain() -> None:
        nonlocal malformed
        for claimed in usage.claim_journal(journal):
            records, bad = usage.read_claimed(claimed)
            seen.extend(r["id"] for r in records)
            malformed += bad
            usage.release_claimed(claimed)

    while any(p.poll() is None for p in procs):
        drain()
    drain()
    assert all(p.returncode == 0 for p in procs)
    assert malformed == 0
    assert sorted(seen) == sorted(f"{k}-{i}" for k in range(4) for i in range(300))


def test_usage_import_does_not_pull_in_sqlmodel(tmp_path: Path) -> None:
    code = (
        "import sys, mytypist_cli.usage.journal; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlmodel', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
