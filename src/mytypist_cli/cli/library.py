"""The library commands of ``mytypist``: add, list, show, remove, export, edit, backup, restore, stats.

``app`` is this group's Typer; cli/app.py composes it with
``add_typer``. Each command parses its options, calls the store (or analytics) and
hands the result to ``render``: data on stdout, messages on stderr. Every
``MytypistError`` goes through cli/common.py's one ``errors_to_exit`` (one
``error: ...`` line, exit 1); usage errors are typer's (exit 2).

The store, sqlmodel and analytics are imported inside command bodies only, so
``mytypist --help``, ``extract`` and ``fill PATH`` never pay for them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mytypist_cli.cli import output as show
from mytypist_cli.cli.common import SyntaxOption, _state, errors_to_exit
from mytypist_cli.cli.output import Column
from mytypist_cli.errors import MytypistError, StoreError, TemplateError
from mytypist_cli.home import db_path, journal_path

if TYPE_CHECKING:
    from mytypist_cli.library.lookup import TemplateInfo
    from mytypist_cli.library.store import Store
    from mytypist_cli.usage.analytics import Stats

# The documents-per-day chart: the widest bar (narrower when the terminal is), and how many
# days it shows at most.
BAR_WIDTH = 40
CHART_DAYS = 60

app = typer.Typer()


# -- helpers ------------------------------------------------------------------------------


@contextlib.contextmanager
def _open_library() -> Iterator[Store]:
    """The library in the home folder the app callback resolved, opened and migrated."""
    from mytypist_cli.library.store import open_store

    with open_store(db_path(_state["home"])) as store:
        yield store


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _local(moment: datetime) -> str:
    """A stored UTC time as local wall-clock time, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _versions_text(numbers: Sequence[int]) -> str:
    listed = ", ".join(str(n) for n in numbers)
    return f"version{'s' if len(numbers) != 1 else ''} {listed}"


def _one_format(json_output: bool, csv_output: bool) -> str | None:
    if json_output and csv_output:
        raise typer.BadParameter("choose one of --json and --csv")
    return "json" if json_output else "csv" if csv_output else None


def _check_locale(locale: str) -> str:
    """Return ``locale`` in babel's spelling (``fr_fr`` gives ``fr_FR``), "" for none.

    Raises MytypistError ``unknown locale 'xx_YY'`` for one babel does not know.
    """
    if not locale.strip():
        return ""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(locale.strip()))
    except (UnknownLocaleError, ValueError, TypeError):
        raise MytypistError(f"unknown locale {locale!r} (write it like en_NG or fr_FR)") from None


def _can_prompt() -> bool:
    """True when someone at a terminal can answer a question (tests replace this)."""
    return sys.stdin.isatty()


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV (formula-safe for spreadsheets).")]
RefArgument = Annotated[
    str,
    typer.Argument(
        metavar="NAME", help="A library name (the latest version), or NAME@VERSION.", show_default=False
    ),
]
CategoryOption = Annotated[str | None, typer.Option("--category", help="A category, e.g. letters.")]


# -- add ----------------------------------------------------------------------------------


