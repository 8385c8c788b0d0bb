from __future__ import annotations

from typing import Any

from django import forms

from pollinate.notifications.models import Delivery, NotificationKind


class PreferencesForm(forms.Form):
    """One choice per kind of notification: no email, immediately, or in the digest."""

    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=Delivery.choices, initial=current.get(kind)
            )
