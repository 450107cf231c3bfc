"""Tests for mytypist_cli.store: templates, versions, refusals, backup/restore, crashes, concurrency."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from mytypist_cli import home
from mytypist_cli.errors import NotFoundError, OutputExistsError, StoreError
from mytypist_cli.library import migrations
from mytypist_cli.library import store as store_module
from mytypist_cli.library.lookup import connect_raw
from mytypist_cli.library.store import (
    IngestReport,
    Store,
    check_library_file,
    lookup_template,
    open_store,
    parse_ref,
    restore,
)
from mytypist_cli.usage import journal as usage


@pytest.fixture
def db() -> Path:
    return home.db_path()


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    with open_store(db) as opened:
        yield opened


def add(store: Store, data: bytes, name: str = "invoice", **kwargs: object) -> str:
    result = store.add_template(data, name=name, placeholders=["a", "b"], **kwargs)  # type: ignore[arg-type]
    return result.status


# --- templates and versions ---------------------------------------------------


def test_add_then_get_round_trips_bytes_and_metadata(store: Store) -> None:
    result = store.add_template(
        b"docx-1",
        path="/somewhere/Offer Letter.docx",
        placeholders=["name", "date", "name", " "],
        delimiters=("{{", "}}"),
        category="HR",
        tags=["letters", "hr", "letters"],
        description="Standard offer",
    )
    assert result.status == "added"
    assert result.changed
    got = store.get_template("Offer Letter")
    assert got.data == b"docx-1"
    info = got.info
    assert (info.name, info.version, info.size) == ("Offer Letter", 1, 6)
    assert info.sha256 == hashlib.sha256(b"docx-1").hexdigest()
    assert info.placeholders == ("name", "date")
    assert info.tags == ("letters", "hr")
    assert info.delimiters == ("{{", "}}")
    assert info.category == "HR"
    assert info.description == "Standard offer"
    assert info.created.tzinfo is not None
    as_json = info.to_json_dict()
    for key in ("name", "version", "category", "tags", "placeholders", "sha256", "created"):
        assert key in as_json
    assert as_json["created"].endswith("+00:00")


def test_new_bytes_make_a_new_version_and_keep_the_old(store: Store) -> None:
    assert add(store, b"v1", category="Sales", tags=["money"]) == "added"
    result = store.add_template(b"v2", name="invoice", placeholders=["a", "c"])
    assert result.status == "new_version"
    assert result.previous is not None
    assert result.previous.version == 1
    assert result.template.version == 2
    # Metadata not given again is carried over from the previous version.
    assert result.template.category == "Sales"
    assert result.template.tags == ("money",)
    assert store.get_template("invoice").data == b"v2"
    assert store.get_template("invoice@1").data == b"v1"
    assert store.get_template("invoice@2").info.placeholders == ("a", "c")
    assert [v.version for v in store.versions("invoice")] == [1, 2]
    assert store.exists("invoice@2")
    assert not store.exists("invoice@3")


def test_identical_bytes_change_nothing(store: Store) -> None:
    add(store, b"same")
    before = store.get_info("invoice")
    result = store.add_template(b"same", name="invoice", placeholders=["x"], category="Other")
    assert result.status == "unchanged"
    assert not result.changed
    assert result.template == before
    assert store.get_info("invoice") == before
    assert len(store.versions("invoice")) == 1


def test_same_bytes_with_other_delimiters_is_a_new_version(store: Store) -> None:
    add(store, b"same")
    result = store.add_template(b"same", name="invoice", placeholders=["a"], delimiters=("[[", "]]"))
    assert result.status == "new_version"


def test_unknown_names_and_versions_raise_not_found(store: Store) -> None:
    add(store, b"v1")
    with pytest.raises(NotFoundError, match="no template named 'nope'"):
        store.get_template("nope")
    with pytest.raises(NotFoundError, match=r"no version 7 \(versions: 1\)"):
        store.get_template("invoice@7")
    with pytest.raises(NotFoundError):
        store.versions("nope")
    with pytest.raises(NotFoundError):
        store.remove_template("nope")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("a", ("a", None)), ("a@3", ("a", 3)), ("my file@12", ("my file", 12))],
)
def test_parse_ref(ref: str, expected: tuple[str, int | None]) -> None:
    assert parse_ref(ref) == expected


@pytest.mark.parametrize("ref", ["a@", "a@0", "a@x", "@2", ""])
def test_parse_ref_rejects_bad_refs(ref: str) -> None:
    with pytest.raises(StoreError):
        parse_ref(ref)


@pytest.mark.parametrize("name", ["", " padded", "a@b", "tab\there"])
def test_bad_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(StoreError, match="bad template name"):
        store.add_template(b"x", name=name, placeholders=[])


def test_add_needs_a_name_or_path(store: Store) -> None:
    with pytest.raises(StoreError, match="needs a name"):
        store.add_template(b"x", placeholders=[])


def test_list_filters(store: Store) -> None:
    store.add_template(b"1", name="invoice", placeholders=["total"], category="Sales", tags=["money"])
    store.add_template(b"2", name="invoice", placeholders=["total", "vat"])
    store.add_template(b"3", name="offer", placeholders=["salary"], category="HR", tags=["Letters"])
    store.add_template(b"4", name="receipt_50%", placeholders=[], description="Paid in full")

    def refs(**kwargs: object) -> list[str]:
        return [t.ref for t in store.list_templates(**kwargs)]  # type: ignore[arg-type]

    assert refs() == ["invoice@2", "offer@1", "receipt_50%@1"]
    assert refs(all_versions=True) == ["invoice@1", "invoice@2", "offer@1", "receipt_50%@1"]
    assert refs(category="sales") == ["invoice@2"]
    assert refs(tag="letters") == ["offer@1"]
    assert refs(tag="lett") == []
    assert refs(search="PAID") == ["receipt_50%@1"]
    assert refs(search="salary") == ["offer@1"]  # placeholders are searched too
    # LIKE wildcards in the search term are literal characters.
    assert refs(search="50%") == ["receipt_50%@1"]
    assert refs(search="_") == ["receipt_50%@1"]
    assert refs(search="vat", all_versions=True) == ["invoice@2"]


def test_remove_one_version_keeps_the_others(store: Store) -> None:
    add(store, b"v1")
    add(store, b"v2")
    removed = store.remove_template("invoice@1")
    assert [r.ref for r in removed] == ["invoice@1"]
    assert [v.version for v in store.versions("invoice")] == [2]
    with pytest.raises(NotFoundError):
        store.get_template("invoice@1")
    assert store.get_template("invoice").data == b"v2"


def test_remove_a_name_removes_every_version_and_orphaned_bytes(store: Store) -> None:
    add(store, b"v1")
    add(store, b"v2")
    add(store, b"v1", name="copy")  # shares bytes with invoice@1
    removed = store.remove_template("invoice")
    assert [r.ref for r in removed] == ["invoice@1", "invoice@2"]
    assert not store.exists("invoice")
    assert store.get_template("copy").data == b"v1"
    with sqlite3.connect(store.path) as conn:
        blobs = {row[0] for row in conn.execute("SELECT sha256 FROM template_blobs")}
    assert blobs == {hashlib.sha256(b"v1").hexdigest()}


def test_edit_changes_every_version(store: Store) -> None:
    add(store, b"v1", category="Sales", tags=["a"], description="old")
    add(store, b"v2")
    info = store.edit_template("invoice", category="Billing", tags=["x", "y"], description="new")
    assert (info.version, info.category, info.tags, info.description) == (2, "Billing", ("x", "y"), "new")
    assert store.get_info("invoice@1").category == "Billing"
    assert info.updated >= info.created
    cleared = store.edit_template("invoice", category="", tags=[])
    assert cleared.category is None
    assert cleared.tags == ()
    assert cleared.description == "new"


def test_rename_moves_every_version(store: Store) -> None:
    add(store, b"v1")
    add(store, b"v2")
    add(store, b"other", name="taken")
    info = store.edit_template("invoice", rename="bill")
    assert info.ref == "bill@2"
    assert [v.ref for v in store.versions("bill")] == ["bill@1", "bill@2"]
    assert not store.exists("invoice")
    with pytest.raises(StoreError, match="already exists"):
        store.edit_template("bill", rename="taken")
    with pytest.raises(StoreError, match="without @1"):
        store.edit_template("bill@1", category="x")
    with pytest.raises(NotFoundError):
        store.edit_template("invoice", category="x")
    with pytest.raises(StoreError, match="bad template name"):
        store.edit_template("bill", rename="a@b")


def test_every_write_begins_immediate_and_reads_do_not(store: Store) -> None:
    begins: list[str] = []

    def capture(*args: object) -> None:
        statement = str(args[2])
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(store._engine, "before_cursor_execute", capture)
    add(store, b"v1")
    assert begins == ["BEGIN IMMEDIATE"]
    begins.clear()
    store.list_templates()
    store.get_template("invoice")
    assert begins == ["BEGIN DEFERRED", "BEGIN DEFERRED"]
    begins.clear()
    store.edit_template("invoice", category="c")
    store.remove_template("invoice")
    assert begins == ["BEGIN IMMEDIATE", "BEGIN IMMEDIATE"]


def test_library_is_in_wal_mode(store: Store, db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- refusing files that are not our library -------------------------------------


def _assert_refused(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(StoreError, match=match) as caught:
        open_store(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert not path.with_name(path.name + "-wal").exists()


def test_garbage_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "mytypist.db"
    path.write_bytes(os.urandom(5000))
    _assert_refused(path, "not an SQLite database")


def test_damaged_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "mytypist.db"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8000))
    _assert_refused(path, "cannot open library")


def test_foreign_sqlite_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "mytypist.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.execute("INSERT INTO people VALUES ('Ada')")
    conn.close()
    _assert_refused(path, "not a mytypist library")


def test_library_from_a_newer_mytypist_is_refused(db: Path) -> None:
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO _mytypist_migrations (name, applied_utc) VALUES ('m999_future', 'x')")
    conn.close()
    with pytest.raises(StoreError, match="newer mytypist.*m999_future"):
        open_store(db)


def test_empty_file_becomes_a_new_library(tmp_path: Path) -> None:
    path = tmp_path / "mytypist.db"
    path.touch()
    with open_store(path) as opened:
        assert opened.list_templates() == []


def test_store_wraps_sqlite_failures_in_store_error(store: Store, db: Path) -> None:
    add(store, b"v1")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE templates")
    conn.close()
    with pytest.raises(StoreError, match=str(db)):
        store.list_templates()


# --- migrations through open_store --------------------------------------------------


def test_database_of_the_first_schema_is_migrated_on_open(db: Path) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    assert migrations.migrate(conn, upto="m001_templates") == ["m001_templates"]
    digest = hashlib.sha256(b"old bytes").hexdigest()
    conn.execute("INSERT INTO template_blobs VALUES (?, ?)", (digest, b"old bytes"))
    conn.execute(
        "INSERT INTO templates (name, version, sha256, size, placeholders, created_utc, updated_utc)"
        " VALUES ('legacy', 1, ?, 9, '[\"who\"]', '2026-01-01T00:00:00.000000+00:00',"
        " '2026-01-01T00:00:00.000000+00:00')",
        (digest,),
    )
    conn.close()
    with open_store(db) as opened:
        got = opened.get_template("legacy")
        assert got.data == b"old bytes"
        assert got.info.placeholders == ("who",)
        assert opened.run_count() == 0  # the runs table now exists
    with sqlite3.connect(db) as check:
        done = {row[0] for row in check.execute("SELECT name FROM _mytypist_migrations")}
    check.close()
    assert done == set(migrations.KNOWN_NAMES)


def test_library_of_the_previous_schema_gets_a_null_locale_column(db: Path) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, isolation_level=None)
    assert migrations.migrate(conn, upto="m002_usage_runs") == ["m001_templates", "m002_usage_runs"]
    digest = hashlib.sha256(b"old bytes").hexdigest()
    conn.execute("INSERT INTO template_blobs VALUES (?, ?)", (digest, b"old bytes"))
    for version in (1, 2):
        conn.execute(
            "INSERT INTO templates (name, version, sha256, size, created_utc, updated_utc)"
            " VALUES ('legacy', ?, ?, 9, '2026-01-01T00:00:00.000000+00:00',"
            " '2026-01-01T00:00:00.000000+00:00')",
            (version, digest),
        )
    conn.close()
    assert lookup_template(db, "legacy") is None  # the fast path leaves an old schema to open_store
    with open_store(db) as opened:
        assert [t.locale for t in opened.versions("legacy")] == [None, None]
        assert opened.get_info("legacy").to_json_dict()["locale"] is None
        assert opened.edit_template("legacy", locale="fr_FR").locale == "fr_FR"
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT locale FROM templates ORDER BY version").fetchall() == [
            ("fr_FR",),
            ("fr_FR",),
        ]
    check.close()
    got = lookup_template(db, "legacy@1")  # the migrated schema is the known one again
    assert got is not None
    assert got.info.locale == "fr_FR"


def test_locale_is_carried_over_and_set_apart_from_bytes(store: Store) -> None:
    assert store.add_template(b"v1", name="x", placeholders=[], locale="fr_FR").template.locale == "fr_FR"
    assert store.add_template(b"v2", name="x", placeholders=[]).template.locale == "fr_FR"
    assert store.add_template(b"v2", name="x", placeholders=[], locale="fr_FR").status == "unchanged"
    cleared = store.add_template(b"v2", name="x", placeholders=[], locale="")
    assert (cleared.status, cleared.template.locale) == ("new_version", None)
    assert store.edit_template("x", locale="en_GB").locale == "en_GB"
    assert {t.locale for t in store.versions("x")} == {"en_GB"}
    assert store.edit_template("x", locale="").locale is None


# --- backup and restore ---------------------------------------------------------------


def test_backup_is_a_single_self_contained_library(store: Store, tmp_path: Path) -> None:
    add(store, b"v1")
    add(store, b"v2")
    dest = store.backup(tmp_path / "backup.db")
    assert not (tmp_path / "backup.db-wal").exists()
    assert check_library_file(dest) == set(migrations.KNOWN_NAMES)
    with open_store(dest, ingest=False) as copy:
        assert [t.ref for t in copy.list_templates(all_versions=True)] == ["invoice@1", "invoice@2"]
    with pytest.raises(OutputExistsError, match="backup.db exists; pass --overwrite to replace it"):
        store.backup(dest)
    store.backup(dest, overwrite=True)
    with pytest.raises(StoreError, match="onto itself"):
        store.backup(store.path, overwrite=True)


def test_restore_keeps_the_current_library_beside_it(db: Path, tmp_path: Path) -> None:
    with open_store(db) as opened:
        add(opened, b"v1")
        backup = opened.backup(tmp_path / "backup.db")
        add(opened, b"later", name="after-backup")
    result = restore(backup, db)
    assert result.previous_copy is not None
    assert result.previous_copy.parent == db.parent
    assert "before-restore" in result.previous_copy.name
    with open_store(db) as restored:
        assert [t.name for t in restored.list_templates()] == ["invoice"]
    with open_store(result.previous_copy, ingest=False) as kept:
        assert [t.name for t in kept.list_templates()] == ["after-backup", "invoice"]


def test_restore_migrates_a_first_schema_library(db: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    migrations.migrate(conn, upto="m001_templates")
    conn.close()
    open_store(db).close()
    result = restore(old, db)
    assert result.migrations_applied == ["m002_usage_runs", "m003_template_locale", "m004_template_syntax"]
    with open_store(db) as restored:
        assert restored.run_count() == 0


def test_restore_replaces_a_damaged_current_library(db: Path, tmp_path: Path) -> None:
    with open_store(tmp_path / "good.db") as good:
        add(good, b"v1")
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    result = restore(tmp_path / "good.db", db)
    assert result.previous_copy is not None
    assert result.previous_copy.read_bytes().endswith(b"\x07" * 100)
    with open_store(db) as restored:
        assert restored.get_template("invoice").data == b"v1"


def test_restore_into_an_empty_home(db: Path, tmp_path: Path) -> None:
    with open_store(tmp_path / "good.db") as good:
        add(good, b"v1")
    result = restore(tmp_path / "good.db", db)
    assert result.previous_copy is None
    with open_store(db) as restored:
        assert restored.exists("invoice")


@pytest.mark.parametrize("kind", ["garbage", "foreign", "newer", "missing"])
def test_restore_refuses_what_it_cannot_migrate(db: Path, tmp_path: Path, kind: str) -> None:
    with open_store(db) as opened:
        add(opened, b"v1")
    src = tmp_path / f"{kind}.db"
    if kind == "garbage":
        src.write_bytes(b"not a database at all")
    elif kind == "foreign":
        with sqlite3.connect(src) as conn:
            conn.execute("CREATE TABLE people (name TEXT)")
        conn.close()
    elif kind == "newer":
        open_store(src).close()
        with sqlite3.connect(src) as conn:
            conn.execute("INSERT INTO _mytypist_migrations VALUES ('m999_future', 'x')")
        conn.close()
    with pytest.raises(StoreError, match=str(src)):
        restore(src, db)
    assert list(db.parent.glob("*before-restore*")) == []
    with open_store(db) as still:
        assert still.exists("invoice")


# --- processes: concurrency, crashes, backup under load --------------------------------

# Each worker opens ROUNDS new libraries, all eight at once: switching a new library to WAL
# is where "database is locked" used to come from, about once in twenty such openings.
ROUNDS = 20
WORKERS = 8

WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mytypist_cli.library import store
    from mytypist_cli.usage import journal as usage
    root, k, rounds, workers = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

    def together(step):
        # Every worker waits here until all have arrived (or one has failed).
        (root / f"{step}-{k}").touch()
        deadline = time.monotonic() + 60
        while len(list(root.glob(f"{step}-*"))) < workers:
            if (root / "failed").exists() or time.monotonic() > deadline:
                sys.exit(f"worker {k}: stopped at {step}, another worker failed")
            time.sleep(0.002)

    try:
        for n in range(rounds):
            home = root / f"round{n}"
            home.mkdir(exist_ok=True)
            together(f"go{n}")
            # The first open makes the library; the second opens it as others still make it.
            for j in range(2):
                for _ in range(3):
                    usage.record_run(
                        journal=home / "usage.jsonl", template_name=f"p{k}", template_version=1,
                        started=usage.utc_now(), duration_ms=10, rows=2, documents=2, failures=0,
                        output_kind="docx", missing={"city": 1},
                    )
                with store.open_store(home / "mytypist.db") as s:
                    s.add_template(f"{k}-{j}".encode() * 1000, name=f"p{k}-{j}", placeholders=["a"])
                    s.add_template(f"shared {k}-{j}".encode(), name="shared", placeholders=["a"])
                    s.list_templates()
    except BaseException:
        (root / "failed").touch()
        raise
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MYTYPIST_NO_ANALYTICS", None)
    return env


def test_eight_processes_at_once_never_lock_and_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "homes"
    root.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), str(k), str(ROUNDS), str(WORKERS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
        )
        for k in range(WORKERS)
    ]
    errors = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        if proc.returncode != 0 or b"locked" in err:
            errors.append(err.decode())
    assert not errors, errors[0]
    for n in range(ROUNDS):
        home_dir = root / f"round{n}"
        with open_store(home_dir / "mytypist.db") as s:
            assert s.run_count() == WORKERS * 2 * 3
            assert sum(f.count for f in s.field_counts()) == WORKERS * 2 * 3
            names = {t.name for t in s.list_templates()}
            assert names == {f"p{k}-{j}" for k in range(WORKERS) for j in range(2)} | {"shared"}
            assert [v.version for v in s.versions("shared")] == list(range(1, WORKERS * 2 + 1))
            for k in range(WORKERS):
                assert s.get_template(f"p{k}-1").data == f"{k}-1".encode() * 1000
        assert not list(home_dir.glob("usage.jsonl*"))


class _BusyAtFirst:
    """A connection whose first ``times`` switches to WAL fail with SQLITE_BUSY, as SQLite may
    answer at once (without the busy handler) when another process is switching it too."""

    def __init__(self, conn: sqlite3.Connection, times: int) -> None:
        self._conn = conn
        self.left = times

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if "journal_mode" in sql and self.left:
            self.left -= 1
            busy = sqlite3.OperationalError("database is locked")
            busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
            raise busy
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


def test_a_busy_switch_to_wal_is_tried_again(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[_BusyAtFirst] = []

    def connect(path: Path, *, readonly: bool = False) -> _BusyAtFirst:
        made.append(_BusyAtFirst(connect_raw(path, readonly=readonly), times=3))
        return made[-1]

    monkeypatch.setattr(store_module, "connect_raw", connect, raising=True)
    with open_store(db) as opened:
        add(opened, b"v1")
    assert made
    assert made[0].left == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_other_errors_switching_to_wal_are_not_retried(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Failing(_BusyAtFirst):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if "journal_mode" in sql:
                self.left += 1
                raise sqlite3.OperationalError("disk I/O error")
            return self._conn.execute(sql, *args)

    made: list[Failing] = []

    def connect(path: Path, *, readonly: bool = False) -> Failing:
        made.append(Failing(connect_raw(path, readonly=readonly), times=0))
        return made[-1]

    monkeypatch.setattr(store_module, "connect_raw", connect, raising=True)
    with pytest.raises(StoreError, match="disk I/O error"):
        open_store(db)
    assert made[0].left == 1


ADDER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from mytypist_cli.library import store
    with store.open_store(Path(sys.argv[1])) as s:
        i = 0
        while True:
            s.add_template(os.urandom(1 << 20), name=f"t{i}", placeholders=["a"])
            print(i, flush=True)
            i += 1
    """
)


