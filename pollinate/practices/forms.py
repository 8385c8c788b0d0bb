from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pollinate.people.forms import filter_choices
from pollinate.people.models import LANGUAGE_CHOICES, Person, Site, Topic
from pollinate.practices.models import AdoptionStatus, PracticeStatus, Tag

MARKDOWN_HELP = _(
    "You can use Markdown: **bold**, lists with -, links. Mention someone with @Name."
)


def _topics_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.filter(merged_into=None).order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
    )


class PhotoField(forms.FileField):
    """A file field whose content is validated (and re-encoded) by the service, not by its name."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload and upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("This photo is %(size)s MB; the limit is %(limit)s MB."),
                params={
                    "size": round(upload.size / 1_048_576, 1),
                    "limit": round(settings.UPLOAD_MAX_BYTES / 1_048_576, 1),
                },
            )
        return upload


class QuickCaptureForm(forms.Form):
    title = forms.CharField(
        label=_("What is it called?"),
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    steps = forms.CharField(
        label=_("What do you do?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A few lines are enough; you can complete it later."),
    )
    photo = PhotoField(label=_("Photo"), required=False)
    share = forms.BooleanField(
        label=_("Share it now with every site"), required=False, initial=True
    )


class PracticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    problem = forms.CharField(
        label=_("The problem it solves"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=MARKDOWN_HELP,
    )
    steps = forms.CharField(
        label=_("What we do"), widget=forms.Textarea(attrs={"rows": 8}), help_text=MARKDOWN_HELP
    )
    evidence = forms.CharField(
        label=_("Evidence of results"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What changed since you started? Numbers help other sites decide."),
    )
    metric_unit = forms.CharField(
        label=_("Measured in"), required=False, max_length=40, help_text=_("e.g. minutes, % scrap")
    )
    metric_before = forms.FloatField(label=_("Before"), required=False)
    metric_after = forms.FloatField(label=_("After"), required=False)
    video_url = forms.URLField(
        label=_("Video link"),
        required=False,
        assume_scheme="https",
        max_length=200,
        # Shown as a link: web addresses only, as the API accepts (never ftp:, javascript: …).
        validators=[URLValidator(schemes=["http", "https"])],
    )
    language = forms.ChoiceField(
        label=_("Written in"), choices=LANGUAGE_CHOICES, widget=forms.Select
    )
    topics = _topics_field()
    tags = forms.CharField(
        label=_("Equipment or process tags"),
        required=False,
        max_length=400,
        help_text=_("Separate with commas, e.g. Press 12, Line B."),
    )
    summary = forms.CharField(
        label=_("What did you change?"),
        required=False,
        max_length=200,
        help_text=_("A short note for the history."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.filter(merged_into=None).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        before, after = data.get("metric_before"), data.get("metric_after")
        if (before is not None or after is not None) and not data.get("metric_unit"):
            self.add_error("metric_unit", _("Say what the numbers measure."))
        return data

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [name.strip() for name in raw.split(",") if name.strip()][:12]


class PhotoForm(forms.Form):
    photo = PhotoField(label=_("Add a photo"))
    caption = forms.CharField(label=_("Caption"), required=False, max_length=200)


class OutcomeFields(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened at your site?"),
    )
    outcome_positive = forms.TypedChoiceField(
        label=_("Was the outcome positive?"),
        required=False,
        choices=[("", _("Too early to say")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
    )
    metric_unit = forms.CharField(label=_("Measured in"), required=False, max_length=40)
    metric_before = forms.FloatField(label=_("Before"), required=False)
    metric_after = forms.FloatField(label=_("After"), required=False)
    happened_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AdoptionForm(OutcomeFields):
    status = forms.ChoiceField(
        label=_("Your site"),
        choices=[
            (AdoptionStatus.TRYING, _("is trying it")),
            (AdoptionStatus.ADOPTED, _("adopted it")),
            (AdoptionStatus.DROPPED, _("dropped it")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Why was it dropped?"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == AdoptionStatus.DROPPED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why, so other sites can learn from it."))
        return data


class AdaptForm(OutcomeFields):
    title = forms.CharField(label=_("Title of your version"), max_length=200)
    adaptation_note = forms.CharField(
        label=_("What did you change, and why?"), widget=forms.Textarea(attrs={"rows": 3})
    )
    steps = forms.CharField(
        label=_("What you do"), widget=forms.Textarea(attrs={"rows": 6}), help_text=MARKDOWN_HELP
    )


def _attrs_html(attrs: dict[str, Any]) -> SafeString:
    """Attributes in the order Django's attrs template writes them (``flatatt`` sorts them)."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", key) if value is True else format_html(' {}="{}"', key, value),)
            for key, value in attrs.items()
            if value is not False and value is not None
        ),
    )


