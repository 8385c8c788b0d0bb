"""Queries a page runs on every view, compiled to SQL once per process.

For the short indexed queries most pages are made of, the ORM spends longer building the SQL
(0.2–1 ms: resolving lookups, joins, the select list, converters) than the database spends
answering it. Here a query is built once per process and *shape* with a marker in place of each
value, its SQL and the markers' places among the parameters are kept, and every later call runs
that SQL with its own values, reading rows through the ORM's own converters (aware datetimes,
JSON, decimals on every database).

A shape is what makes the SQL differ besides the values: a name, plus whatever changes the
query's structure (how many sites a feed spans, which filters are set). Every value must reach
the SQL as a parameter — one the ORM folds into the SQL text (or drops) raises ``ValueError``
when the shape is first compiled, so a shape can never run with another call's value.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # not in the stubs

Value = int | str | date
M = TypeVar("M", bound=Model)
# (connection alias, shape) -> (what the builder kept, SQL, parameters, {place: value name})
_COMPILED: dict[tuple[str, Hashable], tuple[Any, str, tuple[Any, ...], dict[int, str]]] = {}
# Shapes are few (names times structural variants); the cap only bounds a mistake.
_COMPILED_LIMIT = 1000


def _marker(index: int, value: Value) -> Value:
    """An improbable value of the same type, distinct per place."""
    if isinstance(value, date):
        return date(1001 + index, 1, 1)
    if isinstance(value, str):
        return f"\x00marker-{index}\x00"
    return -987654300 - index


def _adapted(value: Value) -> Any:
    """A value as the database driver receives it (a date is text on SQLite)."""
    return connection.ops.adapt_datefield_value(value) if isinstance(value, date) else value


def compiled(
    shape: Hashable, build: Callable[..., tuple[Any, str, Sequence[Any]]], values: dict[str, Value]
) -> tuple[Any, str, list[Any]]:
    """(what ``build`` kept besides its SQL, the SQL, its parameters with ``values`` bound).

    ``build(**markers)`` is called once per process and shape, and returns (anything, SQL,
    parameters)."""
    key = (connection.alias, shape)
    entry = _COMPILED.get(key)
    if entry is None:
        markers = {
            name: _marker(index, value) for index, (name, value) in enumerate(values.items())
        }
        kept, sql, params = build(**markers)
        by_marker = {_adapted(marker): name for name, marker in markers.items()}
        places = {
            at: by_marker[param]
            for at, param in enumerate(params)
            # A date stays a date for PostgreSQL's driver; lists (arrays) are never markers.
            if isinstance(param, int | str | date) and param in by_marker
        }
        if set(places.values()) != set(values):
            raise ValueError(f"{shape}: every value must reach the SQL as a parameter")
        if len(_COMPILED) >= _COMPILED_LIMIT:
            _COMPILED.clear()
        entry = _COMPILED[key] = (kept, sql, tuple(params), places)
    kept, sql, params, places = entry
    bound = list(params)
    for at, name in places.items():
        bound[at] = _adapted(values[name])
    return kept, sql, bound


def compiled_sql(
    shape: Hashable, build: Callable[..., tuple[str, Sequence[Any]]], **values: Value
) -> tuple[str, list[Any]]:
    """The (SQL, parameters) ``build(**markers)`` gives, compiled once, with ``values`` bound."""
    _nothing, sql, params = compiled(shape, lambda **markers: (None, *build(**markers)), values)
    return sql, params


# A value outside the database's 64-bit integers is an id no row can have (a URL can carry any
# number of digits); SQLite's driver would raise on binding it, so such a lookup finds nothing.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _bindable(values: dict[str, Value]) -> bool:
    return all(
        not isinstance(value, int) or _INT64_MIN <= value <= _INT64_MAX for value in values.values()
    )


def compiled_rows(
    shape: Hashable,
    build: Callable[..., QuerySet[Any]],
    *,
    window: tuple[int, int] | None = None,
    **values: Value,
) -> list[tuple[Any, ...]]:
    """The rows of ``build(**markers)`` (a ``values_list`` queryset, not sliced) with ``values``
    for the markers, and with ``window`` = (offset, limit) when given. Values are keys: an
    integer beyond 64 bits finds no row."""
    if not _bindable(values):
        return []

    def prepare(**markers: Any) -> tuple[Any, str, Sequence[Any]]:
        compiler = build(**markers).query.get_compiler(connection.alias)
        return (compiler, *compiler.as_sql())

    compiler, sql, params = compiled(shape, prepare, values)
    if window is not None:
        sql = f"{sql} LIMIT %s OFFSET %s"
        params += [window[1], window[0]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(compiler.results_iter(results=[cursor.fetchall()], tuple_expected=True))


def compiled_models(shape: Hashable, build: Callable[..., QuerySet[M]], **values: Value) -> list[M]:
    """The instances ``build(**markers)`` loads, built as Django's own model iterable builds them;
    for querysets that only ``select_related`` (no annotations, no prefetching). Values are keys:
    an integer beyond 64 bits finds no row."""
    if not _bindable(values):
        return []

    def prepare(**markers: Any) -> tuple[Any, str, Sequence[Any]]:
        compiler = build(**markers).query.get_compiler(connection.alias)
        sql, params = compiler.as_sql()
        info, select = compiler.klass_info, compiler.select
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        attnames = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(info, select, connection.alias)
        return (compiler, info["model"], start, end, attnames, populators), sql, params

    built, sql, params = compiled(shape, prepare, values)
    compiler, model, start, end, attnames, populators = built
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = list(compiler.results_iter(results=[cursor.fetchall()]))
    found: list[M] = []
    for row in rows:
        instance = model.from_db(connection.alias, attnames, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        found.append(instance)
    return found


def compiled_first(shape: Hashable, build: Callable[..., QuerySet[M]], **values: Value) -> M | None:
    """The first instance ``compiled_models`` finds, or None: a lookup by key (leave the queryset
    unordered; ``first()`` would order by the primary key, which the ORM compares to every
    selected column)."""
    found = compiled_models(shape, build, **values)
    return found[0] if found else None
