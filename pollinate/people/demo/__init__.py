"""A deterministic synthetic organisation: sites, people, topics, skills and roles.

``org_generate`` builds it (the ``generate_org`` management command is a thin wrapper), then calls
``populate(org=..., rng=...)`` from every installed app that has a ``demo`` module with a
``populate`` function, in ``INSTALLED_APPS`` order, inside the same transaction.

The interface an app's ``demo.py`` writes against (keep it stable)::

    from pollinate.people.demo import GeneratedOrg

    def populate(*, org: GeneratedOrg, rng: random.Random) -> None:
        n = org.scale["practices"]
        for _ in range(n):
            site = rng.choice(org.sites)
            author_id = rng.choice(org.people_at(site.pk))
            when = org.past(rng, days=365)
        ...  # bulk_create in batches; record Activity rows with bulk_create, not one by one

``GeneratedOrg`` fields:

- ``seed``: the ``--seed``; ``demo``: ``--demo`` was given (demo sign-ins exist).
- ``now``: the moment the generated history ends (aware, UTC); generate dates before it with
  ``past``. Fixed by ``--today``, so the same seed and day give the same rows.
- ``sites``: list[Site], creation order; ``central_sites``: the headquarters among them.
- ``person_ids``: list[int], creation order; ``person_site``: person id → site id.
- ``topics``: list[Topic] (every node of the taxonomy, parents before children);
  ``leaf_topics``: the topics people hold skills in.
- ``experts``: topic id → ids of people with level 3 or 4 in it (answerers, coaches, invitees).
- ``coach_ids``, ``editor_ids``, ``moderator_ids``: people holding those organisation-wide roles;
  ``site_lead_ids``: site id → ids of that site's leads; ``administrator_id``.
- ``demo_member_id`` / ``demo_admin_id``: the demo sign-ins with ``--demo``, else ``None``.
- ``scale``: target counts for other apps (``practices``, ``adoptions``, ``questions``,
  ``answers``, ``reflections``, ``coaching_requests``, ``coaching_sessions``, ``chats``,
  ``collections``, ``comments``, ``interactions``, ``activities``: the spine's size to reach, 0
  by default); defaults are proportions of the member count, overridden with
  ``--scale-<name> N`` or ``--scale name=N``. Unknown names read 0.
- ``people_at(site_id)``, ``rng_for(label)`` (a ``random.Random`` derived from the seed and a
  label, so each app's data stays the same whatever other apps do), ``past(rng, days=...)``,
  ``languages_of(person_id)``.

The ``rng`` passed to ``populate`` is ``org.rng_for(app_config.label)``.
"""

from __future__ import annotations

import hashlib
import importlib
import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify
from faker import Faker

from pollinate.activity.models import Activity
from pollinate.people.demo.catalogue import (
    AREA_TOPICS,
    BIOS,
    CENTRAL_KINDS,
    COUNTRIES,
    JOBS,
    REGIONS,
    SHIFT_AREAS,
    SHIFTS,
    SITE_KIND_WEIGHTS,
    SITE_KINDS,
    SUPERVISOR_TITLE,
    TAXONOMY,
    Country,
    Tree,
)
from pollinate.people.management.commands.prepare_instance import (
    DEMO_ADMIN,
    DEMO_MEMBER,
    DEMO_PASSWORD,
)
from pollinate.people.models import Person, Role, RoleName, Site, Skill, Topic, User

BATCH = 2000

EMAIL_DOMAIN = "pollinate.example"


# Target counts for other apps, as a fraction of the member count (with a floor).
SCALE_DEFAULTS: dict[str, tuple[float, int]] = {
    "practices": (0.2, 20),
    "adoptions": (0.3, 30),
    "questions": (0.25, 25),
    "answers": (0.6, 50),
    "reflections": (0.15, 15),
    "coaching_requests": (0.08, 10),
    "coaching_sessions": (0.1, 10),
    "chats": (0.002, 3),
    "collections": (0.003, 4),
    "comments": (0.5, 40),
    "interactions": (2.0, 200),
    # The spine's size to reach; by default only what the apps' demo data writes (about ten rows
    # per member). The benchmark's L scale asks for 10M (practices/demo.py tops it up).
    "activities": (0.0, 0),
}


