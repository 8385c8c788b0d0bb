from __future__ import annotations

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pollinate.core.middleware import database_fault


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Reports whether the database answers a read and accepts a write transaction."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except DatabaseError:
        database = "unavailable"
    if database == "ok":
        try:
            # A write that changes nothing: a read-only database refuses it all the same.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE django_migrations SET app = app WHERE id = -1")
        except DatabaseError as exc:
            database = "read_only" if database_fault(exc) == "read_only" else "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "database": database}, status=status
    )


@require_GET
def ping(request: HttpRequest) -> HttpResponse:
    """The benchmark floor: the cheapest page through the same server and middleware."""
    return HttpResponse("ok", content_type="text/plain")
