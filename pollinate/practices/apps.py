from __future__ import annotations

from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "pollinate.practices"
    label = "practices"
