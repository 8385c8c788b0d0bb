"""Production server configuration for pages and the JSON API (synchronous workers)."""

from __future__ import annotations

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", str(max(2, (os.cpu_count() or 1)))))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
accesslog = os.environ.get("ACCESS_LOG", None)
errorlog = "-"
preload_app = True
