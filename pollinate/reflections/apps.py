from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReflectionsConfig(AppConfig):
    name = "pollinate.reflections"
    label = "reflections"
    verbose_name = _("Reflections")

    def ready(self) -> None:
        from pollinate.activity.verbs import verb_register
        from pollinate.reflections import search

        verb_register("reflection.written", _("wrote a reflection"))
        verb_register("reflection.updated", _("updated a reflection"))
        verb_register("reflection.turned_into_practice", _("turned a lesson into a practice draft"))
        search.register()
