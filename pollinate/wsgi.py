"""WSGI entry point: pages and the JSON API run on synchronous workers (gunicorn)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from pollinate.env import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollinate.settings")
application = get_wsgi_application()
require_secret_key()