@app.command()
@errors_to_exit
def add(
    path: Annotated[
        str, typer.Argument(help="The template (.docx, .dotx); - reads standard input.", show_default=False)
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", help="The library name.", show_default="the file name without its extension"),
    ] = None,
    category: CategoryOption = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="What the template is for.")
    ] = None,
    delimiters: Annotated[
        str,
        typer.Option(
            "--delimiters",
            envvar="MYTYPIST_DELIMITERS",
            help='The placeholder delimiters, open and close separated by a space: "{{ }}", "${ }", "« »".',
        ),
    ] = "<< >>",
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            help='The locale its filters use when filled by name (month names, separators); "" for en_NG.',
            show_default="the previous version's, or en_NG",
        ),
    ] = None,
    syntax: SyntaxOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the stored template as JSON.")] = False,
) -> None:
    """Store a template in the library; adding a name again with new content makes a new version.

    The engine checks the file first: broken and macro-enabled files are refused.

    Examples:

      mytypist add offer-letter.docx --category letters --tag hr

      mytypist add new-offer.docx --name offer-letter

      mytypist add lettre.docx --locale fr_FR
    """
    from mytypist_cli.engine.filters import DEFAULT_LOCALE
    from mytypist_cli.engine.template import Template

    if locale is not None:
        locale = _check_locale(locale)

    if path == "-":
        if name is None:
            raise typer.BadParameter("give --name when the template comes from standard input")
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            from mytypist_cli.library.resolve import no_such_file

            raise no_such_file(path, library=False) from None
        except OSError as exc:
            raise TemplateError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        compiled = Template.open(
            data, delimiters=delimiters, locale=locale or DEFAULT_LOCALE, syntax=syntax or "auto"
        )
        if compiled.is_macro_enabled:
            # The engine's own refusal, so the wording is the engine's; it raises before rendering.
            compiled.fill({}, missing="blank")
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--delimiters") from None
    except MytypistError as exc:
        exc.args = (f"{path}: {exc}",)
        raise
    for problem in compiled.warnings:
        show.warning(f"{path}: {problem}")
    opening, closing = compiled.delimiters
    if not compiled.names:
        show.warning(f"{path}: no {opening}placeholders{closing} found")

    with _open_library() as store:
        result = store.add_template(
            data,
            placeholders=compiled.names,
            name=name,
            path=None if path == "-" else path,
            delimiters=compiled.delimiters,
            category=category,
            tags=tags,
            description=description,
            locale=locale,
            syntax=compiled.syntax,
        )
        info = result.template
        if result.status == "added":
            count = _plural(len(info.placeholders), "placeholder")
            in_locale = f", locale {info.locale}" if info.locale else ""
            show.note(f"added {info.name} (version {info.version}, {count}{in_locale})")
        elif result.status == "new_version":
            kept = [v.version for v in store.versions(info.name) if v.version != info.version]
            show.note(f"{info.name}: version {info.version} added ({_versions_text(kept)} kept)")
        else:
            hint = ""
            if category is not None or tags is not None or description is not None:
                hint = f"; to change its category, tags or description use: mytypist edit {info.name}"
            show.note(f"{info.name}: unchanged (same bytes as version {info.version}){hint}")
    if json_output:
        show.print_json({"status": result.status, **info.to_json_dict()})


# -- list ---------------------------------------------------------------------------------


@app.command("list")
@errors_to_exit
def list_templates(
    search: Annotated[
        str | None,
        typer.Argument(
            help="Only templates whose name, description, category, tags or placeholders contain this text.",
            show_default=False,
        ),
    ] = None,
    category: Annotated[str | None, typer.Option("--category", help="Only this category.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only templates with this tag.")] = None,
    all_versions: Annotated[
        bool, typer.Option("--all-versions", help="Every version, not only the latest of each name.")
    ] = False,
    json_output: JsonOption = False,
    csv_output: CsvOption = False,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="table, names (NAME@VERSION with --all-versions), json or csv.",
            show_default="table on a terminal, names when piped",
        ),
    ] = None,
) -> None:
    """List the templates in the library: the latest version of each name.

    Examples:

      mytypist list

      mytypist list --category letters --json

      mytypist list offer --all-versions
    """
    chosen = _one_format(json_output, csv_output) or output_format
    if chosen is None:
        chosen = "table" if show.stdout.is_terminal else "names"
    if chosen not in ("table", "names", "json", "csv"):
        raise typer.BadParameter("choose table, names, json or csv", param_hint="--format")
    with _open_library() as store:
        found = store.list_templates(category=category, tag=tag, search=search, all_versions=all_versions)
    if chosen == "json":
        show.print_json([info.to_json_dict() for info in found])
    elif chosen == "csv":
        from mytypist_cli.usage.analytics import write_csv

        write_csv(sys.stdout, _LIST_CSV_HEADER, (_list_csv_row(info) for info in found))
    elif chosen == "names":
        show.print_lines(info.ref if all_versions else info.name for info in found)
    elif found:
        show.print_table(
            _plural(len(found), "template version" if all_versions else "template"),
            [
                Column("name", whole=True),
                Column("version", whole=True),
                Column("syntax", whole=True, drop=3),
                Column("category", whole=True, drop=4),
                Column("tags", drop=1),
                Column("placeholders", whole=True, drop=0),
                Column("updated", whole=True, drop=5),
                Column("description", drop=2),
            ],
            (
                (
                    info.name,
                    info.version,
                    info.syntax or "auto",
                    info.category or "",
                    ", ".join(info.tags),
                    len(info.placeholders),
                    _local(info.updated),
                    info.description,
                )
                for info in found
            ),
        )
    if not found and chosen == "table":
        filtered = search is not None or category is not None or tag is not None
        show.note(
            "no templates match" if filtered else "the library is empty; add one: mytypist add FILE.docx"
        )


