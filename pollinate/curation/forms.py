from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pollinate.curation.models import Collection, ItemKind
from pollinate.people.models import Topic


class CollectionForm(forms.ModelForm):
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to keep it a draft; a future time schedules it (UTC)."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.filter(merged_into__isnull=True).order_by("name"),
        required=False,
    )

    class Meta:
        model = Collection
        fields = ["title", "introduction", "topics", "publish_at"]
        widgets = {"introduction": forms.Textarea(attrs={"rows": 5})}


class EpisodeForm(forms.Form):
    title = forms.CharField(label=_("Episode title"), max_length=160)
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to keep it a draft; a future time schedules it (UTC)."),
    )


class ItemForm(forms.Form):
    """An item for an episode: a pick from the picker (``kind:id``), a number, or a link."""

    kind = forms.ChoiceField(label=_("What to add"), choices=ItemKind.choices, required=False)
    # What the picker's results submit; the API and older forms send kind and target_id.
    pick = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    target_id = forms.IntegerField(
        label=_("Number of the practice, question, chat or collection"),
        required=False,
        min_value=1,
        help_text=_("The number at the end of its web address."),
    )
    # A CharField, not a URLField: the service gives one clear message for every bad link.
    url = forms.CharField(label=_("Link"), required=False, max_length=800)
    link_title = forms.CharField(label=_("Link title"), required=False, max_length=200)
    link_source = forms.CharField(label=_("Source"), required=False, max_length=120)
    commentary = forms.CharField(
        label=_("Your commentary"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pick = cleaned.pop("pick", "") or ""
        if pick:
            kind, _sep, number = pick.partition(":")
            if kind not in ItemKind.values or kind == ItemKind.LINK or not number.isdigit():
                raise forms.ValidationError(_("Choose one of the results."))
            cleaned["kind"], cleaned["target_id"] = kind, int(number)
        if not cleaned.get("kind"):
            raise forms.ValidationError(_("Choose what to add."))
        return cleaned


class PickerForm(forms.Form):
    """The editor's search for an item to add, by kind and words of its title."""

    kind = forms.ChoiceField(
        label=_("Find a"),
        choices=[(k, label) for k, label in ItemKind.choices if k != ItemKind.LINK],
        initial=ItemKind.PRACTICE,
    )
    q = forms.CharField(
        label=_("Title contains"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
