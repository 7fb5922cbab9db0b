"""Tables that fit the terminal without cutting what matters.

An algorithm name, a directive or a fix is never cut or folded: its column
is as wide as its widest cell. Prose columns (why, notes) fold into what is
left; when too little is left for them to be readable, they are dropped
(the JSON and the detailed views keep them).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

# Below this, a folded prose column is a ragged strip of half-words: drop it.
MIN_PROSE = 24


def _width(cell: object) -> int:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return max((len(line) for line in text.split("\n")), default=0)


def fit(table: Table, width: int, *, keep: Sequence[int], prose: Sequence[int] = ()) -> Table | Group:
    """``table`` made to fit ``width``: ``keep`` columns whole, ``prose`` columns folded, or dropped when
    they would get less than :data:`MIN_PROSE` characters. When even the whole columns do not fit side by
    side, each row is printed as a block of ``header: value`` lines instead (nothing is ever cut)."""
    columns = table.columns
    padding = 2  # rich's default cell padding between columns with box=None: one space each side
    needed = 0
    for i, column in enumerate(columns):
        if i in prose:
            continue
        cells = [column.header, *column._cells]
        column.min_width = max(_width(c) for c in cells)
        column.no_wrap = True
        column.overflow = "ignore"
        needed += column.min_width + padding
    room = width - needed
    if room < 0:
        return _stacked(table, [i for i in range(len(columns)) if i not in prose])
    dropped = [i for i in prose if room < MIN_PROSE * len(prose)]
    for i in prose:
        if i not in dropped:
            columns[i].overflow = "fold"
    if not dropped:
        return table
    out = Table(show_header=table.show_header, header_style=table.header_style, box=table.box,
                pad_edge=table.pad_edge, title=table.title)
    kept = [i for i in range(len(columns)) if i not in dropped]
    for i in kept:
        c = columns[i]
        out.add_column(c.header, style=c.style, no_wrap=c.no_wrap, min_width=c.min_width, overflow=c.overflow,
                       justify=c.justify)
    rows = zip(*(columns[i]._cells for i in kept), strict=True) if kept else iter(())
    for row in rows:
        out.add_row(*row)
    return out


def _stacked(table: Table, kept: Sequence[int]) -> Group:
    """Rows as blocks of lines, for a terminal too narrow for the columns side by side."""
    columns = table.columns
    lines: list[Text] = []
    for row in zip(*(columns[i]._cells for i in kept), strict=True):
        first = True
        for i, cell in zip(kept, row, strict=True):
            text = cell if isinstance(cell, Text) else Text(str(cell))
            if not text.plain.strip():
                continue
            head = Text(("" if first else "  ") + f"{columns[i].header}: ", style="bold" if first else "dim")
            for n, part in enumerate(text.split("\n")):
                lines.append(Text.assemble(head if n == 0 else " " * len(head.plain), part))
            first = False
        if not first:
            lines.append(Text(""))
    return Group(*lines)
