from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import LANGUAGE_CHOICES, Topic
from pollinate.questions.models import BODY_MAX, COMMENT_MAX, TITLE_MAX, CloseReason


class QuestionForm(forms.Form):
    title = forms.CharField(
        label=_("Your question"),
        min_length=8,
        max_length=TITLE_MAX,
        help_text=_("One sentence: what are you stuck on?"),
    )
    body = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What did you try? Markdown works."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.filter(merged_into=None).order_by("name"),
        required=False,
        help_text=_("Topics route your question to people who know them."),
    )
    equipment = forms.CharField(
        label=_("Equipment"),
        required=False,
        max_length=400,
        help_text=_("Machine or tool names, separated by commas."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    photo = forms.ImageField(label=_("Photo"), required=False)

    def clean_equipment(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["equipment"].split(",") if tag.strip()]

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("This photo is too large."))
        return photo


class QuestionEditForm(QuestionForm):
    """The ask form without the photo: the photo stays as it was posted."""

    photo = None  # type: ignore[assignment]


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Share what worked for you. Markdown works."),
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write an answer first."))
        return body


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why close it?"), choices=CloseReason.choices, widget=forms.RadioSelect
    )
    duplicate_of = forms.IntegerField(
        label=_("Number of the question it duplicates"), required=False, min_value=1
    )
    # Chosen in the practice picker (search results rendered as radio buttons).
    practice_id = forms.IntegerField(
        label=_("The practice that answers it"), required=False, min_value=1
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == CloseReason.DUPLICATE and not data.get("duplicate_of"):
            self.add_error("duplicate_of", _("Give the number of the other question."))
        if data.get("reason") == CloseReason.PRACTICE and not data.get("practice_id"):
            self.add_error("practice_id", _("Find and choose the practice that answers it."))
        return data


class PlainSelect(forms.Select):
    """A select whose options are joined in Python: Django renders each option through its own
    template, which was most of the question list's time with ~80 topics on every request."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(item) for item in (value if isinstance(value, list | tuple) else [value])}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class ListFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    topic = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Topic.objects.filter(merged_into=None).order_by("name"),
        required=False,
        widget=PlainSelect,
    )
