"""cli/app.py: the command registry, building only the group being run, and the home folder."""

from __future__ import annotations

import ast
import gc
import importlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from docx_factory import make_docx, para
from mytypist_cli.cli.app import COMMANDS, app, build_app, command_name, main
from mytypist_cli.cli.common import _state
from mytypist_cli.home import home_dir

runner = CliRunner()


def _registered(module: str) -> list[str]:
    """The commands a group module's Typer holds, as typer names them."""
    group = importlib.import_module(module).app
    assert not group.registered_groups
    return [
        info.name or typer.main.get_command_name(info.callback.__name__) for info in group.registered_commands
    ]


# -- the registry ------------------------------------------------------------------------------


def test_the_registry_names_every_command_of_every_group_once() -> None:
    for module in set(COMMANDS.values()):
        assert sorted(_registered(module)) == sorted(n for n, m in COMMANDS.items() if m == module), module


def test_the_app_has_exactly_the_registered_commands_in_order() -> None:
    assert list(typer.main.get_command(app).commands) == list(COMMANDS)  # type: ignore[attr-defined]


def test_every_command_has_help_with_an_example() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert commands
    for name, command in commands.items():
        assert command.help, name
        result = runner.invoke(app, [name, "--help"], terminal_width=200)
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, name
        assert f"mytypist {name} " in result.stdout, name


def test_a_group_alone_has_only_its_commands() -> None:
    built = build_app([COMMANDS["fill"]])
    assert list(typer.main.get_command(built).commands) == ["fill"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["fill", "t.docx", "rows.csv"], "fill"),
        (["--home", "fill", "stats"], "stats"),  # "fill" is --home's value here
        (["--home=/tmp/h", "--debug", "list", "--json"], "list"),
        (["extract", "--help"], "extract"),
        ([], None),
        (["--help"], None),
        (["-h"], None),
        (["--version"], None),
        (["--help", "fill"], None),
        (["fil"], None),
        (["--home"], None),
        (["--no-such-option", "fill"], None),
    ],
)
def test_command_name(args: list[str], expected: str | None) -> None:
    assert command_name(args) == expected


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["mytypist", *args])
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(gc, "freeze", lambda: None)  # main's start-up saving; not in pytest's process
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    return int(stopped.value.code or 0), out, err


def test_main_help_lists_every_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _main(monkeypatch, capsys, "--help")
    assert status == 0
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("│ ") and len(line.split()) > 2]
    assert [name for name in listed if name in COMMANDS] == list(COMMANDS)


def test_main_unknown_command_is_typers_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _main(monkeypatch, capsys, "fil")
    assert status == 2
    assert out == ""
    assert "No such command 'fil'" in err
    assert "fill" in err  # typer suggests the close name, so every command was built


def test_main_builds_only_the_group_of_the_command_it_runs(tmp_path: Path) -> None:
    template = tmp_path / "t.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    code = (
        "import sys\n"
        "sys.argv = ['mytypist', 'extract', sys.argv[1]]\n"
        "from mytypist_cli.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print(sorted(m for m in sys.modules if m.startswith('mytypist_cli.cli.')), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(template)], capture_output=True, text=True)
    assert done.stdout == "name\n"
    groups = {m for m in ast.literal_eval(done.stderr.splitlines()[-1]) if m in set(COMMANDS.values())}
    assert groups == {"mytypist_cli.cli.extract"}


# -- shell completion -----------------------------------------------------------------------------

MAIN_AS_MYTYPIST = "import sys; sys.argv[0] = 'mytypist'; from mytypist_cli.cli import main; main()"


