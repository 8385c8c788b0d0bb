"""Queries compiled to SQL once per process and shape, run with each call's values."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from pollinate.core import compiled as compiled_module
from pollinate.core.compiled import compiled_first, compiled_models, compiled_rows, compiled_sql
from pollinate.people.models import Person, Site
from pollinate.people.tests.factories import PersonFactory, SiteFactory


@pytest.fixture(autouse=True)
def _fresh_shapes():
    compiled_module._COMPILED.clear()
    yield
    compiled_module._COMPILED.clear()


def _site_names(site_id: int) -> list[tuple[str, str]]:
    return compiled_rows(
        "test:site",
        lambda site: Site.objects.filter(pk=site).values_list("name", "code"),
        site=site_id,
    )


def test_each_call_runs_with_its_own_values_and_compiles_once(
    db: None, django_assert_num_queries
) -> None:
    lyon, porto = SiteFactory(name="Lyon"), SiteFactory(name="Porto")
    assert _site_names(lyon.pk) == [("Lyon", lyon.code)]
    built = []
    original = Site.objects.filter

    def counting_filter(*args, **kwargs):
        built.append(kwargs)
        return original(*args, **kwargs)

    Site.objects.filter = counting_filter  # type: ignore[method-assign]
    try:
        with django_assert_num_queries(1):
            assert _site_names(porto.pk) == [("Porto", porto.code)]
    finally:
        del Site.objects.filter
    assert built == []  # the ORM did not build the query again


def test_text_and_date_values_and_aware_datetimes_come_back_as_the_orm_gives_them(
    db: None,
) -> None:
    site = SiteFactory(name="Lyon", code="lyon")
    SiteFactory(name="Lille", code="lille")
    since = date.today() - timedelta(days=1)

    def build(code: str, since: date):
        return Site.objects.filter(code=code, created_at__date__gte=since).values_list(
            "pk", "created_at"
        )

    rows = compiled_rows("test:code-since", build, code="lyon", since=since)
    assert [pk for pk, _created in rows] == [site.pk]
    assert isinstance(rows[0][1], datetime) and timezone.is_aware(rows[0][1])
    assert compiled_rows("test:code-since", build, code="lille", since=since)[0][0] != site.pk
    assert (
        compiled_rows("test:code-since", build, code="lyon", since=date.today() + timedelta(days=2))
        == []
    )


def test_a_value_that_does_not_reach_the_sql_as_a_parameter_cannot_be_compiled(db: None) -> None:
    # The builder wrote the value into the query some other way (here: not at all), so the shape
    # would repeat the first call's query whatever the value.
    with pytest.raises(ValueError, match="every value must reach the SQL"):
        compiled_rows("test:folded", lambda site: Site.objects.values_list("pk"), site=5)


def test_a_window_pages_through_the_rows(db: None) -> None:
    for code in ("a", "b", "c", "d"):
        SiteFactory(code=code, name=code.upper())

    def build(minimum: int):
        return Site.objects.filter(pk__gte=minimum).order_by("code").values_list("code", flat=True)

    rows = compiled_rows("test:window", build, window=(1, 2), minimum=0)
    assert rows == [("b",), ("c",)]
    assert compiled_rows("test:window", build, window=(3, 2), minimum=0) == [("d",)]


def test_models_come_with_their_joined_relations(db: None, django_assert_num_queries) -> None:
    person = PersonFactory(display_name="Ana")

    def build(person: int):
        return Person.objects.select_related("site").filter(pk=person)

    compiled_models("test:person", build, person=person.pk)
    with django_assert_num_queries(1):
        (found,) = compiled_models("test:person", build, person=person.pk)
        assert isinstance(found, Person) and found.display_name == "Ana"
        assert found.site.name == person.site.name
    assert found._state.db == "default" and not found._state.adding


def test_raw_sql_shapes_bind_their_values() -> None:
    sql, params = compiled_sql("test:raw", lambda a, b: ("SELECT %s + %s", [a, b]), a=2, b=3)
    assert sql == "SELECT %s + %s" and params == [2, 3]
    assert compiled_sql("test:raw", lambda a, b: ("never built again", []), a=5, b=7)[1] == [5, 7]


def test_a_key_lookup_gives_the_row_or_none_and_an_id_beyond_64_bits_finds_nothing(
    db: None, django_assert_num_queries
) -> None:
    site = SiteFactory(name="Lyon")

    def build(pk: int):
        return Site.objects.filter(pk=pk)

    assert compiled_first("test:site-first", build, pk=site.pk) == site
    assert compiled_first("test:site-first", build, pk=site.pk + 1000) is None
    with django_assert_num_queries(0):  # a URL can carry any number of digits
        assert compiled_first("test:site-first", build, pk=2**70) is None
        assert (
            compiled_rows("test:site", lambda site: build(site).values_list("pk"), site=-(2**64))
            == []
        )
