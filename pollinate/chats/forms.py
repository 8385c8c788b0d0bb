from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pollinate.chats.models import Chat, ChatVisibility, Rsvp
from pollinate.people.models import LANGUAGE_CHOICES, Person, Topic


class ChatForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    description = forms.CharField(
        label=_("What is it about?"), widget=forms.Textarea, required=False, max_length=4000
    )
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In your time zone."),
    )
    duration = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=15, max_value=12 * 60, initial=60
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, initial="en")
    visibility = forms.ChoiceField(
        label=_("Who can join"), choices=ChatVisibility.choices, initial=ChatVisibility.ORGANISATION
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.filter(merged_into__isnull=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    prompts = forms.CharField(
        label=_("Prompts"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("One per line; they become Q1, Q2… and you release them during the chat."),
    )

    def clean_prompts(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["prompts"].splitlines()]
        prompts = [line for line in lines if line]
        if len(prompts) > 20:
            raise forms.ValidationError(_("Prepare at most 20 prompts."))
        if any(len(p) > 1000 for p in prompts):
            raise forms.ValidationError(_("Each prompt can be at most 1000 characters."))
        return prompts

    @classmethod
    def initial_for(cls, chat: Chat) -> dict[str, Any]:
        return {
            "title": chat.title,
            "description": chat.description,
            "starts_at": chat.starts_at,
            "duration": int((chat.ends_at - chat.starts_at).total_seconds() // 60),
            "language": chat.language,
            "visibility": chat.visibility,
            "topics": list(chat.topics.all()),
            "prompts": "\n".join(chat.prompts.values_list("body", flat=True)),
        }


class RsvpForm(forms.Form):
    rsvp = forms.ChoiceField(choices=Rsvp.choices)


class InviteForm(forms.Form):
    people = forms.CharField(
        label=_("Email addresses"),
        help_text=_("Separate addresses with commas or new lines."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_people(self) -> list[Person]:
        emails = {e.strip().lower() for e in self.cleaned_data["people"].replace(",", "\n").split()}
        emails.discard("")
        if len(emails) > 200:
            raise forms.ValidationError(_("Invite at most 200 people at a time."))
        people = list(
            Person.objects.filter(user__email__in=emails, user__is_active=True).select_related(
                "user"
            )
        )
        unknown = emails - {p.user.email for p in people}
        if unknown:
            raise forms.ValidationError(
                _("No member has these addresses: %(emails)s")
                % {"emails": ", ".join(sorted(unknown))}
            )
        return people


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 2}))
    client_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    prompt = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class EpisodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.collection.title} · {obj.number}. {obj.title}"


class CollectForm(forms.Form):
    """Where a host adds an answer: an episode of a collection they edit, or of a published
    collection their site's edition they lead (the item then belongs to that edition)."""

    episode = EpisodeChoiceField(queryset=None, label=_("Add to collection"))

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from pollinate.curation.access import is_editor, is_site_lead
        from pollinate.curation.models import Collection, Episode

        self.person = person
        self.editor = is_editor(person)
        episodes = Episode.objects.select_related("collection").order_by(
            "collection__title", "collection_id", "number"
        )
        if self.editor:
            pass
        elif is_site_lead(person):
            episodes = episodes.filter(collection__in=Collection.objects.published())
        else:
            episodes = episodes.none()
        self.fields["episode"].queryset = episodes  # type: ignore[attr-defined]

    def choices(self) -> list[tuple[str, str]]:
        """(episode id, label) pairs, read once for a page that offers them on every answer."""
        field = self.fields["episode"]
        return [(str(value), str(label)) for value, label in field.choices if value]  # type: ignore[attr-defined]

    def edition_site(self) -> Any:
        return None if self.editor else self.person.site