def _in_bash(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """mytypist run from bash, as a user types it: typer finds the shell from the parent process."""
    command = shlex.join([sys.executable, "-c", MAIN_AS_MYTYPIST, *args])
    env = {**os.environ, **({"HOME": str(home)} if home is not None else {})}
    return subprocess.run(["bash", "-c", command + "; exit $?"], capture_output=True, text=True, env=env)


def test_show_completion_prints_the_bash_script() -> None:
    done = _in_bash("--show-completion")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "complete -o default -F _mytypist_completion mytypist" in done.stdout
    assert "_MYTYPIST_COMPLETE=complete_bash" in done.stdout


def test_install_completion_writes_the_bash_script(tmp_path: Path) -> None:
    done = _in_bash("--install-completion", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "bash completion installed in" in done.stdout
    script = (tmp_path / ".bash_completions" / "mytypist.sh").read_text()
    assert "_MYTYPIST_COMPLETE=complete_bash" in script
    assert "mytypist.sh" in (tmp_path / ".bashrc").read_text()


def _complete(words: str, cword: int) -> subprocess.CompletedProcess[str]:
    """What bash's completion function gets back from mytypist for ``words``, as its script asks."""
    env = {**os.environ, "_MYTYPIST_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    return subprocess.run([sys.executable, "-c", MAIN_AS_MYTYPIST], capture_output=True, text=True, env=env)


def test_a_completion_request_lists_every_command() -> None:
    done = _complete("mytypist ", 1)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == list(COMMANDS)
    assert _complete("mytypist pre", 1).stdout.split() == ["preview"]


def test_a_completion_request_completes_a_commands_options() -> None:
    # Building only one group (or none) for a run must not leave the commands out of completion.
    assert _complete("mytypist fill --ov", 2).stdout.split() == ["--overwrite"]
    assert "--all-versions" in _complete("mytypist list --", 2).stdout.split()


def test_a_commands_run_does_not_build_the_completion_options(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[bool] = []
    real = build_app

    def spy(modules: object = None, *, completion: bool = True) -> typer.Typer:
        built.append(completion)
        return real(modules, completion=completion)  # type: ignore[arg-type]

    monkeypatch.setattr("mytypist_cli.cli.app.build_app", spy)
    monkeypatch.setattr(sys, "argv", ["mytypist", "list", "--json"])
    monkeypatch.setattr(gc, "freeze", lambda: None)
    with pytest.raises(SystemExit):
        main()
    monkeypatch.setattr(sys, "argv", ["mytypist", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert built == [False, True]


# -- the home folder: resolved once in the callback, never written to the environment ------------


def test_home_option_is_the_state_and_the_environment_is_left_alone(tmp_path: Path) -> None:
    before = os.environ["MYTYPIST_HOME"]
    result = runner.invoke(app, ["--home", str(tmp_path / "h"), "list", "--json"])
    assert result.exit_code == 0, result.output
    assert _state["home"] == tmp_path / "h"
    assert os.environ["MYTYPIST_HOME"] == before
    assert (tmp_path / "h" / "mytypist.db").exists()


def test_home_comes_from_the_environment_then_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MYTYPIST_HOME", str(tmp_path / "env"))
    assert runner.invoke(app, ["list", "--json"]).exit_code == 0
    assert _state["home"] == tmp_path / "env"
    monkeypatch.setenv("MYTYPIST_HOME", "")
    template = tmp_path / "t.docx"
    template.write_bytes(make_docx(para("<<x>>")))
    assert runner.invoke(app, ["extract", str(template)]).exit_code == 0
    assert _state["home"] == home_dir({})  # the user data folder (a temporary one in tests)


def test_a_tilde_home_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert runner.invoke(app, ["--home", "~/h", "list", "--json"]).exit_code == 0
    assert _state["home"] == tmp_path / "h"


def test_fill_records_usage_in_the_home_given(tmp_path: Path) -> None:
    template = tmp_path / "t.docx"
    template.write_bytes(make_docx(para("Dear <<name>>")))
    home = tmp_path / "h"
    result = runner.invoke(
        app, ["--home", str(home), "fill", str(template), "--set", "name=Ada", "-o", str(tmp_path / "o.docx")]
    )
    assert result.exit_code == 0, result.output
    [line] = (home / "usage.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["documents"] == 1


def test_main_freezes_what_start_up_imported(tmp_path: Path) -> None:
    code = (
        "import gc, sys\n"
        "sys.argv = ['mytypist', '--version']\n"
        "from mytypist_cli.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('FROZEN', gc.get_freeze_count(), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.startswith("mytypist ")
    [line] = [line for line in done.stderr.splitlines() if line.startswith("FROZEN ")]
    assert int(line.split()[1]) > 10_000  # the library and typer, at least
