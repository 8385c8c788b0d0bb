from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "pollinate.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from pollinate.activity.spine import spine_subscribe
        from pollinate.notifications.services import notification_spine_subscriber

        # Every verb: rules.py decides which ones notify anybody.
        spine_subscribe("", notification_spine_subscriber)
