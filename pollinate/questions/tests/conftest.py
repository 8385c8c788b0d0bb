from __future__ import annotations

import pytest
from django.core.cache import cache

from pollinate.people.models import Topic
from pollinate.people.tests.factories import SkillFactory, TopicFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits(db: None) -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_markdown_memo() -> None:
    """Rendered Markdown is memoised by its text: tests that count renderings start without it."""
    from pollinate.questions.templatetags.questions_tags import _rendered

    _rendered.cache_clear()


@pytest.fixture
def welding(db: None) -> Topic:
    return TopicFactory(name="Welding")


@pytest.fixture
def charlie_welds(charlie, welding):  # type: ignore[no-untyped-def]
    return SkillFactory(person=charlie, topic=welding, level=4)
