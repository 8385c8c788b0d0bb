"""The select boxes built in Python are the markup Django's templates make."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from pollinate.core.forms import FormRenderer
from pollinate.people.forms import DirectoryForm
from pollinate.people.tests.factories import SiteFactory, TopicFactory


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def _both(widget: forms.Widget, name: str, value: object) -> tuple[str, str]:
    ours = widget.render(name, value, renderer=FormRenderer())
    django = widget.render(name, value, renderer=DjangoTemplates())
    return _squeezed(ours), _squeezed(django)


labels = st.text(max_size=12) | st.sampled_from(["<script>alert(1)</script>", 'a"b', "é & ü"])
values = st.text(alphabet="abc<&\"' 1", max_size=4)
choices = st.lists(st.tuples(values, labels), max_size=6)
grouped = st.lists(st.tuples(labels, choices), max_size=3)


@given(choices=choices, selected=values, required=st.booleans(), disabled=st.booleans())
def test_a_select_renders_as_django_renders_it(
    choices: list[tuple[str, str]], selected: str, required: bool, disabled: bool
) -> None:
    widget = forms.Select(choices=choices, attrs={"required": required, "disabled": disabled})
    ours, django = _both(widget, "pick", selected)
    assert ours == django


@given(groups=grouped, selected=st.lists(values, max_size=3))
def test_a_multiple_select_with_groups_renders_as_django_renders_it(
    groups: list[tuple[str, list[tuple[str, str]]]], selected: list[str]
) -> None:
    widget = forms.SelectMultiple(choices=groups, attrs={"class": "wide", "data-x": 'q"'})
    ours, django = _both(widget, "picks", selected)
    assert ours == django


def test_labels_are_escaped_and_the_selected_option_is_marked() -> None:
    widget = forms.Select(choices=[("1", "<b>one</b>"), ("2", gettext_lazy("Two"))])
    html = widget.render("n", "2", renderer=FormRenderer())
    assert "&lt;b&gt;one&lt;/b&gt;" in html
    assert '<option value="2" selected>Two</option>' in html
    assert "<b>" not in html


@pytest.mark.django_db
def test_a_real_filter_form_renders_the_same_topics_and_sites() -> None:
    SiteFactory(name="Lyon <plant>")
    topic = TopicFactory(name="Changeover & SMED")
    form = DirectoryForm({"topic": str(topic.pk)})
    assert form.is_valid()
    for name in ("topic", "site", "country", "language"):
        bound = form[name]
        widget = bound.field.widget
        ours, django = _both(widget, bound.html_name, bound.value())
        assert ours == django
    assert f'<option value="{topic.pk}" selected>Changeover &amp; SMED</option>' in str(
        form["topic"]
    )


def test_a_widget_with_its_own_option_template_keeps_the_template_engine() -> None:
    class Fancy(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    html = Fancy(choices=[("a", "A")]).render("n", "a", renderer=FormRenderer())
    # The option template ran (select_html would have written an <option>).
    assert "<input" in html
    assert "<option" not in html
