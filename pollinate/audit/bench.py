"""The audit page and CSV export against a large log, in CPU and wall time.

Run it against a scratch database only (it adds records that nothing can delete but
``audit_prune``):

    export DATABASE_URL=sqlite:////tmp/audit-bench.sqlite3 POLLINATE_DEV_SECRET=1 DEBUG=1
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python manage.py shell -c "from pollinate.audit.bench import main; main()"
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pollinate.audit.models import AuditAction, AuditRecord
from pollinate.people.models import Person, RoleName, Site
from pollinate.people.services import person_create, role_grant


def _measure(label: str, step: Callable[[], str]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        outcome = step()
    print(
        f"{label}: wall {time.perf_counter() - wall:.3f} s, cpu {time.process_time() - cpu:.3f} s,"
        f" {len(queries)} queries, {outcome}"
    )


def main(records: int = 100_000) -> None:
    site, _created = Site.objects.get_or_create(
        code="bench",
        defaults={"name": "Bench", "country": "FR", "time_zone": "UTC", "languages": ["en"]},
    )
    admin = Person.objects.filter(user__email="admin@bench.example").first() or person_create(
        email="admin@bench.example", password=None, display_name="Admin", site=site
    )
    role_grant(actor=admin, person=admin, role=RoleName.ADMINISTRATOR, site=None)
    missing = records - AuditRecord.objects.count()
    actions = [value for value, _label in AuditAction.choices]
    AuditRecord.objects.bulk_create(
        (
            AuditRecord(
                action=actions[i % len(actions)],
                actor_label=f"Person {i} <p{i}@example.com>",
                site=site,
                ip_address=f"203.0.113.{i % 250}",
                target_label="=cmd()" if i % 7 == 0 else f"target {i}",
                details={"i": i},
            )
            for i in range(max(0, missing))
        ),
        batch_size=5000,
    )
    client = Client()
    client.force_login(admin.user, backend="pollinate.people.backends.MemberBackend")
    client.get("/audit/")  # warm caches and the session

    def page(query: str) -> Callable[[], str]:
        return lambda: f"HTTP {client.get('/audit/' + query).status_code}"

    def export() -> str:
        response: Any = client.get("/audit/export.csv")
        return f"{len(list(response.streaming_content))} lines"

    print(f"{AuditRecord.objects.count()} records")
    _measure("page 1", page(""))
    _measure("page 1000", page("?page=1000"))
    _measure("action + actor filter", page("?action=signout&actor=person+1"))
    _measure("CSV export, everything", export)
