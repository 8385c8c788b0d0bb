"""ASGI entry point: only the realtime part (live chat websockets) is served here."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollinate.settings")
application = get_asgi_application()
