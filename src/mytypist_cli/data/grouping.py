"""Line items from flat data: group rows by a key into one record with a list (``rows`` by default).

CSV and Excel are flat, but an invoice has line items. ``group_records``
makes one record per distinct key value (rows need not be sorted): the
values that are the same on every row of a group become top-level names, and
every row becomes an element of the list (``<<#rows>>...<</rows>>``, or the
name given as ``list_name``). Groups are numbered from 1 in order of first
appearance, so file names, ``--start-at``, ``--limit`` and reports count groups.

Sheets are laid out for people: the key is often written once, on a group's
first row, with the rows below left blank (continuation rows, or merged
cells). A row whose key is blank continues the group of the row above it.
A column the template uses outside the list (``outside``) must be one value
per group: its blank cells take the group's value, and two different values
make that group a ``Group`` with a ``problem`` (it fails; the others fill).

Imports neither typer nor rich.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from mytypist_cli.data.records import Record
from mytypist_cli.engine.syntax import normalise_name
from mytypist_cli.errors import DataError

ROWS = "rows"


@dataclass(frozen=True)
class Group:
    """One group of rows as one record: ``number`` counts groups, ``line`` is its first row's.

    ``key`` is the key value as text (for messages); ``problem``, when set, is
    why the group cannot be filled (a column used outside the list differs).
    """

    number: int
    line: int
    values: dict[str, Any]
    key: str
    problem: str | None = None


def group_records(
    records: Iterable[Record],
    key: str,
    *,
    path: str = "data",
    list_name: str = ROWS,
    outside: Collection[str] = (),
) -> list[Group]:
    """One record per distinct value of ``key``, in order of first appearance.

    ``outside``: the names the template uses outside the list; their columns
    must agree within a group (blank cells take the group's value). Holds
    every row in memory (a group is complete only at the end of the data).
    Raises DataError when the first row has a blank key (there is no group
    above it to continue) or a key that cannot be a key.
    """
    wanted = normalise_name(key)
    groups: dict[Hashable, list[Record]] = {}
    current: Hashable | None = None
    key_column = key
    for record in records:
        column, value = _key_of(record.values, wanted)
        if not _filled(value):
            if current is None:
                raise DataError(
                    f"{path}:{record.line}: row {record.number} has no {key!r} to group by "
                    "(a blank key continues the group above it, and this is the first row)"
                )
            # A continuation row: it belongs to the group above, key included.
            values = {**record.values, column or key_column: current}
            groups[current].append(Record(record.number, record.line, values))
            continue
        if not isinstance(value, Hashable) or isinstance(value, tuple):
            raise DataError(f"{path}:{record.line}: {key!r} of row {record.number} is not a single value")
        if column is not None:
            key_column = column
        current = value
        groups.setdefault(value, []).append(record)
    agreed = {normalise_name(name) for name in outside} | {
        normalise_name(name).split(".", 1)[0] for name in outside
    }
    return [
        _group(number, value, members, list_name, agreed)
        for number, (value, members) in enumerate(groups.items(), start=1)
    ]


def _key_of(values: dict[str, Any], wanted: str) -> tuple[str | None, Any]:
    for column, value in values.items():
        if normalise_name(str(column)) == wanted:
            return column, value
    return None, None


def _filled(value: Any) -> bool:
    if value is None:
        return False
    return not (isinstance(value, str) and not value.strip())


def _group(number: int, key: Hashable, members: list[Record], list_name: str, agreed: set[str]) -> Group:
    rows = [dict(member.values) for member in members]
    columns = list(dict.fromkeys(column for row in rows for column in row))
    problem: str | None = None
    for column in columns:
        if normalise_name(str(column)) not in agreed:
            continue
        # One value for the group: the first filled cell; blank cells take it.
        seen: list[tuple[Any, int]] = [
            (row[column], member.line)
            for row, member in zip(rows, members, strict=True)
            if _filled(row.get(column))
        ]
        if not seen:
            continue
        value, line = seen[0]
        other = next(((v, at) for v, at in seen[1:] if v != value), None)
        if other is not None and problem is None:
            problem = (
                f"{column} differs within the group: {_show(value)} (line {line}) and "
                f"{_show(other[0])} (line {other[1]}); the template uses it outside the list "
                f"{list_name}, where it must be one value"
            )
            continue
        for row in rows:
            if not _filled(row.get(column)):
                row[column] = value
    first, rest = rows[0], rows[1:]
    common = {
        name: value for name, value in first.items() if all(row.get(name, _ABSENT) == value for row in rest)
    }
    return Group(
        number=number,
        line=members[0].line,
        values={**common, list_name: rows},
        key=str(key),
        problem=problem,
    )


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


_ABSENT = object()
