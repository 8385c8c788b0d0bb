"""ASGI entry point of the realtime process: live chat websockets (``/ws/...``).

Plain HTTP is served here too (the same Django application), so a single ASGI server can run the
whole site; `make run` keeps pages on gunicorn and runs this on ``REALTIME_PORT`` (docs/chats.md).
Websockets are authenticated with the normal session cookie and refused unless their Origin is one
of ``ALLOWED_HOSTS`` (cross-site websocket hijacking).
"""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

from pollinate.env import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pollinate.settings")
django_application = get_asgi_application()
require_secret_key()

# Imported after Django is set up: the routes import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from pollinate.chats.consumers import DirectSendMiddleware  # noqa: E402
from pollinate.chats.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            DirectSendMiddleware(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

# What start-up loaded stays out of the collector's walks (see pollinate/gunicorn_conf.py).
gc.freeze()
