from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CurationConfig(AppConfig):
    name = "pollinate.curation"
    label = "curation"
    verbose_name = _("Collections")

    def ready(self) -> None:
        from pollinate.activity.verbs import verb_register

        for verb, phrase in (
            ("collection.created", _("started a collection")),
            ("collection.published", _("published a collection")),
            ("collection.episode_published", _("published a new episode")),
            ("collection.item_added", _("added an item to a collection")),
            ("collection.followed", _("followed a collection")),
        ):
            verb_register(verb, phrase)
