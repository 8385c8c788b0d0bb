from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pollinate.digests.models import DigestKind, Frequency


class PreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Send me a digest"), choices=Frequency.choices, widget=forms.RadioSelect
    )
    kinds = forms.MultipleChoiceField(
        label=_("Sections I want"),
        choices=DigestKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def muted_kinds(self) -> list[str]:
        wanted = set(self.cleaned_data["kinds"])
        return [kind for kind in DigestKind.values if kind not in wanted]
