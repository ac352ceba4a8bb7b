"""Tables that never cut a word: what a user types next (ids, names) is shown whole.

Rich shortens a cell with an ellipsis when a table is wider than the terminal. Here every
column is at least as wide as its longest word (cells wrap between words only), and when
the table cannot fit at that, the columns marked optional are left out, the last first,
and the caption says so. Identifiers a user types next (scenario names, record ids,
distribution names) are never optional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.console import Group
from rich.table import Table
from rich.text import Text

# What a column costs besides its text: one space of padding each side and a border.
BORDER = 3


@dataclass(frozen=True)
class Column:
    """A column: its header, whether it may be left out, how its cells are justified."""

    header: str
    optional: bool = False
    justify: Literal["left", "right", "center"] = "left"


def _longest_word(texts: Sequence[str]) -> int:
    return max((len(word) for text in texts for word in text.split()), default=1)


def _longest_line(texts: Sequence[str]) -> int:
    return max((len(line) for text in texts for line in text.splitlines()), default=1)


def fitted_table(
    title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
) -> Table | Group:
    """A table of ``rows`` fitting ``width`` columns without cutting a word (see the module).

    Each column gets at least its longest word; the room left goes to the columns whose
    cells are longer, a character at a time, up to what they need on one line. When the
    columns that must stay cannot fit even so, each row is a paragraph of its own
    (``header: value · …``), wrapped between words.
    """
    texts = [[column.header, *(row[i] for row in rows)] for i, column in enumerate(columns)]
    needs = [_longest_word(t) for t in texts]
    keep = list(range(len(columns)))
    dropped: list[str] = []
    for i in reversed(range(len(columns))):
        if sum(needs[k] + BORDER for k in keep) + 1 <= width:
            break
        if columns[i].optional:
            keep.remove(i)
            dropped.append(columns[i].header)
    if sum(needs[k] + BORDER for k in keep) + 1 > width:
        return _paragraphs(title, [columns[k].header for k in keep], rows, keep)
    widths = {k: needs[k] for k in keep}
    natural = {k: max(needs[k], _longest_line(texts[k])) for k in keep}
    room = width - sum(w + BORDER for w in widths.values()) - 1
    while room > 0:
        short = [k for k in keep if widths[k] < natural[k]]
        if not short:
            break
        for k in short[:room]:
            widths[k] += 1
        room -= min(room, len(short))
    table = Table(title=title)
    for k in keep:
        table.add_column(
            columns[k].header, width=widths[k], overflow="fold", justify=columns[k].justify
        )
    for row in rows:
        table.add_row(*(row[k] for k in keep))
    if dropped:
        table.caption = f"(too narrow for: {', '.join(reversed(dropped))}; widen the terminal)"
    return table


def _paragraphs(
    title: str | None, headers: list[str], rows: Sequence[Sequence[str]], keep: list[int]
) -> Group:
    lines: list[Text] = [Text(title, style="bold")] if title else []
    for row in rows:
        cells = (f"{header}: {row[k]}" for header, k in zip(headers, keep, strict=True))
        lines.append(Text("  " + " · ".join(cells)))
    return Group(*lines)