def scale_defaults(members: int) -> dict[str, int]:
    """Target counts for other apps' demo data, proportional to the organisation's size."""
    return {
        name: max(floor, int(members * share)) for name, (share, floor) in SCALE_DEFAULTS.items()
    }


# --- The interface passed to every app's populate() -------------------------------------------


def derived_seed(seed: int, label: str) -> int:
    """A stable seed for ``label`` (Python's ``hash()`` of a str changes between runs)."""
    digest = hashlib.sha256(f"{seed}:{label}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass
class GeneratedOrg:
    """The generated organisation, as every app's ``demo.populate`` sees it."""

    seed: int
    now: datetime
    sites: list[Site]
    person_ids: list[int]
    topics: list[Topic]
    scale: dict[str, int]
    demo: bool = False
    person_site: dict[int, int] = field(default_factory=dict)
    person_languages: dict[int, list[str]] = field(default_factory=dict)
    leaf_topics: list[Topic] = field(default_factory=list)
    experts: dict[int, list[int]] = field(default_factory=dict)
    coach_ids: list[int] = field(default_factory=list)
    editor_ids: list[int] = field(default_factory=list)
    moderator_ids: list[int] = field(default_factory=list)
    site_lead_ids: dict[int, list[int]] = field(default_factory=dict)
    administrator_id: int | None = None
    demo_member_id: int | None = None
    demo_admin_id: int | None = None
    _by_site: dict[int, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.scale = defaultdict(int, self.scale)
        by_site: dict[int, list[int]] = defaultdict(list)
        for person_id in self.person_ids:
            by_site[self.person_site.get(person_id, 0)].append(person_id)
        self._by_site = dict(by_site)

    @property
    def central_sites(self) -> list[Site]:
        return [site for site in self.sites if site.is_central]

    def people_at(self, site_id: int) -> list[int]:
        """Ids of the people at a site, in creation order."""
        return self._by_site.get(site_id, [])

    def languages_of(self, person_id: int) -> list[str]:
        return self.person_languages.get(person_id, ["en"])

    def rng_for(self, label: str) -> random.Random:
        """A generator that depends only on the seed and ``label``."""
        return random.Random(derived_seed(self.seed, label))

    def past(
        self, rng: random.Random, *, days: int = 365, after: datetime | None = None
    ) -> datetime:
        """A moment in the ``days`` before ``now`` (and after ``after``, when given)."""
        start = self.now - timedelta(days=days)
        if after is not None and after > start:
            start = after
        span = max(0, int((self.now - start).total_seconds()))
        return start + timedelta(seconds=rng.randint(0, span))


# --- Generation -------------------------------------------------------------------------------


@dataclass
class _PersonSpec:
    index: int
    site_index: int
    first: str
    last: str
    display_name: str
    job_title: str
    area: str
    team: str
    tier: int  # 0 organisation head, 1 site lead, 2 supervisor, 3 everyone else
    manager: int | None
    languages: list[str]
    joined: datetime
    bio: str
    email: str = ""
    skills: list[tuple[str, int]] = field(default_factory=list)
    pk: int = 0  # set once the row exists


def _ascii(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return slugify(normalized).replace("-", "")


def _batched(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class OrgExistsError(Exception):
    """The database already holds sites; generating would mix two organisations."""


def org_generate(
    *,
    sites: int,
    members: int,
    seed: int,
    countries: int | None = None,
    demo: bool = False,
    scale: dict[str, int] | None = None,
    today: date | None = None,
    populate: bool = True,
    log: Callable[[str], None] | None = None,
) -> GeneratedOrg:
    """Builds the organisation and runs every app's ``demo.populate``, in one transaction.

    Preconditions: the database holds no sites; ``sites`` ≥ 1; ``members`` ≥ ``sites`` (every
    site gets a lead), plus 2 with ``demo``.
    """
    if sites < 1:
        raise ValueError("At least one site is needed.")
    if members < sites + (2 if demo else 0):
        raise ValueError("Every site needs at least one person (its site lead).")
    if Site.objects.exists():
        raise OrgExistsError("The database already holds an organisation.")
    say = log or (lambda _message: None)
    today = today or datetime.now(UTC).date()
    now = datetime.combine(today, time(17, 0), tzinfo=UTC)
    rng = random.Random(derived_seed(seed, "people"))

    with transaction.atomic():
        site_rows = _sites_build(rng, sites=sites, countries=countries)
        Site.objects.bulk_create(site_rows, batch_size=BATCH)
        say(f"{len(site_rows)} sites in {len({s.country for s in site_rows})} countries")
        topics, leaves = _topics_build()
        say(f"{len(topics)} topics")
        specs = _people_plan(rng, site_rows=site_rows, members=members, seed=seed, now=now)
        _skills_plan(rng, specs=specs, leaves=leaves)
        _people_create(rng, specs=specs, site_rows=site_rows, demo=demo)
        say(f"{len(specs)} people")
        org = GeneratedOrg(
            seed=seed,
            now=now,
            sites=site_rows,
            person_ids=[spec.pk for spec in specs],
            topics=topics,
            scale={**scale_defaults(members), **(scale or {})},
            demo=demo,
            person_site={s.pk: int(site_rows[s.site_index].pk) for s in specs},
            person_languages={s.pk: s.languages for s in specs},
            leaf_topics=leaves,
        )
        _skills_create(specs=specs, leaves=leaves, org=org)
        _roles_create(rng, specs=specs, site_rows=site_rows, org=org, demo=demo)
        _joined_record(specs=specs, site_rows=site_rows)
        if populate:
            populate_apps(org=org, log=say)
    return org


def _sites_build(rng: random.Random, *, sites: int, countries: int | None) -> list[Site]:
    wanted = countries if countries else max(1, min(len(COUNTRIES), round(sites * 0.4)))
    chosen = list(COUNTRIES[: min(wanted, len(COUNTRIES), sites)])
    # Every chosen country gets one site; the rest go to bigger manufacturing countries first.
    per_country = [1] * len(chosen)
    weights = [country.weight for country in chosen]
    for _ in range(sites - len(chosen)):
        per_country[rng.choices(range(len(chosen)), weights=weights)[0]] += 1
    rows: list[Site] = []
    codes: set[str] = set()
    names: set[str] = set()
    for country_index, (country, count) in enumerate(zip(chosen, per_country, strict=True)):
        for n in range(count):
            city, zone = country.cities[n % len(country.cities)]
            central = country_index == 0 and n < len(CENTRAL_KINDS) and (n == 0 or sites >= 6)
            kind = CENTRAL_KINDS[n] if central else rng.choices(SITE_KINDS, SITE_KIND_WEIGHTS)[0]
            name = f"{city} {kind}"
            suffix = 2
            while name in names:
                name, suffix = f"{city} {kind} {suffix}", suffix + 1
            names.add(name)
            base = slugify(city)[:16].strip("-") or country.code.lower()
            code, suffix = base, 2
            while code in codes:
                code, suffix = f"{base}-{suffix}", suffix + 1
            codes.add(code)
            languages = list(country.languages)
            if "en" not in languages:
                languages.append("en")
            rows.append(
                Site(
                    name=name,
                    code=code,
                    country=country.code,
                    time_zone=zone,
                    languages=languages,
                    region=REGIONS.get(country.code, ""),
                    is_central=central,
                )
            )
    return rows


def _topics_build() -> tuple[list[Topic], list[Topic]]:
    topics: list[Topic] = []
    leaves: list[Topic] = []

    def add(kind: str, name: str, french: str, parent: Topic | None, children: Tree) -> None:
        topic = Topic(
            kind=kind,
            name=name,
            name_translations={"fr": french},
            slug=slugify(name)[:140],
            parent=parent,
        )
        topic.save()
        topics.append(topic)
        if parent is not None:
            leaves.append(topic)  # families count too: "Welding" is a skill in itself
        for child_name, child_french, grandchildren in children:
            add(kind, child_name, child_french, topic, grandchildren)

    for kind, name, french, children in TAXONOMY:
        add(kind, name, french, None, children)
    return topics, leaves


def _weighted_jobs() -> tuple[list[tuple[str, str]], list[int]]:
    return [(title, area) for title, area, _w in JOBS], [weight for *_rest, weight in JOBS]


def _people_plan(
    rng: random.Random, *, site_rows: list[Site], members: int, seed: int, now: datetime
) -> list[_PersonSpec]:
    country_of = {country.code: country for country in COUNTRIES}
    fakers: dict[str, Faker] = {}

    def faker_for(country: Country) -> Faker:
        if country.code not in fakers:
            fake = Faker(country.locale)
            fake.seed_instance(derived_seed(seed, f"names:{country.code}"))
            fakers[country.code] = fake
        return fakers[country.code]

    # Sites differ in size: headquarters and big plants have more people.
    sizes = [1] * len(site_rows)
    site_weights = [rng.uniform(0.5, 2.0) * (0.6 if s.is_central else 1.0) for s in site_rows]
    for _ in range(members - len(site_rows)):
        sizes[rng.choices(range(len(site_rows)), weights=site_weights)[0]] += 1

    jobs, job_weights = _weighted_jobs()
    specs: list[_PersonSpec] = []

    def person(site_index: int, title: str, area: str, team: str, tier: int) -> _PersonSpec:
        site = site_rows[site_index]
        country = country_of[site.country]
        fake = faker_for(country)
        # Manufacturing floors skew male; the names follow.
        if rng.random() < 0.62:
            first, last = fake.first_name_male(), fake.last_name_male()
        else:
            first, last = fake.first_name_female(), fake.last_name_female()
        parts = (last, first) if country.family_first else (first, last)
        display = country.joined.join(parts)
        languages = [lang for lang in site.languages if lang != "en"][:1] or ["en"]
        english_odds = {0: 1.0, 1: 0.95, 2: 0.75}.get(tier, 0.4)
        if area in {"Engineering", "Quality", "Support"}:
            english_odds = max(english_odds, 0.85)
        if "en" not in languages and rng.random() < english_odds:
            languages.append("en")
        extra = [lang for lang in site.languages if lang not in languages]
        if extra and rng.random() < 0.3:
            languages.append(extra[0])
        years = rng.choice((1, 2, 3, 5, 8, 12, 20, 25))
        joined = now - timedelta(days=rng.randint(1, 900), seconds=rng.randint(0, 86_399))
        bio = ""
        if rng.random() < 0.3:
            bio = rng.choice(BIOS).format(years=years, area=area.lower(), site=site.name)
        spec = _PersonSpec(
            index=len(specs),
            site_index=site_index,
            first=first,
            last=last,
            display_name=display,
            job_title=title,
            area=area,
            team=team,
            tier=tier,
            manager=None,
            languages=languages,
            joined=joined,
            bio=bio,
        )
        specs.append(spec)
        return spec

    head: _PersonSpec | None = None
    for site_index, (site, size) in enumerate(zip(site_rows, sizes, strict=True)):
        lead_title = "Chief Operating Officer" if site_index == 0 else "Plant Manager"
        if site.is_central and site_index > 0:
            lead_title = "Head of Group Engineering"
        lead = person(
            site_index, lead_title, "Management", "Site leadership", 0 if head is None else 1
        )
        if head is None:
            head = lead
        else:
            lead.manager = head.index
        remaining = size - 1
        supervisors: dict[str, _PersonSpec] = {}
        members_here: list[tuple[str, str]] = [
            rng.choices(jobs, weights=job_weights)[0] for _ in range(remaining)
        ]
        areas = sorted({area for _title, area in members_here})
        # One supervisor per area once a site has enough people to need one.
        for area in areas:
            if remaining > 12 and sum(1 for _t, a in members_here if a == area) >= 4:
                supervisors[area] = person(
                    site_index, SUPERVISOR_TITLE[area], area, f"{area} · leadership", 2
                )
                supervisors[area].manager = lead.index
                remaining -= 1
        for title, area in members_here[:remaining]:
            team = f"{area} · {rng.choice(SHIFTS)}" if area in SHIFT_AREAS else area
            spec = person(site_index, title, area, team, 3)
            boss = supervisors.get(area, lead)
            spec.manager = boss.index
    # E-mail addresses last, so they are unique across the whole organisation.
    taken: dict[str, int] = {}
    for spec in specs:
        local = ".".join(part for part in (_ascii(spec.first), _ascii(spec.last)) if part)
        local = local or f"member{spec.index + 1:06d}"
        count = taken.get(local, 0) + 1
        taken[local] = count
        spec.email = f"{local}{count if count > 1 else ''}@{EMAIL_DOMAIN}".lower()
    return specs


def _skills_plan(rng: random.Random, *, specs: list[_PersonSpec], leaves: list[Topic]) -> None:
    leaf_names = [topic.name for topic in leaves]
    # Most people are aware or practising; experts are rare (a skewed, realistic pyramid).
    level_weights = {
        0: (5, 15, 40, 40),
        1: (5, 15, 40, 40),
        2: (5, 20, 45, 30),
        3: (35, 38, 20, 7),
    }
    for spec in specs:
        own = [name for name in AREA_TOPICS.get(spec.area, ()) if name in leaf_names]
        count = rng.choice((1, 2, 3, 3, 4, 4, 5, 6))
        picked: list[str] = []
        for _ in range(count):
            pool = own if own and rng.random() < 0.75 else leaf_names
            name = rng.choice(pool)
            if name not in picked:
                picked.append(name)
        weights = level_weights[spec.tier]
        spec.skills = [(name, rng.choices((1, 2, 3, 4), weights=weights)[0]) for name in picked]


def _people_create(
    rng: random.Random, *, specs: list[_PersonSpec], site_rows: list[Site], demo: bool
) -> None:
    demo_admin, demo_member = _demo_choice(specs, site_rows) if demo else (None, None)
    for tier in range(4):
        in_tier = [spec for spec in specs if spec.tier == tier]
        users = []
        for spec in in_tier:
            email, password, staff = spec.email, _unusable(rng), False
            if spec is demo_admin:
                email, staff = DEMO_ADMIN, True
            elif spec is demo_member:
                email = DEMO_MEMBER
            if spec is demo_admin or spec is demo_member:
                # The only real hashes: argon2 is deliberately slow, everyone else can't sign in.
                password = make_password(DEMO_PASSWORD, hasher="argon2")
            spec.email = email
            users.append(
                User(
                    email=email,
                    password=password,
                    is_staff=staff,
                    is_superuser=staff,
                    date_joined=spec.joined,
                )
            )
        User.objects.bulk_create(users, batch_size=BATCH)
        people = []
        for spec, user in zip(in_tier, users, strict=True):
            site = site_rows[spec.site_index]
            people.append(
                Person(
                    user_id=user.pk,
                    display_name=spec.display_name,
                    site_id=site.pk,
                    job_title=spec.job_title,
                    team=spec.team,
                    manager_id=specs[spec.manager].pk if spec.manager is not None else None,
                    languages=spec.languages,
                    time_zone=site.time_zone,
                    bio=spec.bio,
                    # The demo sign-ins follow the visitor's browser, whatever their site speaks.
                    interface_language="fr"
                    if spec.languages[0] == "fr" and spec not in (demo_admin, demo_member)
                    else "",
                )
            )
        Person.objects.bulk_create(people, batch_size=BATCH)
        for spec, row in zip(in_tier, people, strict=True):
            spec.pk = int(row.pk)


def _demo_choice(
    specs: list[_PersonSpec], site_rows: list[Site]
) -> tuple[_PersonSpec, _PersonSpec]:
    """The administrator is an L&D manager at headquarters; the member works a shift elsewhere."""
    admin = next(
        (s for s in specs if s.site_index == 0 and s.tier == 3),
        next(s for s in specs if s.tier >= 1),
    )
    admin.job_title, admin.area, admin.team = "Learning and Development Manager", "Support", ""
    admin.skills = [("Peer coaching", 4), ("Training new starters", 3), ("Giving feedback", 3)]
    if "en" not in admin.languages:
        admin.languages = [*admin.languages, "en"]
    member_site = 1 if len(site_rows) > 1 else 0
    # An operator or technician on a shift, reporting to a supervisor: the typical member.
    others = [s for s in specs if s is not admin and s.tier >= 1]
    member = next(
        (
            s
            for s in others
            if s.site_index == member_site and s.tier == 3 and s.area in SHIFT_AREAS
        ),
        next((s for s in others if s.site_index == member_site and s.tier == 3), others[0]),
    )
    # The member has something to show on their profile from the first sign-in.
    known = {name for name, _level in member.skills}
    extra = [(name, 2) for name in ("Problem solving", "5S") if name not in known]
    member.skills = [*member.skills, *extra][: max(3, len(member.skills))]
    if not member.bio:
        site_name = site_rows[member.site_index].name
        member.bio = BIOS[0].format(years=6, area=member.area.lower(), site=site_name)
    return admin, member


def _unusable(rng: random.Random) -> str:
    # Same shape as Django's unusable passwords ("!" + 40 characters), but from the seeded
    # generator so two runs give identical rows; no hashing, which keeps 20,000 people fast.
    return "!" + format(rng.getrandbits(160), "040x")


def _skills_create(*, specs: list[_PersonSpec], leaves: list[Topic], org: GeneratedOrg) -> None:
    by_name = {topic.name: topic for topic in leaves}
    rows = []
    experts: dict[int, list[int]] = defaultdict(list)
    for spec in specs:
        for name, level in spec.skills:
            topic = by_name[name]
            rows.append(Skill(person_id=spec.pk, topic_id=topic.pk, level=level))
            if level >= 3:
                experts[int(topic.pk)].append(spec.pk)
    for batch in _batched(rows):
        Skill.objects.bulk_create(batch)
    org.experts = dict(experts)


def _roles_create(
    rng: random.Random,
    *,
    specs: list[_PersonSpec],
    site_rows: list[Site],
    org: GeneratedOrg,
    demo: bool,
) -> None:
    rows: list[Role] = []
    site_leads: dict[int, list[int]] = defaultdict(list)
    for spec in specs:
        if spec.tier <= 1:
            site = site_rows[spec.site_index]
            rows.append(Role(person_id=spec.pk, role=RoleName.SITE_LEAD, site_id=site.pk))
            site_leads[int(site.pk)].append(spec.pk)
    # Volunteer coaches come from people who know something well (about 1 in 25).
    able = [s for s in specs if s.tier >= 2 and any(level >= 3 for _n, level in s.skills)]
    coaches = rng.sample(able, k=min(len(able), max(1, len(specs) // 25)))
    coaches.sort(key=lambda s: s.index)
    office = [s for s in specs if s.area in {"Support", "Engineering", "Quality"} and s.tier == 3]
    office = office or [s for s in specs if s.tier == 3] or specs
    count = max(1, min(len(office), len(specs) // 1000 + 1))
    editors = sorted(rng.sample(office, k=count), key=lambda s: s.index)
    moderators = sorted(rng.sample(office, k=count), key=lambda s: s.index)
    admin = next((s for s in specs if s.email == DEMO_ADMIN), None) if demo else None
    if admin is None:
        admin = next((s for s in specs if s.site_index == 0 and s.area == "Support"), specs[0])
    for spec in coaches:
        rows.append(Role(person_id=spec.pk, role=RoleName.COACH, site=None))
    for spec in editors:
        rows.append(Role(person_id=spec.pk, role=RoleName.EDITOR, site=None))
    for spec in moderators:
        rows.append(Role(person_id=spec.pk, role=RoleName.MODERATOR, site=None))
    rows.append(Role(person_id=admin.pk, role=RoleName.ADMINISTRATOR, site=None))
    Role.objects.bulk_create(rows, batch_size=BATCH)
    org.site_lead_ids = dict(site_leads)
    org.coach_ids = [s.pk for s in coaches]
    org.editor_ids = [s.pk for s in editors]
    org.moderator_ids = [s.pk for s in moderators]
    org.administrator_id = admin.pk
    if demo:
        org.demo_admin_id = admin.pk
        org.demo_member_id = next(s.pk for s in specs if s.email == DEMO_MEMBER)


def _joined_record(*, specs: list[_PersonSpec], site_rows: list[Site]) -> None:
    # History for the spine, written in bulk: subscribers (notifications, emails) are not run for
    # generated data, on purpose.
    rows = [
        Activity(
            actor_id=spec.pk,
            verb="person.joined",
            object_type="people.person",
            object_id=spec.pk,
            site_id=site_rows[spec.site_index].pk,
            created_at=spec.joined,
            payload={},
        )
        for spec in specs
    ]
    Activity.objects.bulk_create(rows, batch_size=BATCH)


def populate_apps(*, org: GeneratedOrg, log: Callable[[str], None] | None = None) -> list[str]:
    """Calls ``populate(org=..., rng=...)`` of every installed app's ``demo`` module, in order."""
    called = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.demo"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise  # the demo module exists but imports something missing: a real bug
            continue
        hook = getattr(module, "populate", None)
        if not callable(hook):
            continue
        started = perf_counter()
        hook(org=org, rng=org.rng_for(config.label))
        called.append(config.label)
        if log:
            log(f"demo data: {config.label} ({perf_counter() - started:.1f} s)")
    return called


def org_digest() -> str:
    """A SHA-256 of the generated rows by natural keys (no ids, no clock times) to compare runs."""
    digest = hashlib.sha256()

    def feed(rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")

    feed(
        Site.objects.order_by("code").values_list(
            "code", "name", "country", "time_zone", "languages", "region", "is_central"
        )
    )
    feed(
        Topic.objects.order_by("slug", "kind").values_list(
            "slug", "kind", "name", "name_translations", "parent__slug"
        )
    )
    # Real password hashes carry a random salt: compare only whether a password is usable.
    feed(
        (email, password if password.startswith("!") else "usable", *flags)
        for email, password, *flags in User.objects.order_by("email").values_list(
            "email", "password", "is_staff", "is_superuser", "is_active", "date_joined"
        )
    )
    feed(
        Person.objects.order_by("user__email").values_list(
            "user__email",
            "display_name",
            "site__code",
            "job_title",
            "team",
            "manager__user__email",
            "languages",
            "time_zone",
            "bio",
            "interface_language",
        )
    )
    feed(
        Skill.objects.order_by("person__user__email", "topic__slug").values_list(
            "person__user__email", "topic__slug", "level"
        )
    )
    feed(
        Role.objects.order_by("person__user__email", "role", "site__code").values_list(
            "person__user__email", "role", "site__code"
        )
    )
    feed(
        Activity.objects.order_by("actor__user__email", "verb", "created_at").values_list(
            "actor__user__email", "verb", "object_type", "site__code", "created_at", "payload"
        )
    )
    return digest.hexdigest()
