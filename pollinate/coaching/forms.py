from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pollinate.coaching.models import (
    CERTIFICATION_CHECKLIST,
    CoachLevel,
    MeetingMode,
    OfferStatus,
    TimeSlot,
    Urgency,
)
from pollinate.people.models import LANGUAGE_CHOICES, Person, Topic

MODE_CHOICES = [(MeetingMode.ON_SITE, _("On site, at my site")), (MeetingMode.REMOTE, _("Remote"))]


class OfferForm(forms.Form):
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics I can coach"),
        queryset=Topic.objects.filter(merged_into=None),
        help_text=_(
            "Your level in each comes from the skills on your profile (proficient if unset)."
        ),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages I coach in"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(
        label=_("Learners at a time"),
        min_value=1,
        max_value=20,
        initial=2,
        help_text=_("How many learners you can coach at once. You are never proposed beyond it."),
    )
    modes = forms.MultipleChoiceField(
        label=_("How I can meet"), choices=MODE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    time_slots = forms.MultipleChoiceField(
        label=_("When I am available (my time zone)"),
        choices=TimeSlot.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    pitch = forms.CharField(
        label=_("Short pitch"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you can help with, in a sentence or two."),
    )


class OfferStatusForm(forms.Form):
    status = forms.ChoiceField(choices=OfferStatus.choices)


class RequestForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=Topic.objects.filter(merged_into=None)
    )
    goal = forms.CharField(
        label=_("What I want to be able to do"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: set up the lens edger for a new frame shape on my own."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages I can use"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    mode = forms.ChoiceField(
        label=_("How to meet"),
        choices=MeetingMode.choices,
        initial=MeetingMode.EITHER,
        widget=forms.RadioSelect,
    )
    time_slots = forms.MultipleChoiceField(
        label=_("When I am available (my time zone)"),
        choices=TimeSlot.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave empty if you are flexible."),
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        coerce=int,
        initial=Urgency.WHENEVER,
    )
    practice_id = forms.IntegerField(
        label=_("Linked practice number"),
        required=False,
        min_value=1,
        help_text=_("If you want to adopt a practice shared on Pollinate."),
    )


class ProposeForm(forms.Form):
    coach = forms.IntegerField(min_value=1)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why not (the learner does not see this)"), max_length=300)


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Starts at (your time zone)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=10, max_value=240, initial=45
    )
    where = forms.CharField(label=_("Where or video link"), max_length=300, required=False)
    co_coach = forms.ModelChoiceField(
        label=_("Apprentice co-leading"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("An apprentice coach of this topic learns by co-leading with you."),
    )

    def __init__(self, *args: Any, time_zone: str, topic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        self.fields["co_coach"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            coach_offer__status=OfferStatus.ACTIVE,
            coach_offer__topics__topic_id=topic_id,
            coach_offer__topics__coach_level=CoachLevel.APPRENTICE,
        ).distinct()

    def clean_starts_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["starts_at"]
        # The browser sends a wall-clock time; it means the actor's own time zone.
        return value.replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(self.time_zone))


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Session notes"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    done = forms.BooleanField(label=_("The session took place"), required=False)


class FeedbackForm(forms.Form):
    can_now_do = forms.CharField(
        label=_("What I can now do"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    rating = forms.TypedChoiceField(
        label=_("How useful was it"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    helped = forms.BooleanField(label=_("This helped me do something at work"), required=False)
    helped_with = forms.CharField(label=_("It helped me to…"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("helped") and not (data.get("helped_with") or "").strip():
            self.add_error("helped_with", _("Say what it helped you do."))
        return data


class CertificationForm(forms.Form):
    checklist = forms.MultipleChoiceField(
        label=_("Checklist"), choices=CERTIFICATION_CHECKLIST, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_checklist(self) -> list[str]:
        ticked: list[str] = self.cleaned_data["checklist"]
        if len(set(ticked)) != len(CERTIFICATION_CHECKLIST):
            raise forms.ValidationError(_("Tick every item of the checklist."))
        return ticked
