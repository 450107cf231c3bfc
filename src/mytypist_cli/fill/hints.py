"""What a fill says about data that does not match the template: did-you-mean hints and blank rows.

``did_you_mean`` finds the key a person most likely meant (``Items`` for
``items``); ``suggestions`` applies it to the names a row lacks, against the
row's keys the template does not use; ``has_value`` tells a cell that holds
something (a row with none for the template's names is a note, not a document).

Imports neither typer nor rich.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from mytypist_cli.engine.syntax import normalise_name
from mytypist_cli.engine.template import Placeholder, Template


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most likely meant by ``name``: the same letters in any case, else a close one."""
    options = list(candidates)
    folded = {_fold(option): option for option in options}
    if _fold(name) in folded:
        return folded[_fold(name)]
    similar = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return similar[0] if similar else None


def _fold(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def used_names(template: Template) -> frozenset[str]:
    """Every name the template uses, inside lists too, with the first part of each dotted name."""
    names: set[str] = set()

    def walk(placeholders: Iterable[Placeholder]) -> None:
        for placeholder in placeholders:
            names.add(placeholder.name)
            names.add(placeholder.name.split(".", 1)[0])
            walk(placeholder.fields)

    walk(template.placeholders)
    return frozenset(names)


def suggestions(missing: Iterable[str], values: Mapping[str, Any], used: Collection[str]) -> dict[str, str]:
    """For each missing name, the key of ``values`` (or of its lists' items) it was probably meant as.

    Only keys the template does not use are offered: a key it uses is not a misspelling.
    """
    keys: dict[str, None] = {}
    for key, value in values.items():
        keys[str(key)] = None
        if isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, Mapping):
                    keys.update(dict.fromkeys(str(inner) for inner in item))
    unused = [key for key in keys if normalise_name(key) not in used]
    hints: dict[str, str] = {}
    for name in missing:
        close = did_you_mean(name, unused)
        if close is not None:
            hints[name] = close
    return hints


def has_value(value: Any) -> bool:
    """Whether a cell holds something: not absent, not null, not empty or spaces only."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True
