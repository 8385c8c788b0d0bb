"""A digest run in its own process, to be killed for real by the crash test.

``python -m pollinate.digests.tests.killable setup N START`` makes N members following a collection
with an episode in the week starting at ``START`` (ISO); ``... run K START`` runs the weekly job for
that week and SIGKILLs itself after K accepted messages (0: never). Settings come from the
environment (POLLINATE_VAR_DIR, EMAIL_*).

The week is the caller's, fixed once: each process working out "last week" for itself would
disagree with the others when the test runs across Monday midnight.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime, timedelta


def main() -> None:
    import django

    django.setup()
    from pollinate.curation.models import Collection, CollectionFollow, Episode
    from pollinate.digests.services import digest_run
    from pollinate.people.models import Person, Site, User

    command, number, period_start = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if command == "setup":
        when = datetime.fromisoformat(period_start) + timedelta(days=1)
        site = Site.objects.create(name="Lyon", code="lyon", country="FR", time_zone="UTC")
        collection = Collection.objects.create(title="Changeover", publish_at=when)
        Episode.objects.create(collection=collection, number=1, title="Part 1", publish_at=when)
        for i in range(number):
            user = User.objects.create_user(email=f"m{i}@kill.example", password=None)
            person = Person.objects.create(
                user=user, display_name=f"M{i}", site=site, time_zone="UTC"
            )
            CollectionFollow.objects.create(person=person, collection=collection)
        return

    def kill(sent: int) -> None:
        if number and sent >= number:
            os.kill(os.getpid(), signal.SIGKILL)

    digest_run(period_start=period_start, chunk_size=10, after_send=kill)


if __name__ == "__main__":
    main()
