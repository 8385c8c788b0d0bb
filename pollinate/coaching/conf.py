"""Coaching configuration, from environment variables (a Django setting of the same name wins)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pollinate.coaching.matching import Weights
from pollinate.env import env_int, env_str


def proposal_hours() -> int:
    """COACHING_PROPOSAL_HOURS: hours a coach has to answer before the next best is asked."""
    value = getattr(settings, "COACHING_PROPOSAL_HOURS", None)
    return int(value) if value is not None else env_int("COACHING_PROPOSAL_HOURS", 72, minimum=1)


def cross_site_bonus() -> float:
    """COACHING_CROSS_SITE_BONUS: points a coach from another site earns (default 1.5)."""
    raw = getattr(settings, "COACHING_CROSS_SITE_BONUS", None)
    text = str(raw) if raw is not None else env_str("COACHING_CROSS_SITE_BONUS", "1.5")
    try:
        value = float(text)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"COACHING_CROSS_SITE_BONUS must be a number, not {text!r}"
        ) from exc
    if value < 0:
        raise ImproperlyConfigured("COACHING_CROSS_SITE_BONUS must not be negative")
    return value


def weights() -> Weights:
    return Weights(cross_site=cross_site_bonus())