class _OnePassInput:
    """An ``<input>`` rendered by ``format_html`` with the markup of Django's input template
    (type, name, value, then the attributes): the template and its attrs include cost ~0.3 ms."""

    input_type: str

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        shown = self.format_value(value)  # type: ignore[attr-defined]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            self.input_type,
            name,
            format_html(' value="{}"', shown) if shown is not None else "",
            _attrs_html(self.build_attrs(self.attrs, attrs)),  # type: ignore[attr-defined]
        )


class SearchInput(_OnePassInput, forms.TextInput):
    pass


class OnePassHiddenInput(_OnePassInput, forms.HiddenInput):
    pass


class OnePassTextarea(forms.Textarea):
    """Django's textarea markup (a newline after the opening tag included), without its
    templates: on the practice page, under every comment thread."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            name,
            _attrs_html(self.build_attrs(self.attrs, attrs)),
            self.format_value(value) or "",
        )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        widget=OnePassTextarea(attrs={"rows": 3}),
        help_text=_("Mention someone with @Name."),
    )
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    review_by = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=None,
        widget=forms.Select,
        help_text=_("The author who keeps it up to date and is reminded when a review is due."),
    )

    def __init__(self, *args: Any, practice: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if practice is not None:
            # Ownership passes between the practice's authors.
            self.fields["owner"].queryset = practice.authors.order_by("display_name")  # type: ignore[attr-defined]


class SupersedeForm(forms.Form):
    successor = forms.IntegerField(
        label=_("Number of the newer practice"),
        min_value=1,
        help_text=_("The number at the end of its address, e.g. 123 in /practices/123/."),
    )


_rendered_options: dict[tuple[int, frozenset[str]], tuple[Any, SafeString]] = {}


class FilterSelect(forms.Select):
    """A filter ``<select>`` rendered in one pass: through Django's per-option widget templates,
    the site, topic and country lists (hundreds of options) cost ~2 ms on every search page."""

    shared_choices: list[tuple[str, str]] | None = None

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = set(self.format_value(value))
        # The long lists are the shared ``filter_choices()`` lists (``shared_choices``, set by
        # the form; ``choices`` is a copy per form): their options are rendered once per list and
        # selection. The entry holds the list, so its id cannot be reused by another.
        shared = self.shared_choices
        key = (id(shared), frozenset(chosen))
        cached = _rendered_options.get(key) if shared is not None else None
        if cached is not None and cached[0] is shared:
            options = cached[1]
        else:
            options = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (option, " selected" if str(option) in chosen else "", label)
                    for option, label in (shared if shared is not None else self.choices)
                ),
            )
            if shared is not None:
                if len(_rendered_options) > 2000:
                    _rendered_options.clear()  # lists rebuilt since leave entries no one reads
                _rendered_options[key] = (shared, options)
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )


# The language and status lists as shared, translated lists (one per language), so that their
# options are rendered once like the site, topic and country lists (``FilterSelect``).
_FIXED_CHOICES: dict[str, dict[str, list[tuple[str, str]]]] = {}
_LANGUAGE_CHOICES = [("", _("Any language")), *LANGUAGE_CHOICES]
_STATUS_CHOICES = [("", _("Current")), *PracticeStatus.choices]


def _fixed_choices() -> dict[str, list[tuple[str, str]]]:
    language = get_language() or ""
    if language not in _FIXED_CHOICES:
        _FIXED_CHOICES[language] = {
            name: [(str(value), str(label)) for value, label in choices]
            for name, choices in (("language", _LANGUAGE_CHOICES), ("status", _STATUS_CHOICES))
        }
    return _FIXED_CHOICES[language]


class SearchForm(forms.Form):
    """The practice filters; choices come from ``filter_choices()`` (no query per form)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, widget=SearchInput)
    topic = forms.ChoiceField(label=_("Topic"), required=False, widget=FilterSelect)
    site = forms.ChoiceField(label=_("Site"), required=False, widget=FilterSelect)
    country = forms.ChoiceField(label=_("Country"), required=False, widget=FilterSelect)
    # Their choices are set per form, like the lists above (a form copies its fields' choices).
    language = forms.ChoiceField(label=_("Language"), required=False, widget=FilterSelect)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=FilterSelect)
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.all(),
        required=False,
        to_field_name="slug",
        widget=OnePassHiddenInput,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (filter_choices() | _fixed_choices()).items():
            field = self.fields[name]
            # Assigned to the field and its widget directly: both choices setters normalise the
            # list again, walking hundreds of topics (~0.4 ms a form); these are already pairs.
            field._choices = field.widget._choices = choices  # type: ignore[attr-defined]
            field.widget.shared_choices = choices  # type: ignore[attr-defined]

    def clean_topic(self) -> Topic | None:
        value = self.cleaned_data.get("topic")
        return Topic.objects.filter(pk=value).first() if value else None

    def clean_site(self) -> Site | None:
        value = self.cleaned_data.get("site")
        return Site.objects.filter(code=value).first() if value else None
