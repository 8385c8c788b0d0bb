"""Demo practices for ``generate_org``: multilingual text and a realistic diffusion.

A few practices spread widely and most stay local: each practice gets a heavy-tailed (Pareto)
"appeal"; adopting sites are drawn preferring the same country, then the same region. Adoptions
move through trying → adopted / adapted / dropped; adaptations become linked practices. Comments
and reactions follow the same appeal. Everything is bulk-inserted, then counters, statuses and the
search index are computed in bulk too.
"""

from __future__ import annotations

import random
from collections import defaultdict
from contextlib import nullcontext
from datetime import timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any

from django.db import connection

from pollinate.activity.bulk import SpineWriter, spine_indexes_deferred
from pollinate.activity.models import Activity
from pollinate.core.markdown import render_markdown
from pollinate.core.search import search_index_many, search_rebuild
from pollinate.people.models import Site
from pollinate.practices.models import (
    MARKDOWN_FIELDS,
    Adoption,
    AdoptionStatus,
    Comment,
    Practice,
    PracticeAuthor,
    PracticeRevision,
    PracticeStatus,
    Reaction,
    ReactionKind,
    verified_min_sites,
)
from pollinate.practices.search import PERSON, PRACTICE

BATCH = 2000

# Everything a demo practice says is written in one language: the practice's. Titles name a work
# area in that language ({area}); topics are linked, not pasted into the text, so a French practice
# never carries an English topic name (topic chips are shown in the reader's language).
# Per language, per kind of practice: (title, problem, steps, evidence); {area} and {n} are
# filled in. The same kind in two languages is the same idea, which adaptations rely on.
TEXTS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "en": {
        "shadow": ("Shadow board for the tools of {area}",
         "Tools at {area} went missing every shift.",
         "1. Paint each tool's outline.\n2. Check the board at handover.\n3. Log gaps.",
         "Search time fell from 12 to {n} minutes per shift."),
        "check": ("Five-minute check at {area} before the shift starts",
         "Small faults at {area} grew into stops.",
         "- Walk the line with the checklist\n- Tag anything odd\n- Fix or escalate before start",
         "Unplanned stops down {n}% in three months."),
        "colour": ("Colour-coded settings at {area}",
         "Night shift used the wrong settings at {area}.",
         "Put coloured labels on each setting; **green** is the default.", "Rework down {n}%."),
        "handover": ("One-page handover sheet for {area}",
         "Problems at {area} were lost between shifts.",
         "1. Fill the sheet in the last 10 minutes.\n2. Read it aloud at the next start.",
         "Repeated faults down {n}%."),
    },
    "fr": {
        "shadow": ("Tableau d'ombres pour l'outillage de {area}",
         "Les outils de {area} disparaissaient à chaque poste.",
         "1. Peindre le contour de chaque outil.\n2. Vérifier le tableau à la relève.",
         "Temps de recherche réduit de {n} minutes par poste."),
        "quality": ("Contrôle qualité rapide sur {area}",
         "Des défauts sur {area} passaient inaperçus.",
         "- Contrôle visuel à chaque changement de série\n- Étiquette rouge en cas de doute",
         "Réclamations clients en baisse de {n} %."),
        "handover": ("Fiche de relève d'une page pour {area}",
         "Les incidents de {area} se perdaient entre deux équipes.",
         "1. Remplir la fiche dans les dix dernières minutes.\n2. La lire à voix haute à la "
         "prise de poste.", "Pannes répétées en baisse de {n} %."),
    },
    "de": {
        "shadow": ("Schattenbrett für die Werkzeuge an {area}",
         "Werkzeuge an {area} fehlten ständig.",
         "1. Umrisse aufmalen.\n2. Bei Schichtübergabe prüfen.", "Suchzeit um {n} % gesenkt."),
        "check": ("Fünf-Minuten-Prüfung an {area} vor Schichtbeginn",
         "Kleine Störungen an {area} führten zu Stillstand.",
         "- Checkliste abgehen\n- Auffälligkeiten markieren", "Stillstände {n} % weniger."),
    },
    "es": {
        "shadow": ("Tablero de sombras para las herramientas de {area}",
         "Las herramientas de {area} se perdían en cada turno.",
         "1. Pintar el contorno de cada herramienta.\n2. Revisar en el cambio de turno.",
         "Búsqueda {n} % más corta."),
        "check": ("Control de cinco minutos en {area} al empezar el turno",
         "Pequeños fallos en {area} acababan en paradas.",
         "- Recorrer la línea con la lista\n- Marcar lo raro", "Paradas {n} % menos."),
    },
    "pt": {
        "check": ("Verificação rápida {area} no início do turno",
         "Pequenas falhas {area} viravam paragens.",
         "- Percorrer a linha com a lista\n- Marcar anomalias", "Paragens reduzidas {n}%."),
    },
    "ja": {
        "shadow": ("{area}の工具シャドーボード", "{area}の工具が毎シフト見つからなかった。",
         "1. 工具の輪郭を描く\n2. 引き継ぎ時に確認する", "探す時間が{n}分短縮した。"),
        "check": ("{area}の始業前5分点検", "{area}の小さな不具合が停止につながっていた。",
         "- チェックリストで巡回する\n- 異常に札を付ける", "突発停止が{n}%減った。"),
    },
    "zh": {
        "quality": ("{area}焊接质量检查", "{area}的小缺陷导致停机。",
         "1. 每班开始前检查焊枪\n2. 记录异常", "停机减少了{n}%。"),
        "shadow": ("{area}工具形迹管理板", "{area}的工具每班都找不到。",
         "1. 画出每件工具的轮廓\n2. 交接班时检查", "找工具的时间缩短了{n}分钟。"),
    },
    "pl": {
        "shadow": ("Tablica cieni dla narzędzi na {area}",
         "Narzędzia na {area} ginęły na każdej zmianie.",
         "1. Obrysuj każde narzędzie.\n2. Sprawdzaj przy zmianie.", "Szukanie krótsze o {n}%."),
    },
}  # fmt: skip

