"""RSS and Atom feeds per collection and per topic (Django's syndication framework).

Feed readers do not carry a session, so each member gets private feed addresses with a signed key
(``?key=``) naming them; the same access rules apply as on the pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pollinate.core.markdown import plain_text
from pollinate.curation.access import access_collection
from pollinate.curation.models import Collection, Episode
from pollinate.people.access import access_topic
from pollinate.people.models import Person, Topic

FEED_SALT = "pollinate.curation.feed"


def feed_key(person: Person) -> str:
    return signing.dumps(person.pk, salt=FEED_SALT)


def _reader(request: HttpRequest) -> Person | None:
    person = getattr(request, "person", None)
    if person is not None:
        return person
    key = request.GET.get("key", "")
    try:
        person_id = signing.loads(key, salt=FEED_SALT)
    except signing.BadSignature:
        return None
    return (
        Person.objects.select_related("user", "site")
        .filter(pk=person_id, user__is_active=True)
        .first()
    )


class CollectionFeed(Feed):
    feed_type: type = Rss201rev2Feed

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Collection:
        return access_collection(request.feed_reader, int(kwargs["collection_id"]))  # type: ignore[attr-defined]

    def title(self, obj: Collection) -> str:
        return obj.title

    def link(self, obj: Collection) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Collection) -> str:
        # Readers render descriptions as HTML: escape the plain-text excerpt.
        return escape(plain_text(obj.introduction, limit=500)) or _("A Pollinate collection")

    def items(self, obj: Collection) -> list[Episode]:
        return list(
            obj.episodes.filter(publish_at__lte=timezone.now())
            .select_related("collection")
            .prefetch_related("items")
            .order_by("-publish_at")[:50]
        )

    def item_title(self, item: Episode) -> str:
        return f"{item.number}. {item.title}"

    def item_description(self, item: Episode) -> str:
        return escape(plain_text(item.introduction, limit=1000))

    def item_link(self, item: Episode) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Episode) -> Any:
        return item.publish_at

    def item_guid(self, item: Episode) -> str:
        return f"pollinate-episode-{item.pk}"

    item_guid_is_permalink = False


class CollectionAtomFeed(CollectionFeed):
    feed_type = Atom1Feed
    subtitle = CollectionFeed.description


class TopicFeed(CollectionFeed):
    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Topic:  # type: ignore[override]
        return access_topic(request.feed_reader, int(kwargs["topic_id"]))  # type: ignore[attr-defined]

    def title(self, obj: Topic) -> str:  # type: ignore[override]
        return _("Collections about %(topic)s") % {"topic": obj.display_name}

    def link(self, obj: Topic) -> str:  # type: ignore[override]
        return reverse("curation:list") + f"?topic={obj.pk}"

    def description(self, obj: Topic) -> str:  # type: ignore[override]
        topic = escape(obj.display_name)
        return _("New episodes of collections about %(topic)s") % {"topic": topic}

    def items(self, obj: Topic) -> list[Episode]:  # type: ignore[override]
        now = timezone.now()
        return list(
            Episode.objects.filter(
                collection__topics=obj, publish_at__lte=now, collection__publish_at__lte=now
            )
            .select_related("collection")
            .order_by("-publish_at")[:50]
        )

    def item_title(self, item: Episode) -> str:
        return f"{item.collection.title} · {item.number}. {item.title}"


class TopicAtomFeed(TopicFeed):
    feed_type = Atom1Feed
    subtitle = TopicFeed.description


def _serve(feed: Feed) -> Any:
    @require_GET
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        reader = _reader(request)
        if reader is None:
            raise Http404  # no session and no valid key: do not reveal the collection exists
        request.feed_reader = reader  # type: ignore[attr-defined]
        response: HttpResponse = feed(request, **kwargs)
        response["Cache-Control"] = "private, max-age=300"
        return response

    return view


collection_rss = _serve(CollectionFeed())
collection_atom = _serve(CollectionAtomFeed())
topic_rss = _serve(TopicFeed())
topic_atom = _serve(TopicAtomFeed())
