"""What a template needs, in the shapes ``mytypist extract`` prints them.

:func:`describe` turns a compiled :class:`~mytypist_cli.engine.template.Template`
into a :class:`Description`: the placeholders as JSON entries, a JSON skeleton
to fill in, the CSV header a spreadsheet of rows needs, and the messages worth
showing (the template's own warnings, and when no placeholder was found, which
other delimiters would find some).

Returns data only: imports neither typer nor rich, never prints or exits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mytypist_cli.engine.template import Placeholder, Template
from mytypist_cli.errors import MytypistError

# The delimiters tried, in order, when a template has none of the ones it was opened with.
OTHER_DELIMITERS = ("{{ }}", "${ }", "« »", "<< >>")


@dataclass(frozen=True)
class Description:
    """What a template needs: its placeholders, its warnings, and a hint about delimiters."""

    label: str
    """How messages name the template: the path as given, or the library reference."""
    placeholders: tuple[Placeholder, ...]
    warnings: tuple[str, ...]
    """The template's problems (text left as it is), as ``part, paragraph N: message``."""
    delimiters: tuple[str, str]
    """The delimiters the template was read with."""
    other_delimiters: str | None = None
    """When no placeholder was found: delimiters (``"{{ }}"``) that do find some, if any."""
    syntax: str = "mytypist"
    """The syntax the template was read with: ``mytypist``, ``mergefield`` or ``jinja``."""

    @property
    def names(self) -> tuple[str, ...]:
        """Placeholder names in order of first appearance."""
        return tuple(p.name for p in self.placeholders)

    @property
    def messages(self) -> tuple[str, ...]:
        """Warnings worth showing, each naming the template; the last says when none was found."""
        shown = [f"{self.label}: {problem}" for problem in self.warnings]
        if not self.placeholders:
            opening, closing = self.delimiters
            hint = ""
            if self.other_delimiters is not None:
                other_open, other_close = self.other_delimiters.split()
                hint = (
                    f'; it has {other_open}…{other_close} ones: pass --delimiters "{self.other_delimiters}"'
                )
            shown.append(f"{self.label}: no {opening}placeholders{closing} found{hint}")
        return tuple(shown)

    def to_json_dict(self) -> dict[str, Any]:
        """``{"template", "placeholders", "warnings"}``: one entry per placeholder, lists with fields."""
        return {
            "template": self.label,
            "syntax": self.syntax,
            "placeholders": [placeholder_json(p) for p in self.placeholders],
            "warnings": list(self.warnings),
        }

    def skeleton(self) -> dict[str, Any]:
        """A JSON object to fill in: "" for values, false for conditions, a one-item list for lists."""
        return skeleton(self.placeholders)

    def csv_header(self) -> list[str]:
        """A header row to fill in: a column per value and condition.

        Lists are left out: a spreadsheet gives a list its items as rows (see ``--group-by``).
        """
        return [p.name for p in self.placeholders if p.kind != "list"]


def describe(template: Template, label: str = "<template>") -> Description:
    """Describe ``template``, naming it ``label`` in messages.

    When it has no placeholders, tries the other usual delimiters on its source
    bytes. Raises nothing of its own: a template that fails to open with other
    delimiters just gives no hint.
    """
    other = None if template.placeholders else other_delimiters(template.source, template.delimiters)
    return Description(
        label=label,
        placeholders=template.placeholders,
        warnings=tuple(str(problem) for problem in template.warnings),
        delimiters=template.delimiters,
        other_delimiters=other,
        syntax=template.syntax,
    )


def placeholder_json(placeholder: Placeholder) -> dict[str, Any]:
    """One placeholder as JSON: name, kind, count, parts, filters, and a list's fields."""
    entry: dict[str, Any] = {
        "name": placeholder.name,
        "kind": placeholder.kind,
        "count": placeholder.count,
        "parts": list(placeholder.parts),
        "filters": list(placeholder.filters),
    }
    if placeholder.kind == "list":
        entry["fields"] = [field.name for field in placeholder.fields]
    return entry


def skeleton(placeholders: tuple[Placeholder, ...]) -> dict[str, Any]:
    """A JSON object to fill in: "" for values, false for conditions, a one-item list for lists."""
    shape: dict[str, Any] = {}
    for placeholder in placeholders:
        if placeholder.kind == "list":
            shape[placeholder.name] = [skeleton(placeholder.fields)] if placeholder.fields else [""]
        elif placeholder.kind == "condition":
            shape[placeholder.name] = False
        else:
            shape[placeholder.name] = ""
    return shape


def other_delimiters(data: bytes, delimiters: tuple[str, str]) -> str | None:
    """The first of :data:`OTHER_DELIMITERS` (not ``delimiters``) that finds placeholders in ``data``.

    None when none does, or when ``data`` is not a template that opens.
    """
    for other in OTHER_DELIMITERS:
        if other == " ".join(delimiters):
            continue
        try:
            found = Template.open(data, delimiters=other).names
        except MytypistError:
            return None
        if found:
            return other
    return None
