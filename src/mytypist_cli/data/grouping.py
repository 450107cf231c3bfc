"""Line items from flat data: group rows by a key into one record with a ``rows`` list.

CSV and Excel are flat, but an invoice has line items. ``group_records``
makes one record per distinct key value (rows need not be sorted): the
values that are the same on every row of a group become top-level names, and
every row becomes an element of the list ``rows`` (``<<#rows>>...<</rows>>``).
Groups are numbered from 1 in order of first appearance, so file names,
``--start-at``, ``--limit`` and reports count groups.

Imports neither typer nor rich.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from mytypist_cli.data.records import Record
from mytypist_cli.engine.syntax import normalise_name
from mytypist_cli.errors import DataError

ROWS = "rows"


def group_records(records: Iterable[Record], key: str, *, path: str = "data") -> list[Record]:
    """One record per distinct value of ``key``, in order of first appearance.

    Holds every row in memory (a group is complete only at the end of the data).
    Raises DataError for a row without the key or with a value that cannot be a key.
    """
    wanted = normalise_name(key)
    groups: dict[Hashable, list[Record]] = {}
    for record in records:
        matches = [v for k, v in record.values.items() if normalise_name(str(k)) == wanted]
        if not matches or matches[0] is None:
            raise DataError(f"{path}:{record.line}: row {record.number} has no {key!r} to group by")
        value = matches[0]
        if not isinstance(value, Hashable) or isinstance(value, tuple):
            raise DataError(f"{path}:{record.line}: {key!r} of row {record.number} is not a single value")
        groups.setdefault(value, []).append(record)
    grouped: list[Record] = []
    for number, members in enumerate(groups.values(), start=1):
        rows = [dict(member.values) for member in members]
        first, rest = rows[0], rows[1:]
        common = {
            name: value
            for name, value in first.items()
            if all(row.get(name, _ABSENT) == value for row in rest)
        }
        grouped.append(Record(number=number, line=members[0].line, values={**common, ROWS: rows}))
    return grouped


_ABSENT = object()
