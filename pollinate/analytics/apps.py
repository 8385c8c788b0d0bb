from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "pollinate.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from pollinate.activity.spine import spine_subscribe
        from pollinate.analytics import rollups, xapi

        for prefix in rollups.PREFIXES:
            spine_subscribe(prefix, rollups.rollup_on_activity)
            spine_subscribe(prefix, xapi.xapi_on_activity)