_LIST_CSV_HEADER = (
    "name",
    "version",
    "category",
    "tags",
    "placeholders",
    "syntax",
    "sha256",
    "size",
    "created",
    "updated",
    "description",
)


def _list_csv_row(info: TemplateInfo) -> list[object]:
    data = info.to_json_dict()
    return [
        info.name,
        info.version,
        info.category or "",
        "; ".join(info.tags),
        " ".join(info.placeholders),
        info.syntax or "auto",
        info.sha256,
        info.size,
        data["created"],
        data["updated"],
        info.description,
    ]


# -- show ---------------------------------------------------------------------------------


@app.command("show")
@errors_to_exit
def show_template(ref: RefArgument, json_output: JsonOption = False) -> None:
    """Show a template's details, placeholders and versions.

    Examples:

      mytypist show offer-letter

      mytypist show offer-letter@1 --json
    """
    with _open_library() as store:
        info = store.get_info(ref)
        versions = store.versions(info.name)
    if json_output:
        show.print_json(
            {
                **info.to_json_dict(),
                "latest_version": versions[-1].version,
                "versions": [
                    {
                        "version": v.version,
                        "sha256": v.sha256,
                        "size": v.size,
                        "created": v.to_json_dict()["created"],
                        "placeholders": list(v.placeholders),
                    }
                    for v in versions
                ],
            }
        )
        return
    latest = versions[-1].version
    status = "latest" if info.version == latest else f"latest is {latest}"
    rows = [
        ("description", info.description),
        ("category", info.category or ""),
        ("tags", ", ".join(info.tags)),
        ("delimiters", " ".join(info.delimiters)),
        *([("locale", info.locale)] if info.locale else []),
        ("syntax", info.syntax or "auto"),
        ("size", f"{info.size:,} bytes"),
        ("sha256", info.sha256),
        ("created", _local(info.created)),
        ("updated", _local(info.updated)),
        ("placeholders", f"{len(info.placeholders)}: {', '.join(info.placeholders)}".rstrip(": ")),
    ]
    show.print_lines([f"{info.ref} ({status}; {_plural(len(versions), 'version')})"])
    show.print_fields(rows)
    show.print_table(
        "versions",
        [
            Column("version", whole=True),
            Column("created", whole=True),
            Column("size", whole=True, drop=1),
            Column("placeholders", whole=True, drop=0),
            Column("sha256", whole=True, drop=2),
        ],
        ((v.version, _local(v.created), f"{v.size:,}", len(v.placeholders), v.sha256[:12]) for v in versions),
    )


# -- remove -------------------------------------------------------------------------------


@app.command()
@errors_to_exit
def remove(
    ref: RefArgument,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask; needed when not at a terminal.")
    ] = False,
) -> None:
    """Remove a template (every version), or one NAME@VERSION. Usage history is kept.

    Asks first on a terminal; elsewhere --yes is required.

    Examples:

      mytypist remove offer-letter@1

      mytypist remove offer-letter --yes
    """
    from mytypist_cli.library.lookup import parse_ref

    name, version = parse_ref(ref)
    with _open_library() as store:
        if version is None:
            doomed = store.versions(name)
            described = f"{name} ({_versions_text([v.version for v in doomed])})"
        else:
            described = store.get_info(ref).ref
        if not yes:
            if not _can_prompt():
                raise MytypistError(f"not removing {described} without confirmation: pass --yes")
            if not typer.confirm(f"Remove {described}?", default=False, err=True):
                show.note("nothing removed")
                raise typer.Exit(1)
        removed = store.remove_template(ref)
    show.note(f"removed {', '.join(info.ref for info in removed)} (usage history kept)")


