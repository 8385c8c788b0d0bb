from __future__ import annotations

import factory

from pollinate.people.tests.factories import PersonFactory
from pollinate.questions.models import Answer, Question


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    author = factory.SubFactory(PersonFactory)
    site = factory.LazyAttribute(lambda question: question.author.site)
    title = factory.Sequence(lambda n: f"How do we stop burr on line {n}?")
    body = "We tried **slower feed**."
    language = "en"


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    question = factory.SubFactory(QuestionFactory)
    author = factory.SubFactory(PersonFactory)
    body = "Change the blade every shift."
