from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Router

from pollinate.digests.models import DigestKind
from pollinate.digests.schemas import DigestOut, PreferenceIn, PreferenceOut
from pollinate.digests.services import (
    digest_next_at,
    digest_preview,
    preference_get,
    preference_update,
)
from pollinate.people.access import api_member
from pollinate.people.schemas import ErrorOut

router = Router(tags=["digests"])


def _preference_out(frequency: str, muted: list[str]) -> PreferenceOut:
    return PreferenceOut(frequency=frequency, muted_kinds=muted, kinds=list(DigestKind.values))


@router.get("/preferences", response={200: PreferenceOut, 403: ErrorOut})
def preferences_get(request: HttpRequest) -> PreferenceOut:
    pref = preference_get(api_member(request))
    return _preference_out(pref.frequency, list(pref.muted_kinds))


@router.put("/preferences", response={200: PreferenceOut, 403: ErrorOut, 422: ErrorOut})
def preferences_put(request: HttpRequest, payload: PreferenceIn) -> PreferenceOut:
    pref = preference_update(
        actor=api_member(request), frequency=payload.frequency, muted_kinds=payload.muted_kinds
    )
    return _preference_out(pref.frequency, list(pref.muted_kinds))


@router.get("/current", response={200: DigestOut, 403: ErrorOut})
def digest_current(request: HttpRequest) -> DigestOut:
    """The digest being gathered for me in the current period."""
    person = api_member(request)
    digest = digest_preview(person=person)
    return DigestOut(
        frequency=digest.frequency,
        start=digest.start,
        end=digest.end,
        next_at=digest_next_at(person=person),
        time_zone=person.time_zone or "UTC",
        sections=[asdict(section) for section in digest.sections],  # type: ignore[misc]
    )