# -- export -------------------------------------------------------------------------------


@app.command()
@errors_to_exit
def export(
    ref: RefArgument,
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="The .docx file to write; - for standard output.", show_default=False
        ),
    ],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
) -> None:
    """Write a stored template back out as a .docx file, byte for byte.

    Examples:

      mytypist export offer-letter -o offer-letter.docx

      mytypist export offer-letter@1 -o - > old-offer.docx
    """
    if output == "-":
        if sys.stdout.isatty():
            raise typer.BadParameter(
                "refusing to write a .docx to a terminal; redirect it or name a file", param_hint="-o"
            )
        with _open_library() as store:
            stored = store.get_template(ref)
        sys.stdout.buffer.write(stored.data)
        sys.stdout.buffer.flush()
        return
    with _open_library() as store:
        info = store.export_template(ref, output, overwrite=overwrite)
    show.note(f"exported {info.ref} to {output}")


# -- edit ---------------------------------------------------------------------------------


@app.command()
@errors_to_exit
def edit(
    name: Annotated[str, typer.Argument(help="The library name (edits every version).", show_default=False)],
    rename: Annotated[
        str | None, typer.Option("--rename", help="A new name (usage history follows).")
    ] = None,
    category: Annotated[str | None, typer.Option("--category", help='A new category; "" clears it.')] = None,
    tags: Annotated[
        list[str] | None, typer.Option("--tag", help='Replace the tags (repeatable); --tag "" clears them.')
    ] = None,
    description: Annotated[str | None, typer.Option("--description", help="A new description.")] = None,
    locale: Annotated[
        str | None,
        typer.Option("--locale", help='The locale its filters use, e.g. fr_FR; "" goes back to en_NG.'),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the edited template as JSON.")] = False,
) -> None:
    """Change a template's name, category, tags, description or locale (for every version).

    Examples:

      mytypist edit offer-letter --category letters --tag hr --tag 2026

      mytypist edit offer-letter --rename offer

      mytypist edit lettre --locale fr_FR
    """
    if rename is None and category is None and tags is None and description is None and locale is None:
        raise typer.BadParameter(
            "nothing to change: give --rename, --category, --tag, --description or --locale"
        )
    if locale:
        locale = _check_locale(locale)
    with _open_library() as store:
        info = store.edit_template(
            name, rename=rename, category=category, tags=tags, description=description, locale=locale
        )
    changes = []
    if rename is not None and rename != name:
        changes.append(f"renamed from {name}")
    if category is not None:
        changes.append(f"category {info.category}" if info.category else "category cleared")
    if tags is not None:
        changes.append(f"tags {', '.join(info.tags)}" if info.tags else "tags cleared")
    if description is not None:
        changes.append("description set")
    if locale is not None:
        changes.append(f"locale {info.locale}" if info.locale else "locale cleared (en_NG)")
    show.note(f"{info.name}: {'; '.join(changes) or 'unchanged'}")
    if json_output:
        show.print_json(info.to_json_dict())


# -- backup and restore -------------------------------------------------------------------


@app.command()
@errors_to_exit
def backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write.", show_default=False)],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
) -> None:
    """Copy the whole library (templates and usage) into one file, safely while others use it.

    Example: mytypist backup mytypist-2026-11-26.db
    """
    library = db_path(_state["home"])
    if not library.exists() and not journal_path(_state["home"]).exists():
        raise StoreError(f"there is no library at {library} yet; nothing to back up")
    with _open_library() as store:
        written = store.backup(file, overwrite=overwrite)
        versions = len(store.list_templates(all_versions=True))
        runs = store.run_count()
    show.note(
        f"backed up the library to {written} "
        f"({_plural(versions, 'template version')}, {_plural(runs, 'recorded run')})"
    )


