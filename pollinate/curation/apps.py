from __future__ import annotations

from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "pollinate.curation"
    label = "curation"