# Work areas named the way each language would say them inside the sentences above.
AREAS: dict[str, list[str]] = {
    "en": ["press 4", "the packing line", "the welding cell", "line B", "the paint shop",
           "the goods-in dock", "the CNC lathes", "the assembly cell"],
    "fr": ["la presse 4", "la ligne de conditionnement", "l'îlot de soudure", "la ligne B",
           "l'atelier peinture", "la zone de réception", "l'atelier d'usinage"],
    "de": ["Presse 4", "der Verpackungslinie", "der Schweißzelle", "Linie B", "der Lackiererei",
           "den CNC-Drehmaschinen"],
    "es": ["la prensa 4", "la línea de envasado", "la célula de soldadura", "la línea B",
           "la nave de pintura"],
    "pt": ["na prensa 4", "na linha de embalagem", "na célula de soldadura", "na linha B"],
    "ja": ["プレス4号機", "包装ライン", "溶接セル", "Bライン", "塗装工程"],
    "zh": ["4号冲压机", "包装线", "焊接单元", "B线", "喷涂车间"],
    "pl": ["prasie 4", "linii pakowania", "stanowisku spawalniczym", "linii B"],
}  # fmt: skip

COMMENTS: dict[str, list[str]] = {
    "en": ["How long did it take to set up?", "We tried this on line 3 — works well.",
           "Does it work with gloves on?", "Great idea, simple and cheap."],
    "fr": ["Merci, on va l'essayer la semaine prochaine.",
           "Combien de temps pour le mettre en place ?", "Ça marche aussi avec des gants ?"],
    "de": ["Funktioniert das auch bei Nachtschicht?", "Gute Idee, einfach und günstig."],
    "es": ["¿Cuánto costó el material?", "Lo probamos en la línea 3 y funciona."],
    "pt": ["Quanto tempo levou a implementar?", "Boa ideia, simples e barata."],
    "ja": ["準備にどれくらいかかりましたか？", "うちのラインでも試してみます。"],
    "zh": ["准备用了多长时间？", "我们在三号线试过，效果很好。"],
    "pl": ["Ile trwało wdrożenie?", "Świetny pomysł, prosty i tani."],
}  # fmt: skip
OUTCOMES: dict[str, list[str]] = {
    "en": ["Fewer stops after a month.", "Operators like it; still measuring.",
           "Worked after we changed the labels."],
    "fr": ["Ça marche bien chez nous.", "Moins d'arrêts après un mois."],
    "de": ["Weniger Stillstände nach einem Monat.", "Die Bediener mögen es; wir messen noch."],
    "es": ["Menos paradas después de un mes."], "pt": ["Menos paragens ao fim de um mês."],
    "ja": ["1か月で停止が減った。"], "zh": ["一个月后停机减少了。"],
    "pl": ["Mniej przestojów po miesiącu."],
}  # fmt: skip
DROPPED: dict[str, str] = {
    "en": "Did not fit our layout.", "fr": "Pas adapté à notre implantation.",
    "de": "Passte nicht zu unserem Layout.", "es": "No encajaba con nuestra distribución.",
    "pt": "Não se adaptou ao nosso layout.", "ja": "当工場のレイアウトに合わなかった。",
    "zh": "不适合我们的布局。", "pl": "Nie pasowało do naszego układu.",
}  # fmt: skip
ADAPTED: dict[str, str] = {
    "en": "Adjusted to our line layout.", "fr": "Adapté à l'implantation de notre ligne.",
    "de": "An unser Linienlayout angepasst.", "es": "Ajustado a la distribución de nuestra línea.",
    "pt": "Ajustado ao layout da nossa linha.", "ja": "自ラインのレイアウトに合わせて調整した。",
    "zh": "按我们的产线布局做了调整。", "pl": "Dostosowane do układu naszej linii.",
}  # fmt: skip


