"""A digest worker killed with SIGKILL halfway, then restarted: the rest, and no duplicates."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pollinate.core.testing import SmtpInbox
from pollinate.digests.models import Frequency
from pollinate.digests.services import period_bounds

ROOT = Path(__file__).resolve().parents[3]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 -- our interpreter running our own module
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, timeout=300, check=False
    )


@pytest.mark.django_db
def test_a_worker_killed_halfway_is_completed_by_a_restart_without_duplicates(
    smtp: SmtpInbox, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "POLLINATE_VAR_DIR": str(tmp_path),
        "POLLINATE_DEV_SECRET": "1",
        "POLLINATE_TESTING": "0",
        "DJANGO_SETTINGS_MODULE": "pollinate.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "DIGESTS_CLAIM_LEASE_SECONDS": "0",
        "DIGESTS_SMTP_CONNECTIONS": "4",  # the restart may take over the dead run's claims
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    assert _run(env, "manage.py", "migrate", "-v0").returncode == 0
    members = 30
    # One week for every process: the setup and the three runs span seconds, maybe a Monday.
    start, _end = period_bounds(Frequency.WEEKLY)
    period = start.isoformat()
    killable = ("-m", "pollinate.digests.tests.killable")
    assert _run(env, *killable, "setup", str(members), period).returncode == 0

    killed = _run(env, *killable, "run", "12", period)
    assert killed.returncode == -9  # really killed, mid-run
    received_before_restart = len(smtp.messages)
    assert 12 <= received_before_restart < members

    restarted = _run(env, *killable, "run", "0", period)
    assert restarted.returncode == 0, restarted.stderr.decode()[-2000:]
    again = _run(env, *killable, "run", "0", period)
    assert again.returncode == 0

    # Two batches of one message per SMTP connection may be "sending" at the kill (services).
    undecided_at_most = 2 * 4
    smtp.wait_for(members - undecided_at_most)
    recipients = Counter(str(m["To"]) for m in smtp.messages)
    assert max(recipients.values()) == 1  # nobody got two, despite the kill
    # Everyone got theirs, except at most the few handed to the server at the moment of the kill
    # (rows left "sending" for an administrator to decide on) — and those may well have arrived.
    assert len(recipients) >= members - undecided_at_most
