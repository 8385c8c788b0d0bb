from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "pollinate.people"
    label = "people"
    verbose_name = _("People, sites and topics")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from pollinate.people.forms import filter_choices_clear
        from pollinate.people.models import Site, Topic
        from pollinate.people.selectors import taxonomy_clear

        for model in (Site, Topic):
            for signal in (post_save, post_delete):
                uid = f"people-filter-choices-{model.__name__}"
                signal.connect(filter_choices_clear, sender=model, dispatch_uid=uid)
        for signal in (post_save, post_delete):
            signal.connect(taxonomy_clear, sender=Topic, dispatch_uid="people-taxonomy")
