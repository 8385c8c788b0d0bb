from __future__ import annotations

import time
import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pollinate.core.ratelimit import ratelimit_hit, ratelimit_used
from pollinate.people.models import (
    LANGUAGE_CHOICES,
    Person,
    Site,
    SkillLevel,
    Topic,
    country_name,
)
from pollinate.people.selectors import topic_current_get

TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones())]


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_username(self) -> str:
        # Accounts are stored in lower case; people type their address any way they like.
        return str(self.cleaned_data["username"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        # ASVS 2.2.1: at most ACCOUNT_SIGNIN_FAILURES_PER_HOUR failures per account per hour from
        # all addresses together. The pause ends with the clock hour, so an attacker can slow a
        # victim down but never lock them out for good (and password reset stays open).
        email = str(self.cleaned_data.get("username") or "")
        limit = settings.ACCOUNT_SIGNIN_FAILURES_PER_HOUR
        if email and ratelimit_used("signin-account", email, window=3600) >= limit:
            # A refusal is a failed sign-in like any other for lockouts and the audit log,
            # though the password was never checked.
            if self.request is not None:
                self.request.pollinate_account_throttled = True  # type: ignore[attr-defined]
            user_login_failed.send(
                sender=__name__, credentials={"username": email}, request=self.request
            )
            raise forms.ValidationError(
                _(
                    "This account has had too many failed sign-ins in the last hour. Try again "
                    "later, or reset your password."
                ),
                code="account_throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            if email:
                ratelimit_hit("signin-account", email, limit=limit, window=3600)
            raise

    error_messages = {
        "invalid_login": _("That email address and password do not match an account."),
        "inactive": _("This account is not active. Ask an administrator."),
    }


class ProfileForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Languages I speak"), choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
    photo = forms.ImageField(label=_("Photo"), required=False)
    clear_photo = forms.BooleanField(label=_("Remove my photo"), required=False)

    class Meta:
        model = Person
        fields = [
            "display_name",
            "job_title",
            "team",
            "languages",
            "time_zone",
            "bio",
            "interface_language",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("This photo is too large."))
        return photo


class SkillForm(forms.Form):
    topic = forms.ModelChoiceField(
        label=_("Topic"), queryset=Topic.objects.filter(merged_into=None).order_by("name")
    )
    level = forms.TypedChoiceField(label=_("Level"), choices=SkillLevel.choices, coerce=int)


# The site, country and topic choices of every filter form (the people directory, the practice
# search) are kept per language in each process: building them read every site and topic on
# every request. Saving or deleting a site or topic clears them here (signals wired in apps.py);
# other worker processes refresh within FILTER_CHOICES_TTL seconds.
FILTER_CHOICES_TTL = 60.0
# The filter forms' markup, rendered from the same choices, goes with them (see
# ``DirectoryForm.fields_html``): a new list of choices starts with no markup.
_FilterEntry = tuple[float, dict[str, list[tuple[str, str]]], dict[Any, SafeString]]
_filter_choices: dict[str, _FilterEntry] = {}
# Searched names make the markup keys open-ended: past this many a language's markup starts over.
FILTER_MARKUP_LIMIT = 500


def filter_choices_clear(**_kwargs: Any) -> None:
    _filter_choices.clear()


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The site, country and topic choices of the filter forms, in the active language."""
    return _filter_entry()[1]


def _filter_entry() -> _FilterEntry:
    language = get_language() or "en"
    now = time.monotonic()
    cached = _filter_choices.get(language)
    if cached is not None and cached[0] > now:
        return cached
    sites = list(Site.objects.order_by("name").values_list("code", "name", "country"))
    short = language.split("-")[0]
    topics = Topic.objects.filter(merged_into=None).order_by("name")
    choices = {
        "site": [("", str(_("All sites"))), *((code, name) for code, name, _country in sites)],
        "country": [
            ("", str(_("All countries"))),
            *sorted(
                {(country, country_name(country)) for _code, _name, country in sites},
                key=lambda choice: choice[1],
            ),
        ],
        "topic": [
            ("", str(_("Any topic"))),
            # As Topic.display_name: the name in the reader's language when there is one.
            *(
                (str(pk), str((translations or {}).get(short) or name))
                for pk, name, translations in topics.values_list("pk", "name", "name_translations")
            ),
        ],
    }
    entry: _FilterEntry = (now + FILTER_CHOICES_TTL, choices, {})
    _filter_choices[language] = entry
    return entry


_LANGUAGE_FILTER_CHOICES: list[tuple[str, Any]] = [("", _("Any language")), *LANGUAGE_CHOICES]


class DirectoryForm(forms.Form):
    # Filters are optional by nature; the field partial leaves out the "(optional)" marker.
    is_filter = True

    q = forms.CharField(label=_("Name or job"), required=False, max_length=100)
    # Plain choice fields over ``filter_choices()`` (no query per form); ``clean_site`` and
    # ``clean_topic`` still hand the view the chosen Site and Topic.
    site = forms.ChoiceField(label=_("Site"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    topic = forms.ChoiceField(label=_("Who knows"), required=False)
    # Given its choices per form like the others: copying choices with the class's fields is
    # the most expensive part of building the form.
    language = forms.ChoiceField(label=_("Speaks"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in [*filter_choices().items(), ("language", _LANGUAGE_FILTER_CHOICES)]:
            field = self.fields[name]
            # Assigned to the field and its widget directly: their choices setters copy and
            # normalise the list again (0.5 ms per form for the site and topic lists).
            field._choices = field.widget._choices = choices  # type: ignore[attr-defined]

    def fields_html(self) -> SafeString:
        """The filter fields' markup, rendered once per language, choices and submitted values.

        Five field partials over a few hundred options were a quarter of a directory page. The
        markup depends on nothing else (the choices are everyone's, and the submitted values and
        their errors follow from the key), so it is kept with the choices it was made from."""
        _expires, _choices, rendered = _filter_entry()
        key = (self.is_bound, *(self.data.get(name) for name in self.fields))
        html = rendered.get(key)
        if html is None:
            html = mark_safe(  # noqa: S308 - rendered by the template engine, which escapes
                render_to_string("people/_partials/directory_filters.html", {"form": self})
            )
            if len(rendered) >= FILTER_MARKUP_LIMIT:
                rendered.clear()
            rendered[key] = html
        return html

    def clean_site(self) -> Site | None:
        code = self.cleaned_data["site"]
        return Site.objects.filter(code=code).first() if code else None

    def clean_topic(self) -> Topic | None:
        topic_id = self.cleaned_data["topic"]
        # The choices held only current topics; the taxonomy tells whether it still is one.
        return topic_current_get(topic_id=int(topic_id)) if topic_id else None


class InvitationForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=120)
    email = forms.EmailField(label=_("Email address"))
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.order_by("name"))

    def clean_email(self) -> str:
        from pollinate.people.models import User

        email = str(self.cleaned_data["email"]).strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("Someone with this email address already has an account.")
            )
        return email


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password."),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