@lru_cache(maxsize=2048)
def _html(text: str) -> str:
    # Demo texts repeat: render each distinct text once (what the services store on save).
    return str(render_markdown(text))


def _render(practice: Practice) -> None:
    for field in MARKDOWN_FIELDS:
        setattr(practice, f"{field}_html", _html(getattr(practice, field)))


def _language(org: Any, person_id: int) -> str:
    """The first of a person's languages that the demo texts are written in (else English)."""
    return next((lang for lang in org.languages_of(person_id) if lang in TEXTS), "en")


def _pick_sites(
    rng: random.Random, origin: Site, sites: list[Site], by_country: dict[str, list[Site]], k: int
) -> list[Site]:
    """Adopting sites: same country first, then the same region, then anywhere (homophily)."""
    chosen: dict[int, Site] = {}
    pools = [
        by_country.get(origin.country, []),
        [s for s in sites if s.region and s.region == origin.region],
        sites,
    ]
    attempts = 0
    while len(chosen) < k and attempts < k * 6:
        attempts += 1
        roll = rng.random()
        pool = pools[0] if roll < 0.4 else pools[1] if roll < 0.6 else pools[2]
        if not pool:
            pool = sites
        site = rng.choice(pool)
        if site.pk != origin.pk:
            chosen[site.pk] = site
    return list(chosen.values())


def _spine_history(
    org: Any, rng: random.Random, *, live: list[Practice], cumulative: list[float]
) -> None:
    """Tops the spine up to ``org.scale["activities"]`` with reactions given over the years.

    A real spine logs every reaction ever given, most of them since withdrawn (the ones still held
    are the ``Reaction`` rows above), on real practices by real people, which is what activity
    pages and the spine's indexes meet. Only a large organisation asks for more rows than the
    demo writes by itself (the benchmark's L scale: 10M); the rest of the apps' demo data comes on
    top. A load of more than 100 000 rows defers the spine's indexes (``activity/bulk.py``).
    """
    missing = int(org.scale["activities"]) - Activity.objects.count()
    if missing <= 0 or not live:
        return
    writer = SpineWriter()
    kinds = (ReactionKind.HELPFUL.value, ReactionKind.LEARNED.value)
    deferred = spine_indexes_deferred() if missing > 100_000 else nullcontext()
    with deferred:
        for start in range(0, missing, 100_000):
            draw = min(100_000, missing - start)
            for practice in rng.choices(live, cum_weights=cumulative, k=draw):
                person = rng.choice(org.person_ids)
                writer.add(
                    "practice.reacted",
                    "practices.practice",
                    practice.pk,
                    person,
                    org.person_site[person],
                    org.past(rng, days=540, after=practice.created_at),
                    {
                        "title": practice.title,
                        "practice_site": practice.site_id,
                        "kind": kinds[rng.random() >= 0.7],
                    },
                )
        writer.flush()


