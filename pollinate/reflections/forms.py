from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pollinate.people.models import Topic
from pollinate.reflections.models import Reflection


class ReflectionForm(forms.ModelForm):
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"), queryset=Topic.objects.filter(merged_into=None), required=False
    )

    class Meta:
        model = Reflection
        fields = [
            "kind",
            "title",
            "planned",
            "happened",
            "why",
            "differently",
            "lesson",
            "topics",
            "visibility",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "visibility": forms.RadioSelect,
            "planned": forms.Textarea(attrs={"rows": 3}),
            "happened": forms.Textarea(attrs={"rows": 3}),
            "why": forms.Textarea(attrs={"rows": 3}),
            "differently": forms.Textarea(attrs={"rows": 3}),
            "lesson": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "visibility": _(
                "Only me: nobody else ever sees it. My team: people of your team here."
            ),
        }
