"""The library commands (add, list, show, remove, export, edit, backup, restore, stats): stdout vs stderr."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from docx_factory import make_docx, para
from mytypist_cli.cli import library as cli_library
from mytypist_cli.cli.app import app
from mytypist_cli.engine.template import Template
from mytypist_cli.errors import MacroTemplateError, TemplateError
from mytypist_cli.home import db_path
from mytypist_cli.library.store import open_store
from mytypist_cli.usage import journal as usage

runner = CliRunner()

OFFER = make_docx(para("Dear <<full_name>>, you start on <<start>> at <<company>>."))
OFFER_V2 = make_docx(para("Dear <<full_name>>, you start on <<start>> at <<company>> as <<role>>."))
RECEIPT = make_docx(para("Received <<amount>> from <<payer>>"))


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def offer(tmp_path: Path) -> Path:
    path = tmp_path / "offer.docx"
    path.write_bytes(OFFER)
    return path


def add(tmp_path: Path, name: str, data: bytes, *options: str) -> None:
    path = tmp_path / f"{name}.docx"
    path.write_bytes(data)
    result = runner.invoke(app, ["add", str(path), *options])
    assert result.exit_code == 0, result.output


def listed(*options: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["list", "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


# -- registration and start-up -------------------------------------------------------------


def test_each_library_command_is_registered_once() -> None:
    import typer.main

    names = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    for command in ("add", "list", "show", "remove", "export", "edit", "backup", "restore", "stats"):
        assert names.count(command) == 1


@pytest.mark.parametrize(
    "command", ["add", "list", "show", "remove", "export", "edit", "backup", "restore", "stats"]
)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"mytypist {command} " in result.stdout


def test_help_does_not_import_the_database_layer() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from mytypist_cli.cli.app import app\n"
        "for args in (['--help'], ['add', '--help'], ['list', '--help'], ['stats', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlmodel', 'sqlalchemy'))\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- add ------------------------------------------------------------------------------------


def test_add_says_what_it_did_on_stderr_only(offer: Path) -> None:
    result = invoke("add", str(offer), "--category", "letters", "--tag", "hr", "--description", "Offers")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "added offer (version 1, 3 placeholders)\n"
    [info] = listed()
    assert info["placeholders"] == ["full_name", "start", "company"]
    assert (info["category"], info["tags"], info["description"]) == ("letters", ["hr"], "Offers")


def test_new_bytes_make_a_version_and_the_same_bytes_change_nothing(offer: Path, tmp_path: Path) -> None:
    assert invoke("add", str(offer)).exit_code == 0
    newer = tmp_path / "offer-new.docx"
    newer.write_bytes(OFFER_V2)
    result = invoke("add", str(newer), "--name", "offer")
    assert result.exit_code == 0
    assert result.stderr == "offer: version 2 added (version 1 kept)\n"
    result = invoke("add", str(newer), "--name", "offer")
    assert result.exit_code == 0
    assert result.stderr == "offer: unchanged (same bytes as version 2)\n"
    result = invoke("add", str(newer), "--name", "offer", "--category", "x")
    assert "unchanged" in result.stderr
    assert "mytypist edit offer" in result.stderr
    result = invoke("list", "--all-versions")
    assert result.stdout == "offer@1\noffer@2\n"
    result = invoke("list")
    assert result.stdout == "offer\n"


def test_add_json_is_the_stored_template(offer: Path) -> None:
    result = invoke("add", str(offer), "--json", "--name", "letter")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] == "added"
    assert (data["name"], data["version"]) == ("letter", 1)
    assert result.stderr == "added letter (version 1, 3 placeholders)\n"


def test_add_with_other_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "curly.docx"
    path.write_bytes(make_docx(para("Hi {{ name }} from {{ town }}")))
    result = invoke("add", str(path), "--delimiters", "{{ }}")
    assert result.exit_code == 0, result.output
    [info] = listed()
    assert info["placeholders"] == ["name", "town"]
    assert info["delimiters"] == ["{{", "}}"]
    result = invoke("add", str(path), "--delimiters", "nonsense")
    assert result.exit_code == 2


def test_add_warns_when_there_are_no_placeholders(tmp_path: Path) -> None:
    path = tmp_path / "plain.docx"
    path.write_bytes(make_docx(para("No fields here")))
    result = invoke("add", str(path))
    assert result.exit_code == 0
    assert "warning: " in result.stderr
    assert "no <<placeholders>> found" in result.stderr
    assert "added plain (version 1, 0 placeholders)" in result.stderr


def test_add_refuses_a_broken_file_with_the_engines_message(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_bytes(b"just text")
    with pytest.raises(TemplateError) as engine:
        Template.open(b"just text")
    result = invoke("add", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"error: {path}: {engine.value}\n"
    assert listed() == []


def test_add_refuses_a_macro_enabled_file_with_the_engines_message(tmp_path: Path) -> None:
    data = make_docx(para("<<name>>"), extra={"word/vbaProject.bin": b"x"})
    path = tmp_path / "macro.docm"
    path.write_bytes(data)
    with pytest.raises(MacroTemplateError) as engine:
        Template.open(data).fill({})
    result = invoke("add", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: {engine.value}\n"
    assert listed() == []


def test_add_a_missing_file(tmp_path: Path) -> None:
    result = invoke("add", str(tmp_path / "nope.docx"))
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nope.docx'}: no such file\n"


def test_add_from_standard_input_needs_a_name() -> None:
    result = invoke("add", "-", input=OFFER)
    assert result.exit_code == 2
    assert "--name" in result.stderr
    result = invoke("add", "-", "--name", "piped", input=OFFER)
    assert result.exit_code == 0, result.output
    assert result.stderr == "added piped (version 1, 3 placeholders)\n"


def test_home_option_puts_the_library_elsewhere(offer: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    result = invoke("--home", str(elsewhere), "add", str(offer))
    assert result.exit_code == 0, result.output
    assert (elsewhere / "mytypist.db").exists()


# -- list -----------------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path) -> None:
    add(tmp_path, "offer", OFFER, "--category", "letters", "--tag", "hr", "--description", "Job offers")
    add(tmp_path, "offer", OFFER_V2)
    add(tmp_path, "receipt", RECEIPT, "--category", "Money", "--tag", "sales", "--tag", "hr")


@pytest.mark.usefixtures("library")
def test_list_json_has_the_contract_keys() -> None:
    result = invoke("list", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert [(t["name"], t["version"]) for t in data] == [("offer", 2), ("receipt", 1)]
    assert set(data[0]) == {
        "name",
        "version",
        "category",
        "tags",
        "description",
        "placeholders",
        "delimiters",
        "locale",
        "syntax",
        "sha256",
        "size",
        "created",
        "updated",
    }
    assert data[0]["placeholders"] == ["full_name", "start", "company", "role"]
    assert data[0]["category"] == "letters"  # carried over from version 1
    assert data[0]["locale"] is None  # none stored: the default, en_NG
    assert data[0]["sha256"] == __import__("hashlib").sha256(OFFER_V2).hexdigest()
    datetime.fromisoformat(str(data[0]["created"]))


@pytest.mark.usefixtures("library")
def test_list_filters() -> None:
    assert [t["name"] for t in listed("--category", "money")] == ["receipt"]
    assert [t["name"] for t in listed("--tag", "HR")] == ["offer", "receipt"]
    assert [t["name"] for t in listed("--tag", "sales")] == ["receipt"]
    assert [t["name"] for t in listed("payer")] == ["receipt"]  # a placeholder
    assert [t["name"] for t in listed("job")] == ["offer"]  # the description
    assert [(t["name"], t["version"]) for t in listed("--all-versions", "offer")] == [
        ("offer", 1),
        ("offer", 2),
    ]
    assert listed("--category", "none-such") == []


@pytest.mark.usefixtures("library")
def test_list_csv_and_table() -> None:
    result = invoke("list", "--csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["name"], r["version"], r["tags"]) for r in rows] == [
        ("offer", "2", "hr"),
        ("receipt", "1", "sales; hr"),
    ]
    assert rows[1]["placeholders"] == "amount payer"
    result = invoke("list", "--format", "table")
    assert result.exit_code == 0
    assert "2 templates" in result.stdout
    assert "offer" in result.stdout
    assert "receipt" in result.stdout
    assert invoke("list", "--json", "--csv").exit_code == 2
    assert invoke("list", "--format", "xml").exit_code == 2


def test_list_of_an_empty_library() -> None:
    result = invoke("list", "--format", "table")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "the library is empty" in result.stderr
    assert json.loads(invoke("list", "--json").stdout) == []


def test_list_csv_defuses_formulas(tmp_path: Path) -> None:
    add(tmp_path, "sheet", RECEIPT, "--description", '=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(invoke("list", "--csv").stdout)))
    assert rows[0]["description"] == '\'=HYPERLINK("http://x")'


# -- show -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("library")
def test_show_json_has_metadata_and_versions() -> None:
    result = invoke("show", "offer", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert (data["name"], data["version"], data["latest_version"]) == ("offer", 2, 2)
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert data["versions"][0]["placeholders"] == ["full_name", "start", "company"]
    data = json.loads(invoke("show", "offer@1", "--json").stdout)
    assert (data["version"], data["placeholders"]) == (1, ["full_name", "start", "company"])


@pytest.mark.usefixtures("library")
def test_show_text() -> None:
    result = invoke("show", "offer@1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "offer@1 (latest is 2; 2 versions)"
    assert "category     letters" in lines
    assert "placeholders 3: full_name, start, company" in lines
    assert "versions" in result.stdout


def test_show_an_unknown_name_is_one_error_line() -> None:
    result = invoke("show", "ghost")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "ghost" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.usefixtures("library")
def test_show_an_unknown_version() -> None:
    result = invoke("show", "offer@7")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


# -- remove ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("library")
def test_remove_without_yes_and_without_a_terminal_refuses() -> None:
    result = invoke("remove", "offer")
    assert result.exit_code == 1
    assert result.stderr == "error: not removing offer (versions 1, 2) without confirmation: pass --yes\n"
    assert [t["name"] for t in listed()] == ["offer", "receipt"]


@pytest.mark.usefixtures("library")
def test_remove_one_version_then_the_name() -> None:
    result = invoke("remove", "offer@2", "--yes")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "removed offer@2 (usage history kept)\n"
    assert [(t["name"], t["version"]) for t in listed()] == [("offer", 1), ("receipt", 1)]
    result = invoke("remove", "receipt", "-y")
    assert result.stderr == "removed receipt@1 (usage history kept)\n"
    assert [t["name"] for t in listed()] == ["offer"]
    result = invoke("remove", "receipt", "--yes")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


@pytest.mark.usefixtures("library")
def test_remove_asks_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_library, "_can_prompt", lambda: True)
    result = invoke("remove", "offer", input="n\n")
    assert result.exit_code == 1
    assert "Remove offer (versions 1, 2)?" in result.stderr
    assert "nothing removed" in result.stderr  # (CliRunner echoes the typed answer to stdout)
    assert len(listed()) == 2
    result = invoke("remove", "offer", input="y\n")
    assert result.exit_code == 0
    assert "removed offer@1, offer@2" in result.stderr
    assert [t["name"] for t in listed()] == ["receipt"]


# -- export ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("library")
def test_export_to_a_file_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "out.docx"
    result = invoke("export", "offer", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == f"exported offer@2 to {target}\n"
    assert target.read_bytes() == OFFER_V2
    result = invoke("export", "offer@1", "-o", str(target))
    assert result.exit_code == 1
    assert result.stderr == f"error: {target} exists; pass --overwrite to replace it\n"
    assert target.read_bytes() == OFFER_V2
    result = invoke("export", "offer@1", "-o", str(target), "--overwrite")
    assert result.exit_code == 0
    assert target.read_bytes() == OFFER
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.usefixtures("library")
def test_export_to_standard_output() -> None:
    result = invoke("export", "offer@1", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout_bytes == OFFER
    assert result.stderr == ""


@pytest.mark.usefixtures("library")
def test_export_needs_an_output_and_a_known_name(tmp_path: Path) -> None:
    assert invoke("export", "offer").exit_code == 2
    result = invoke("export", "ghost", "-o", str(tmp_path / "g.docx"))
    assert result.exit_code == 1
    assert not (tmp_path / "g.docx").exists()


# -- edit -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("library")
def test_edit_metadata_of_every_version() -> None:
    result = invoke("edit", "offer", "--category", "hr", "--tag", "a", "--tag", "b", "--description", "New")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == "offer: category hr; tags a, b; description set\n"
    for info in listed("--all-versions", "offer"):
        assert (info["category"], info["tags"], info["description"]) == ("hr", ["a", "b"], "New")
    result = invoke("edit", "offer", "--category", "", "--tag", "", "--json")
    assert result.stderr == "offer: category cleared; tags cleared\n"
    data = json.loads(result.stdout)
    assert (data["category"], data["tags"]) == (None, [])


@pytest.mark.usefixtures("library")
def test_edit_rename_moves_versions_and_usage() -> None:
    usage.record_run(
        started=usage.utc_now(),
        duration_ms=10,
        rows=1,
        documents=1,
        failures=0,
        output_kind="docx",
        template_name="offer",
        template_version=2,
    )
    result = invoke("edit", "offer", "--rename", "offer-letter")
    assert result.exit_code == 0, result.output
    assert result.stderr == "offer-letter: renamed from offer\n"
    assert [(t["name"], t["version"]) for t in listed("--all-versions", "offer")] == [
        ("offer-letter", 1),
        ("offer-letter", 2),
    ]
    assert invoke("show", "offer").exit_code == 1
    stats = json.loads(invoke("stats", "--json").stdout)
    assert [t["name"] for t in stats["templates"]] == ["offer-letter"]


@pytest.mark.usefixtures("library")
def test_edit_refusals() -> None:
    result = invoke("edit", "offer")
    assert result.exit_code == 2
    assert "nothing to change" in result.stderr
    result = invoke("edit", "offer", "--rename", "receipt")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert invoke("edit", "offer@1", "--category", "x").exit_code == 1
    assert invoke("edit", "ghost", "--category", "x").exit_code == 1


# -- locale ---------------------------------------------------------------------------------

DATED = make_docx(para("Signed on <<d|date>> for <<fee|money>>"))


def test_add_with_a_locale_stores_it(tmp_path: Path) -> None:
    path = tmp_path / "lettre.docx"
    path.write_bytes(DATED)
    result = invoke("add", str(path), "--locale", "fr_fr", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == "added lettre (version 1, 2 placeholders, locale fr_FR)\n"
    assert json.loads(result.stdout)["locale"] == "fr_FR"  # in babel's spelling
    assert [t["locale"] for t in listed()] == ["fr_FR"]
    shown = json.loads(invoke("show", "lettre", "--json").stdout)
    assert shown["locale"] == "fr_FR"
    text = invoke("show", "lettre").stdout
    assert "locale       fr_FR\n" in text
    # A new version keeps the locale; the same bytes in another locale are a new version.
    path.write_bytes(make_docx(para("Signed on <<d|date>> for <<fee|money>> by <<who>>")))
    assert invoke("add", str(path)).exit_code == 0
    assert [t["locale"] for t in listed("--all-versions")] == ["fr_FR", "fr_FR"]
    result = invoke("add", str(path), "--locale", "en_GB")
    assert result.exit_code == 0, result.output
    assert "version 3 added" in result.stderr
    assert invoke("add", str(path), "--locale", "en_GB").stderr.startswith("lettre: unchanged")
    assert [t["locale"] for t in listed("--all-versions")] == ["fr_FR", "fr_FR", "en_GB"]


def test_add_without_a_locale_stores_none_and_show_text_omits_it(offer: Path) -> None:
    assert invoke("add", str(offer)).exit_code == 0
    assert json.loads(invoke("show", "offer", "--json").stdout)["locale"] is None
    assert "locale" not in invoke("show", "offer").stdout


@pytest.mark.parametrize("bad", ["xx_YY", "fr-FR", "nonsense!"])
def test_add_refuses_an_unknown_locale_in_one_line(tmp_path: Path, bad: str) -> None:
    for data in (DATED, OFFER):  # with and without locale-dependent filters
        path = tmp_path / "lettre.docx"
        path.write_bytes(data)
        result = invoke("add", str(path), "--locale", bad)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert result.stderr.startswith(f"error: unknown locale {bad!r}")
        assert result.stderr.count("\n") == 1
    assert listed() == []


def test_edit_sets_and_clears_the_locale_of_every_version(tmp_path: Path) -> None:
    add(tmp_path, "lettre", DATED)
    add(tmp_path, "lettre", make_docx(para("On <<d|date:ordinal>>")))
    result = invoke("edit", "lettre", "--locale", "fr_FR", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == "lettre: locale fr_FR\n"
    assert json.loads(result.stdout)["locale"] == "fr_FR"
    assert [t["locale"] for t in listed("--all-versions")] == ["fr_FR", "fr_FR"]
    result = invoke("edit", "lettre", "--locale", "")
    assert result.exit_code == 0, result.output
    assert result.stderr == "lettre: locale cleared (en_NG)\n"
    assert [t["locale"] for t in listed("--all-versions")] == [None, None]
    result = invoke("edit", "lettre", "--locale", "xx_YY")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown locale 'xx_YY'")
    assert [t["locale"] for t in listed("--all-versions")] == [None, None]


# -- backup and restore -----------------------------------------------------------------------


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    add(tmp_path, "offer", OFFER)
    usage.record_run(
        started=usage.utc_now(),
        duration_ms=10,
        rows=2,
        documents=2,
        failures=0,
        output_kind="docx",
        template_name="offer",
        template_version=1,
    )
    copy = tmp_path / "backups" / "library.db"
    result = invoke("backup", str(copy))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"backed up the library to {copy} (1 template version, 1 recorded run)\n"
    assert invoke("backup", str(copy)).exit_code == 1  # never overwritten silently
    assert invoke("backup", str(copy), "--overwrite").exit_code == 0

    add(tmp_path, "receipt", RECEIPT)
    result = invoke("restore", str(copy))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"restored the library {db_path()} from {copy}"
    assert lines[1].startswith("the previous library was kept as ")
    kept = Path(lines[1].removeprefix("the previous library was kept as "))
    assert kept.parent == db_path().parent
    assert [t["name"] for t in listed()] == ["offer"]
    assert json.loads(invoke("stats", "--json").stdout)["total_documents"] == 2
    with open_store(kept, ingest=False) as previous:
        assert [t.name for t in previous.list_templates()] == ["offer", "receipt"]


def test_backup_of_no_library_and_restore_of_a_foreign_file(tmp_path: Path) -> None:
    result = invoke("backup", str(tmp_path / "b.db"))
    assert result.exit_code == 1
    assert "nothing to back up" in result.stderr
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    result = invoke("restore", str(junk))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert str(junk) in result.stderr
    assert not db_path().exists()


def test_restore_into_an_empty_home(tmp_path: Path) -> None:
    add(tmp_path, "offer", OFFER)
    copy = tmp_path / "b.db"
    assert invoke("backup", str(copy)).exit_code == 0
    for leftover in db_path().parent.iterdir():
        leftover.unlink()
    result = invoke("restore", str(copy))
    assert result.exit_code == 0, result.output
    assert "there was no library before" in result.stderr
    assert [t["name"] for t in listed()] == ["offer"]


# -- stats ----------------------------------------------------------------------------------


@pytest.fixture
def runs() -> datetime:
    """Four recorded fills over three days (one under a formula-like name); returns 'now'."""
    now = usage.utc_now()
    record = usage.record_run
    record(
        started=now - timedelta(days=2),
        duration_ms=300,
        rows=3,
        documents=3,
        failures=0,
        output_kind="docx",
        template_name="offer",
        template_version=1,
        blank={"role": 2},
    )
    record(
        started=now - timedelta(days=1),
        duration_ms=900,
        rows=10,
        documents=9,
        failures=1,
        output_kind="zip",
        template_name="offer",
        template_version=2,
        missing={"start": 1, "role": 1},
    )
    record(
        started=now,
        duration_ms=40,
        rows=1,
        documents=1,
        failures=0,
        output_kind="docx",
        template_name="receipt",
        template_version=1,
    )
    record(
        started=now,
        duration_ms=50,
        rows=1,
        documents=1,
        failures=0,
        output_kind="docx",
        template_name="=SUM(A1)",
    )
    return now


@pytest.mark.usefixtures("runs")
def test_stats_json_numbers_match_the_runs() -> None:
    result = invoke("stats", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert (data["total_documents"], data["total_runs"], data["total_failures"], data["total_rows"]) == (
        14,
        4,
        1,
        15,
    )
    by_name = {t["name"]: t for t in data["templates"]}
    assert set(by_name) == {"offer", "receipt", "=SUM(A1)"}
    offer = by_name["offer"]
    assert (offer["documents"], offer["runs"], offer["failures"]) == (12, 2, 1)
    assert offer["mean_ms_per_document"] == 100.0
    assert offer["last_used"]
    assert sum(d["documents"] for d in data["per_day"]) == 14
    fields = {f["placeholder"]: (f["missing"], f["blank"]) for f in data["fields"]}
    assert fields == {"role": (1, 2), "start": (1, 0)}
    assert data["fields"][0]["placeholder"] == "role"


@pytest.mark.usefixtures("runs")
def test_stats_since_and_template() -> None:
    data = json.loads(invoke("stats", "--json", "--since", "36h").stdout)
    assert (data["total_documents"], data["total_runs"]) == (11, 3)
    data = json.loads(invoke("stats", "--json", "--template", "offer").stdout)
    assert (data["total_documents"], data["total_runs"]) == (12, 2)
    data = json.loads(invoke("stats", "--json", "--template", "offer@2").stdout)
    assert data["total_documents"] == 9
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    result = invoke("stats", "--since", future)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("no fills recorded")
    result = invoke("stats", "--since", "soon")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: bad --since 'soon'")


@pytest.mark.usefixtures("runs")
def test_stats_csv_guards_against_formulas() -> None:
    result = invoke("stats", "--csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["name"] for r in rows] == ["offer", "'=SUM(A1)", "receipt"]
    assert (rows[0]["documents"], rows[0]["runs"], rows[0]["failures"]) == ("12", "2", "1")
    assert invoke("stats", "--csv", "--json").exit_code == 2


@pytest.mark.usefixtures("runs")
def test_stats_tables_and_bar_chart() -> None:
    result = runner.invoke(app, ["stats"], terminal_width=120)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("14 documents from 4 runs (1 failure)\n")
    for name in ("offer", "receipt", "=SUM(A1)", "documents per day", "role", "start"):
        assert name in out
    bars = [line.count("█") for line in out.splitlines() if "█" in line]
    assert max(bars) == cli_library.BAR_WIDTH
    assert result.stderr == ""


def test_stats_with_no_runs() -> None:
    result = invoke("stats")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "no fills recorded\n"
    data = json.loads(invoke("stats", "--json").stdout)
    assert (data["total_runs"], data["templates"]) == (0, [])


def test_analytics_off_records_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYTYPIST_NO_ANALYTICS", "1")
    usage.record_run(
        started=usage.utc_now(),
        duration_ms=1,
        rows=1,
        documents=1,
        failures=0,
        output_kind="docx",
        template_name="offer",
    )
    assert json.loads(invoke("stats", "--json").stdout)["total_runs"] == 0


def test_export_refuses_to_write_a_docx_to_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(typer.BadParameter, match="refusing to write a .docx to a terminal"):
        cli_library.export("offer", "-")


def test_list_gives_the_stored_syntax_in_json_and_csv(tmp_path: Path) -> None:
    merge = '<w:p><w:fldSimple w:instr=" MERGEFIELD name "><w:r><w:t>«name»</w:t></w:r></w:fldSimple></w:p>'
    add(tmp_path, "letter", make_docx(merge))
    add(tmp_path, "invoice", make_docx(para("{%p if vip %}") + para("{{ client }}") + para("{%p endif %}")))
    add(tmp_path, "receipt", RECEIPT)
    add(tmp_path, "note", make_docx(para("{{ client }}")), "--syntax", "jinja")
    expected = {"invoice": "jinja", "letter": "mergefield", "note": "jinja", "receipt": "mytypist"}
    assert {t["name"]: t["syntax"] for t in listed()} == expected
    result = invoke("list", "--csv")
    assert result.exit_code == 0
    assert result.stderr == ""
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["name"]: r["syntax"] for r in rows} == expected