def populate(*, org: Any, rng: random.Random) -> None:
    sites: list[Site] = list(org.sites)
    if len(sites) < 2 or not org.person_ids:
        return
    by_country: dict[str, list[Site]] = defaultdict(list)
    for site in sites:
        by_country[site.country].append(site)
    staffed = [site for site in sites if org.people_at(site.pk)]
    topics = list(getattr(org, "leaf_topics", None) or org.topics)
    count = int(org.scale["practices"])
    adoption_target = int(org.scale["adoptions"])

    practices: list[Practice] = []
    topic_of: list[list[int]] = []
    text_kinds: list[str] = []  # which kind of practice each one is (see TEXTS)
    for _n in range(count):
        site = rng.choice(staffed)
        owner = rng.choice(org.people_at(site.pk))
        language = _language(org, owner)
        text_kind = rng.choice(list(TEXTS[language]))
        title, problem, steps, evidence = TEXTS[language][text_kind]
        chosen_topics = rng.sample(topics, k=min(len(topics), rng.randint(1, 2))) if topics else []
        fill = {"area": rng.choice(AREAS[language]), "n": rng.randint(5, 60)}
        created = org.past(rng, days=540)
        draft = rng.random() < 0.05
        practices.append(
            Practice(
                title=title.format(**fill),
                problem=problem.format(**fill),
                steps=steps.format(**fill),
                evidence=evidence.format(**fill),
                language=language,
                site=site,
                owner_id=owner,
                status=PracticeStatus.DRAFT if draft else PracticeStatus.SHARED,
                created_at=created,
                updated_at=created,
                shared_at=None if draft else created,
                last_activity_at=created,
                review_by=(created + timedelta(days=365)).date() if rng.random() < 0.3 else None,
            )
        )
        topic_of.append([topic.pk for topic in chosen_topics])
        text_kinds.append(text_kind)
    for practice in practices:
        _render(practice)
    Practice.objects.bulk_create(practices, batch_size=BATCH)
    text_of = {p.pk: index for p, index in zip(practices, text_kinds, strict=True)}

    # Heavy-tailed appeal: a few practices travel far, most stay home.
    shared = [p for p in practices if p.status == PracticeStatus.SHARED]
    appeal = {p.pk: rng.paretovariate(1.3) - 1 for p in shared}
    total_appeal = sum(appeal.values()) or 1.0
    adoptions: list[Adoption] = []
    adaptations: list[tuple[Adoption, Practice]] = []
    for practice in shared:
        expected = adoption_target * appeal[practice.pk] / total_appeal
        k = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        if k == 0:
            continue
        for site in _pick_sites(rng, practice.site, staffed, by_country, min(k, len(staffed) - 1)):
            people = org.people_at(site.pk)
            recorder: int = rng.choice(people)
            roll = rng.random()
            status = (
                AdoptionStatus.TRYING
                if roll < 0.15
                else AdoptionStatus.ADOPTED
                if roll < 0.75
                else AdoptionStatus.ADAPTED
                if roll < 0.88
                else AdoptionStatus.DROPPED
            )
            when = org.past(rng, days=365, after=practice.created_at)
            positive = None if status == AdoptionStatus.TRYING else rng.random() < 0.8
            said_in = _language(org, recorder)
            if status == AdoptionStatus.DROPPED:
                positive = False
            adoption = Adoption(
                practice=practice,
                site=site,
                recorded_by_id=recorder,
                status=status,
                outcome=rng.choice(OUTCOMES[said_in]) if status != AdoptionStatus.TRYING else "",
                outcome_positive=positive,
                reason=DROPPED[said_in] if status == AdoptionStatus.DROPPED else "",
                happened_on=when.date(),
                created_at=when,
                updated_at=when,
            )
            adoptions.append(adoption)
            practice.last_activity_at = max(practice.last_activity_at, when)
            if status == AdoptionStatus.ADAPTED:
                # The adopting site writes its version in its own language when that language
                # has this kind of practice (same idea, its own work area): ideas cross
                # languages as they cross sites. Otherwise it keeps the original text.
                texts = TEXTS[said_in].get(text_of[practice.pk])
                written_in = practice.language
                title, problem, steps = practice.title, practice.problem, practice.steps
                if said_in != practice.language and texts is not None:
                    fill = {"area": rng.choice(AREAS[said_in]), "n": rng.randint(5, 60)}
                    title, problem, steps = (part.format(**fill) for part in texts[:3])
                    written_in = said_in
                adaptations.append(
                    (
                        adoption,
                        Practice(
                            title=f"{title} ({site.name})",
                            problem=problem,
                            steps=steps,
                            # The whole version in one language, even its note and results.
                            evidence=adoption.outcome
                            if written_in == said_in
                            else rng.choice(OUTCOMES[written_in]),
                            language=written_in,
                            site=site,
                            owner_id=recorder,
                            status=PracticeStatus.SHARED,
                            adapted_from=practice,
                            adaptation_note=ADAPTED[written_in],
                            created_at=when,
                            updated_at=when,
                            shared_at=when,
                            last_activity_at=when,
                        ),
                    )
                )
    for _adoption, adapted in adaptations:
        _render(adapted)
    Practice.objects.bulk_create([p for _a, p in adaptations], batch_size=BATCH)
    for adoption, adapted in adaptations:
        adoption.adaptation = adapted
    Adoption.objects.bulk_create(adoptions, batch_size=BATCH)
    every = practices + [p for _a, p in adaptations]

    # Authors, topics, first revisions.
    PracticeAuthor.objects.bulk_create(
        [PracticeAuthor(practice=p, person_id=p.owner_id) for p in every], batch_size=BATCH
    )
    through = Practice.topics.through
    topic_rows = [
        through(practice_id=p.pk, topic_id=topic_id)
        for p, ids in zip(practices, topic_of, strict=False)
        for topic_id in ids
    ]
    source_topics = {p.pk: ids for p, ids in zip(practices, topic_of, strict=False)}
    for adoption, adapted in adaptations:
        topic_rows += [
            through(practice_id=adapted.pk, topic_id=t) for t in source_topics[adoption.practice.pk]
        ]
    through.objects.bulk_create(topic_rows, batch_size=BATCH)
    PracticeRevision.objects.bulk_create(
        [
            PracticeRevision(
                practice=p,
                number=1,
                editor_id=p.owner_id,
                created_at=p.created_at,
                data={f: getattr(p, f) for f in ("title", "problem", "steps", "evidence")},
                summary="First version",
            )
            for p in every
        ],
        batch_size=BATCH,
    )

    # Comments and reactions, drawn with the same appeal.
    live = [p for p in every if p.status == PracticeStatus.SHARED]
    weights = [1 + appeal.get(p.pk, 0.5) * 3 for p in live]
    # One draw of k with cumulative weights: drawing one at a time re-sums every weight each time.
    cumulative = list(accumulate(weights))
    comments: list[Comment] = []
    readers_of: dict[str, list[int]] = defaultdict(list)
    for person_id in org.person_ids:
        for lang in org.languages_of(person_id):
            readers_of[lang].append(person_id)
    for practice in rng.choices(live, cum_weights=cumulative, k=int(org.scale["comments"])):
        when = org.past(rng, days=300, after=practice.created_at)
        # Most comments come from people who read the practice's language, and are written in
        # it; the others are in the commenter's own language (as in a multilingual organisation).
        readers = readers_of.get(practice.language)
        if readers and rng.random() < 0.85:
            author, written_in = rng.choice(readers), practice.language
        else:
            author = rng.choice(org.person_ids)
            written_in = _language(org, author)
        body = rng.choice(COMMENTS[written_in])
        comments.append(
            Comment(
                practice=practice,
                author_id=author,
                body=body,
                body_html=_html(body),
                created_at=when,
            )
        )
        practice.comment_count += 1
        practice.last_activity_at = max(practice.last_activity_at, when)
    Comment.objects.bulk_create(comments, batch_size=BATCH)
    seen: set[tuple[int, int, str]] = set()
    reactions: list[Reaction] = []
    for practice in rng.choices(
        live, cum_weights=cumulative, k=int(org.scale["interactions"]) // 2
    ):
        person = rng.choice(org.person_ids)
        kind = ReactionKind.HELPFUL if rng.random() < 0.7 else ReactionKind.LEARNED
        if (practice.pk, person, kind) in seen:
            continue
        seen.add((practice.pk, person, kind))
        reactions.append(
            Reaction(practice=practice, person_id=person, kind=kind, created_at=practice.created_at)
        )
        if kind == ReactionKind.HELPFUL:
            practice.helpful_count += 1
        else:
            practice.learned_count += 1
    Reaction.objects.bulk_create(reactions, batch_size=BATCH)

    # Counters and the verified rule, as the services would have left them.
    positive_sites: dict[int, int] = defaultdict(int)
    taken_up: dict[int, int] = defaultdict(int)
    for adoption in adoptions:
        if adoption.status in (AdoptionStatus.ADOPTED, AdoptionStatus.ADAPTED):
            taken_up[adoption.practice.pk] += 1
            if adoption.outcome_positive:
                positive_sites[adoption.practice.pk] += 1
    threshold = verified_min_sites()
    for practice in every:
        practice.adoption_count = taken_up[practice.pk]
        practice.verified_site_count = positive_sites[practice.pk]
        if practice.status == PracticeStatus.SHARED and practice.verified_site_count >= threshold:
            practice.status = PracticeStatus.VERIFIED
    # One prepared UPDATE per row: Django's bulk_update builds a CASE per field per row, which
    # takes minutes for 200k practices.
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE practices_practice SET adoption_count = %s, verified_site_count = %s,"
            " helpful_count = %s, learned_count = %s, comment_count = %s, status = %s,"
            " last_activity_at = %s WHERE id = %s",
            [
                (
                    p.adoption_count,
                    p.verified_site_count,
                    p.helpful_count,
                    p.learned_count,
                    p.comment_count,
                    p.status,
                    connection.ops.adapt_datetimefield_value(p.last_activity_at),
                    p.pk,
                )
                for p in every
            ],
        )

    # The spine: who shared and who adopted what (feeds, digests and analytics read these).
    activities = [
        Activity(
            actor_id=p.owner_id,
            verb="practice.shared",
            object_type="practices.practice",
            object_id=p.pk,
            site_id=p.site_id,
            created_at=p.created_at,
            payload={"title": p.title, "practice_site": p.site_id, "mentions": []},
        )
        for p in every
        if p.status != PracticeStatus.DRAFT
    ]
    activities += [
        Activity(
            actor_id=a.recorded_by_id,
            verb=f"practice.{a.status}",
            object_type="practices.practice",
            object_id=a.practice.pk,
            site_id=a.site_id,
            created_at=a.created_at,
            payload={"title": a.practice.title, "positive": a.outcome_positive, "mentions": []},
        )
        for a in adoptions
    ]
    Activity.objects.bulk_create(activities, batch_size=BATCH)
    _spine_history(org, rng, live=live, cumulative=cumulative)

    topic_names = {t.pk: t.name for t in topics}
    search_index_many(
        PRACTICE,
        (
            (
                p.pk,
                p.title,
                "\n".join(
                    [p.problem, p.steps, p.evidence]
                    + [topic_names.get(t, "") for t in source_topics.get(p.pk, [])]
                ),
            )
            for p in every
        ),
    )
    # People are bulk-created by the people app without services; index them here once.
    search_rebuild([PERSON])
