"""Server-side SVG charts: geometry computed here, drawn by templates (no JavaScript, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH = 320
HEIGHT = 160
PAD = 24


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class LineChart:
    points: str
    first_label: str
    last_label: str
    max_value: int


@dataclass(frozen=True)
class Cell:
    row: int
    column: int
    x: float
    y: float
    size: float
    value: int
    shade: int  # 0–4: a CSS class step, so the page needs no inline style


def bars(rows: list[tuple[str, float]], *, limit: int = 12) -> list[Bar]:
    """Horizontal bars, largest first, scaled to the widest."""
    rows = sorted(rows, key=lambda row: -row[1])[:limit]
    top = max((value for _label, value in rows), default=0) or 1
    row_height = 22
    return [
        Bar(
            label=label,
            value=value,
            x=0,
            y=i * row_height,
            width=max(value / top * (WIDTH - 60), 1 if value else 0),
            height=row_height - 6,
        )
        for i, (label, value) in enumerate(rows)
    ]


def line(curve: list[tuple[date, int]]) -> LineChart | None:
    if len(curve) < 2:
        return None
    top = max(value for _day, value in curve) or 1
    step = (WIDTH - 2 * PAD) / (len(curve) - 1)
    points = " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD):.1f}"
        for i, (_day, value) in enumerate(curve)
    )
    return LineChart(
        points=points,
        first_label=curve[0][0].isoformat(),
        last_label=curve[-1][0].isoformat(),
        max_value=top,
    )


def heat(labels: list[str], values: dict[tuple[int, int], int]) -> list[Cell]:
    """A square matrix of origin rows × adopter columns; empty cells are not drawn."""
    n = max(len(labels), 1)
    size = (WIDTH - PAD) / n
    top = max(values.values(), default=0) or 1
    return [
        Cell(
            row=r,
            column=c,
            x=PAD + c * size,
            y=r * size,
            size=size,
            value=value,
            shade=min(4, 1 + int(value / top * 3.999)),
        )
        for (r, c), value in sorted(values.items())
    ]
