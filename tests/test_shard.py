"""--shard K/N: each share names its rows as the single run does, and the N reports make its report."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from docx_factory import make_docx, para
from mytypist_cli.cli.app import app

runner = CliRunner()


def fill(*args: str | Path) -> Result:
    return runner.invoke(app, ["fill", *(str(arg) for arg in args), "--jobs", "1"])


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_the_shards_together_are_the_single_run(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>> of <<town>>")))
    data = tmp_path / "staff.csv"
    # Repeated names get -2, -3 across shard boundaries; a blank row is reported, not filled.
    lines = ["name,town"] + [f"{'Ada' if n % 3 else 'Obi'},T{n}" for n in range(1, 11)]
    lines.insert(5, ",")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    single = fill(
        template, data, "--out-dir", tmp_path / "one", "--name", "<<name>>", "--report", tmp_path / "one.json"
    )
    assert single.exit_code == 0, single.stderr
    reports: list[dict[str, object]] = []
    for k in (1, 2, 3):
        shard = fill(
            template, data, "--out-dir", tmp_path / "shards", "--name", "<<name>>",
            "--shard", f"{k}/3", "--report", tmp_path / f"part{k}.json",
        )  # fmt: skip
        assert shard.exit_code == 0, shard.stderr
        part = json.loads((tmp_path / f"part{k}.json").read_text(encoding="utf-8"))
        assert 3 <= len(part) <= 5  # a share each, not the whole run three times
        reports.extend(part)
    whole = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    strip = [(r["row"], Path(str(r["file"])).name if r["file"] else None, r["status"]) for r in reports]
    assert strip == [(r["row"], Path(str(r["file"])).name if r["file"] else None, r["status"]) for r in whole]
    assert _files(tmp_path / "shards") == _files(tmp_path / "one")
    assert "Ada-2.docx" in _files(tmp_path / "one")


def test_a_bad_shard_is_a_usage_error(tmp_path: Path) -> None:
    template = tmp_path / "letter.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    for bad in ("0/3", "4/3", "2", "a/b"):
        result = fill(template, "--set", "name=x", "--out-dir", tmp_path, "--shard", bad)
        assert result.exit_code == 2
        assert "--shard is K/N with 1 <= K <= N" in result.stderr
    one = fill(template, "--set", "name=x", "-o", tmp_path / "x.docx", "--shard", "1/2")
    assert one.exit_code == 2
    assert "--shard splits a batch of files" in one.stderr
