"""What reflections put in the shared full-text index (``pollinate.core.search``).

Every reflection is indexed, private ones included (so authors find their own), but the index only
ever yields candidate ids: ``reflections.selectors.reflection_list`` intersects them with
``Reflection.objects.visible_to(person)``, the one reading rule, so a private or team reflection
never appears in anyone else's results. Nothing else may call ``search_ids(REFLECTION, ...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pollinate.core.search import search_index, search_register, search_remove

if TYPE_CHECKING:
    from pollinate.reflections.models import Reflection

REFLECTION = "reflection"


def _document(reflection: Reflection) -> tuple[int, str, str]:
    body = "\n".join(
        [
            reflection.planned,
            reflection.happened,
            reflection.why,
            reflection.differently,
            reflection.lesson,
        ]
    )
    return reflection.pk, reflection.title, body


def reflection_reindex(reflection: Reflection) -> None:
    object_id, title, body = _document(reflection)
    search_index(REFLECTION, object_id, title=title, body=body)


def reflection_unindex(reflection_id: int) -> None:
    search_remove(REFLECTION, reflection_id)


def _reflection_documents() -> Iterator[tuple[int, str, str]]:
    from pollinate.reflections.models import Reflection

    for reflection in Reflection.objects.order_by("pk").iterator(chunk_size=1000):
        yield _document(reflection)


def register() -> None:
    search_register(REFLECTION, documents=_reflection_documents)
