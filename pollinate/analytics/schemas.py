"""Schemas of the analytics API: dashboards as figures, tables and a diffusion curve."""

from __future__ import annotations

from datetime import date

from ninja import Schema

Cell = str | int | float | None


class FigureOut(Schema):
    label: str
    value: int | float | str | None
    unit: str = ""


class TableOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    withheld: int


class CurvePointOut(Schema):
    week: date
    total: int


class DashboardOut(Schema):
    scope: str
    # False when fewer than `k` people stand behind the group: then only `message` is filled.
    safe: bool
    k: int
    message: str = ""
    figures: list[FigureOut]
    tables: list[TableOut]
    curve: list[CurvePointOut]
    # An administrator turned named recognition on: `tables` then has a "recognition" table.
    named_recognition: bool = False
    notice: str = ""


class MyFiguresOut(Schema):
    figures: list[FigureOut]
    # When on, the caller's name may appear on the dashboards (never ranked); `notice` says so.
    named_recognition: bool = False
    notice: str = ""
