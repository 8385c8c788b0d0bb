"""Demo reflections for ``generate_org``: after-action reviews and lessons, in people's languages.

Visibility is mixed the way teams use it: most reflections stay private or within the team, a
quarter are shared with the site and a few with everyone. The spine rows follow the service's
rule (private and team reflections are recorded ``is_public=False`` with no title), and every
reflection is indexed for search; the search selector filters by visibility, not the index.
"""

from __future__ import annotations

import random
from typing import Any

from pollinate.activity.models import Activity
from pollinate.core.search import search_index_many
from pollinate.reflections.models import Reflection, ReflectionKind, Visibility
from pollinate.reflections.search import REFLECTION

BATCH = 2000

# (title, planned, happened, why, differently) per language; {topic} and {n} are filled in.
REVIEWS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "en": [
        ("{topic} changeover ran late", "Changeover in 20 minutes.", "It took {n} minutes.",
         "A fixture was at the other line and nobody checked before the stop.",
         "Kit the fixtures on a trolley the shift before."),
        ("Scrap spike on {topic}", "Normal scrap, under 1 %.", "{n} parts scrapped on nights.",
         "The new batch of material was harder; settings were not adjusted.",
         "Material change goes on the handover sheet with the settings to check."),
    ],
    "fr": [
        ("Changement de série {topic} en retard", "Changement en 20 minutes.",
         "Il a pris {n} minutes.", "Un outillage était resté sur l'autre ligne.",
         "Préparer les outillages sur un chariot au poste précédent."),
    ],
    "de": [
        ("Ausschuss an {topic}", "Ausschuss unter 1 %.", "{n} Teile Ausschuss in der Nacht.",
         "Neue Materialcharge, Einstellungen nicht angepasst.",
         "Materialwechsel kommt auf das Übergabeblatt."),
    ],
    "es": [
        ("Parada larga en {topic}", "Parada de 15 minutos.", "Duró {n} minutos.",
         "Faltaba un repuesto en el almacén.",
         "Stock mínimo de repuestos críticos junto a la línea."),
    ],
    "pt": [
        ("Atraso na mudança de {topic}", "Mudança em 20 minutos.", "Demorou {n} minutos.",
         "Ferramenta em falta.", "Preparar as ferramentas antes da paragem."),
    ],
}  # fmt: skip
LESSONS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("Ask the night shift before changing {topic} settings",
         "They had already tried it; {n} minutes of talk saved a day of trials."),
        ("Photograph the good {topic} setting", "A photo at the machine beats the manual."),
    ],
    "fr": [("Toujours vérifier {topic} après un arrêt long", "Cela nous a évité {n} rebuts.")],
    "de": [("{topic} nach langem Stillstand prüfen", "Das hat uns {n} Ausschussteile erspart.")],
    "ja": [("長時間停止後は{topic}を確認する", "不良を{n}個減らせた。")],
    "zh": [("长时间停机后先检查{topic}", "这样减少了{n}个废品。")],
}  # fmt: skip
VISIBILITY_WEIGHTS = [
    (Visibility.PRIVATE, 40),
    (Visibility.TEAM, 20),
    (Visibility.SITE, 25),
    (Visibility.EVERYONE, 15),
]


def populate(*, org: Any, rng: random.Random) -> None:
    from pollinate.people.models import Person

    count = int(org.scale["reflections"])
    if count <= 0 or not org.person_ids:
        return
    team_of = dict(
        Person.objects.filter(pk__in=list(org.person_ids)).values_list("pk", "team").order_by("pk")
    )
    topics = list(org.leaf_topics or org.topics)
    visibilities = [value for value, _weight in VISIBILITY_WEIGHTS]
    weights = [weight for _value, weight in VISIBILITY_WEIGHTS]
    rows: list[Reflection] = []
    chosen_topics: list[list[Any]] = []
    for _ in range(count):
        author = rng.choice(org.person_ids)
        language = next((lang for lang in org.languages_of(author) if lang in REVIEWS), "en")
        picked = rng.sample(topics, k=min(len(topics), rng.randint(1, 2))) if topics else []
        name = (picked[0].name_translations.get(language) or picked[0].name) if picked else "line"
        fill = {"topic": name, "n": rng.randint(5, 90)}
        created = org.past(rng, days=400)
        visibility = rng.choices(visibilities, weights=weights)[0]
        if visibility == Visibility.TEAM and not team_of.get(author):
            visibility = Visibility.PRIVATE  # nobody to share with
        reflection = Reflection(
            author_id=author,
            site_id=org.person_site[author],
            team=team_of.get(author, ""),
            visibility=visibility,
            created_at=created,
            updated_at=created,
        )
        if rng.random() < 0.6:
            title, planned, happened, why, differently = rng.choice(REVIEWS[language])
            reflection.kind = ReflectionKind.AFTER_ACTION
            reflection.planned = planned.format(**fill)
            reflection.happened = happened.format(**fill)
            reflection.why = why.format(**fill)
            reflection.differently = differently.format(**fill)
        else:
            lesson_language = language if language in LESSONS else "en"
            title, lesson = rng.choice(LESSONS[lesson_language])
            reflection.kind = ReflectionKind.LESSON
            reflection.lesson = lesson.format(**fill)
        reflection.title = title.format(**fill)
        rows.append(reflection)
        chosen_topics.append(picked)
    Reflection.objects.bulk_create(rows, batch_size=BATCH)
    through = Reflection.topics.through
    through.objects.bulk_create(
        [
            through(reflection_id=r.pk, topic_id=t.pk)
            for r, picked in zip(rows, chosen_topics, strict=True)
            for t in picked
        ],
        batch_size=BATCH,
    )
    # As ``reflections.services._record``: shared ones carry a title, the rest say nothing.
    Activity.objects.bulk_create(
        [
            Activity(
                actor_id=r.author_id,
                verb="reflection.written",
                object_type="reflections.reflection",
                object_id=r.pk,
                site_id=r.site_id,
                created_at=r.created_at,
                payload={"visibility": r.visibility, "mentions": []},
                is_public=r.is_shared_publicly,
            )
            for r in rows
        ],
        batch_size=BATCH,
    )
    search_index_many(
        REFLECTION,
        (
            (r.pk, r.title, "\n".join([r.planned, r.happened, r.why, r.differently, r.lesson]))
            for r in rows
        ),
    )
