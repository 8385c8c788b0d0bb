"""Who may see and change collections: one door per resource.

Published collections (and their published episodes) are visible to every member; drafts and
scheduled ones only to editors. Editors change everything; a site lead may add and remove their
own site's edition items in a published collection.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from pollinate.curation.models import Collection, Item
from pollinate.people.models import Person, RoleName


def is_editor(person: Person) -> bool:
    return person.has_role(RoleName.EDITOR) or person.is_administrator


def is_site_lead(person: Person) -> bool:
    return person.has_role(RoleName.SITE_LEAD, person.site)


def access_collection(actor: Person, collection_id: int, *, for_write: bool = False) -> Collection:
    collection = Collection.objects.filter(pk=collection_id).first()
    if collection is None or (not collection.is_published and not is_editor(actor)):
        raise Http404
    if for_write and not is_editor(actor):
        raise PermissionDenied
    return collection


def access_collection_edition(actor: Person, collection_id: int) -> Collection:
    """A collection the actor may add local items to: editors, or a site lead for their site."""
    collection = access_collection(actor, collection_id)
    if not (is_editor(actor) or is_site_lead(actor)):
        raise PermissionDenied
    return collection


def access_item(actor: Person, item_id: int, *, for_write: bool = False) -> Item:
    item = Item.objects.select_related("episode__collection").filter(pk=item_id).first()
    if item is None:
        raise Http404
    access_collection(actor, item.episode.collection_id)
    other_edition = item.edition_site_id is not None and item.edition_site_id != actor.site_id
    if other_edition and not is_editor(actor):
        raise Http404
    if for_write and not (
        is_editor(actor) or (item.edition_site_id == actor.site_id and is_site_lead(actor))
    ):
        raise PermissionDenied
    return item