@app.command()
@errors_to_exit
def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by mytypist backup.", show_default=False)],
) -> None:
    """Replace the library with a backup; the current library is kept as a timestamped copy.

    The file is checked first: it must be a mytypist library this version can read.

    Example: mytypist restore mytypist-2026-11-26.db
    """
    from mytypist_cli.library.store import restore as restore_library

    result = restore_library(file, db_path(_state["home"]))
    show.note(f"restored the library {result.db_path} from {result.restored_from}")
    if result.previous_copy is not None:
        show.note(f"the previous library was kept as {result.previous_copy}")
    else:
        show.note("there was no library before")
    if result.migrations_applied:
        show.note(f"upgraded its schema: {', '.join(result.migrations_applied)}")


# -- stats --------------------------------------------------------------------------------


@app.command()
@errors_to_exit
def stats(
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only runs since a span ago (30d, 12h, 2w) or a date (2026-01-01)."),
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="Only this template: NAME, NAME@VERSION or a file path.")
    ] = None,
    json_output: JsonOption = False,
    csv_output: Annotated[
        bool, typer.Option("--csv", help="Print the per-template table as CSV (formula-safe).")
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=1, help="How many of the most often missing placeholders to show.")
    ] = 10,
) -> None:
    """Show how the templates are used: documents, runs, failures, documents per day, missing fields.

    Times are stored in UTC; days are counted in the local time zone.

    Examples:

      mytypist stats --since 30d

      mytypist stats --template offer-letter --json
    """
    from mytypist_cli.usage.analytics import parse_since, write_stats_csv
    from mytypist_cli.usage.analytics import stats as compute

    chosen = _one_format(json_output, csv_output)
    start = parse_since(since) if since is not None else None
    with _open_library() as store:
        result = compute(store, start, template, top_fields=top)
    if chosen == "json":
        show.print_json(result.to_json_dict())
    elif chosen == "csv":
        write_stats_csv(result, sys.stdout)
    else:
        _draw_stats(result)


def _draw_stats(result: Stats) -> None:
    """Totals, the per-template table, documents per day as bars, the most often missing fields."""
    scope = []
    if result.template is not None:
        scope.append(f"for {result.template}")
    if result.since is not None:
        scope.append(f"since {_local(result.since)}")
    where = f" {' '.join(scope)}" if scope else ""
    if not result.total_runs:
        show.note(f"no fills recorded{where}")
        return
    show.print_lines(
        [
            f"{_plural(result.total_documents, 'document')} from {_plural(result.total_runs, 'run')}"
            f" ({_plural(result.total_failures, 'failure')}){where}"
        ]
    )
    show.print_table(
        "templates",
        [
            Column("template", whole=True),
            Column("documents", whole=True),
            Column("runs", whole=True, drop=1),
            Column("failures", whole=True, drop=3),
            Column("last used", whole=True, drop=2),
            Column("ms per document", drop=0),
        ],
        (
            (
                t.name,
                t.documents,
                t.runs,
                t.failures,
                _local(t.last_used),
                "" if t.mean_ms_per_document is None else f"{t.mean_ms_per_document:,.1f}",
            )
            for t in result.templates
        ),
    )
    days = result.per_day[-CHART_DAYS:]
    if days:
        most = max(d.documents for d in days) or 1
        # The day and count columns with the borders take 30 columns; the bar gets the rest.
        bar_width = max(5, min(BAR_WIDTH, show.stdout_width() - 30))
        show.print_table(
            "documents per day",
            [Column("day", whole=True), Column("documents", whole=True), Column("", whole=True)],
            (
                (
                    d.day.isoformat(),
                    d.documents,
                    "█" * max(1, round(d.documents * bar_width / most)) if d.documents else "",
                )
                for d in days
            ),
        )
        if len(result.per_day) > len(days):
            show.note(f"showing the last {len(days)} of {len(result.per_day)} days; --json has them all")
    if result.fields:
        show.print_table(
            "placeholders most often missing or blank",
            [Column("placeholder", whole=True), Column("missing", whole=True), Column("blank", whole=True)],
            ((f.placeholder, f.missing, f.blank) for f in result.fields),
        )
