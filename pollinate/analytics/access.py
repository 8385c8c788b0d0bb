"""Who may see which dashboard.

- Every member sees the organisation-level aggregates and their own figures.
- A site lead sees their site's dashboard; an organisation-wide site lead, an administrator or
  L&D (administrators) sees every site's.
- Topic dashboards are organisation-level aggregates over one topic: every member.
A site that does not exist is a 404; one the actor may not look into is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from pollinate.people.access import access_site, access_topic
from pollinate.people.models import Person, RoleName, Site, Topic


def can_see_site_dashboard(actor: Person, site: Site) -> bool:
    return actor.has_role(RoleName.SITE_LEAD, site)


def access_site_dashboard(actor: Person, code: str) -> Site:
    site = access_site(actor, code)
    if not can_see_site_dashboard(actor, site):
        raise PermissionDenied
    return site


def access_topic_dashboard(actor: Person, topic_id: int) -> Topic:
    return access_topic(actor, topic_id)


def sites_visible(actor: Person) -> list[Site]:
    """The sites whose dashboards the actor may open, for the dashboard's site picker."""
    sites = Site.objects.order_by("name")
    if not actor.has_role(RoleName.SITE_LEAD):
        # Not organisation-wide: only the sites they lead (no need to build every site's row).
        led = {site_id for role, site_id in actor.role_set if role == RoleName.SITE_LEAD}
        sites = sites.filter(pk__in=led - {None})
    return list(sites)