def test_killed_add_leaves_every_template_whole_or_absent(db: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", ADDER, str(db)], stdout=subprocess.PIPE, env=_env())
    assert proc.stdout is not None
    for _ in range(3):
        proc.stdout.readline()
    time.sleep(0.03)  # land somewhere inside a later add
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with open_store(db) as s:
        infos = s.list_templates()
        numbers = sorted(int(t.name[1:]) for t in infos)
        assert numbers == list(range(len(numbers)))
        assert len(numbers) >= 3
        for info in infos:
            got = s.get_template(info.name)
            assert len(got.data) == info.size == 1 << 20
            assert hashlib.sha256(got.data).hexdigest() == info.sha256


WRITER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from mytypist_cli.library import store
    db, stop = Path(sys.argv[1]), Path(sys.argv[2])
    with store.open_store(db) as s:
        i = 0
        while not stop.exists():
            s.add_template(os.urandom(64 * 1024), name=f"w{i}", placeholders=["a"])
            print(f"w{i}", flush=True)
            i += 1
    """
)


def test_backup_during_writes_restores_every_committed_template(db: Path, tmp_path: Path) -> None:
    stop = tmp_path / "stop"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(stop)], stdout=subprocess.PIPE, env=_env()
    )
    assert proc.stdout is not None
    committed = [proc.stdout.readline().decode().strip() for _ in range(5)]
    backups: list[tuple[set[str], Path]] = []
    with open_store(db) as s:
        for n in range(3):
            # Everything the writer reported before this backup started must be in it.
            committed.append(proc.stdout.readline().decode().strip())
            backups.append((set(committed), s.backup(tmp_path / f"backup{n}.db")))
    committed.append(proc.stdout.readline().decode().strip())  # it kept writing
    stop.touch()
    proc.communicate(timeout=20)
    assert proc.returncode == 0
    for expected, backup in backups:
        check_library_file(backup)
        result = restore(backup, db)
        with open_store(db) as restored:
            names = {t.name for t in restored.list_templates()}
            assert expected <= names
            for name in names:
                got = restored.get_template(name)
                assert hashlib.sha256(got.data).hexdigest() == got.info.sha256
        assert result.previous_copy is not None
        assert result.previous_copy.exists()


# --- ingesting the usage journal ----------------------------------------------------------


def _record(n: int, journal: Path) -> None:
    for _ in range(n):
        usage.record_run(
            journal=journal,
            template_name="invoice",
            started=usage.utc_now(),
            duration_ms=5,
            rows=1,
            documents=1,
            failures=0,
            output_kind="docx",
            blank={"city": 1},
        )


def test_ingest_moves_journal_runs_into_the_database(store: Store) -> None:
    _record(2, store.journal)
    report = store.ingest_usage()
    assert (report.runs_added, report.files, report.malformed) == (2, 1, 0)
    assert store.run_count() == 2
    assert [(f.placeholder, f.kind, f.count) for f in store.field_counts()] == [("city", "blank", 1)] * 2
    assert not store.journal.exists()
    assert store.ingest_usage() == IngestReport()


def test_reingesting_after_a_crash_counts_nothing_twice(store: Store) -> None:
    _record(3, store.journal)
    lines = store.journal.read_bytes()
    store.ingest_usage()
    # An ingester killed after its commit but before deleting its claim leaves this:
    leftover = store.journal.with_name("usage.jsonl.123-abc.ingest")
    leftover.write_bytes(lines + b'{"id": "x", "started_utc": "not a time"}\n')
    report = store.ingest_usage()
    assert (report.runs_added, report.malformed) == (0, 1)
    assert store.run_count() == 3
    assert not leftover.exists()


def test_open_store_ingests_and_no_analytics_records_nothing(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(1, home.journal_path())
    monkeypatch.setenv("MYTYPIST_NO_ANALYTICS", "1")
    _record(1, home.journal_path())
    with open_store(db) as opened:
        assert opened.run_count() == 1


def test_paths_with_url_characters_work(tmp_path: Path) -> None:
    path = tmp_path / "we?ird #dir" / "my typist.db"
    with open_store(path) as opened:
        add(opened, b"v1")
        opened.backup(tmp_path / "back?up.db")
    with open_store(tmp_path / "back?up.db") as copy:
        assert copy.exists("invoice")
