from __future__ import annotations

import zoneinfo
from functools import cached_property, lru_cache
from typing import Any, ClassVar

import pycountry
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pollinate.core.compiled import compiled_rows


def validate_country(value: str) -> None:
    if pycountry.countries.get(alpha_2=value) is None:
        raise ValidationError(
            _("%(value)s is not an ISO 3166-1 country code."), params={"value": value}
        )


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_language_list(value: Any) -> None:
    codes = {code for code, _name in LANGUAGE_CHOICES}
    if not isinstance(value, list) or any(item not in codes for item in value):
        raise ValidationError(_("Choose languages from the list."))


# Languages people speak and write in (ISO 639-1); the interface itself is in settings.LANGUAGES.
LANGUAGE_CHOICES: list[tuple[str, str]] = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("pl", "Polski"),
    ("cs", "Čeština"),
    ("nl", "Nederlands"),
    ("sv", "Svenska"),
    ("tr", "Türkçe"),
    ("ja", "日本語"),
    ("zh", "中文"),
    ("ko", "한국어"),
    ("hi", "हिन्दी"),
    ("ar", "العربية"),
    ("ru", "Русский"),
    ("hu", "Magyar"),
    ("ro", "Română"),
    ("th", "ไทย"),
    ("vi", "Tiếng Việt"),
    ("id", "Bahasa Indonesia"),
]
LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A sign-in identity: an email address and a password; the profile lives on Person."""

    email = models.EmailField(_("email address"), unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("can use the admin"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email


class Site(models.Model):
    """A location of the organisation (plant, lab, store): country, time zone, languages."""

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("short code"), max_length=20, unique=True)
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    languages = models.JSONField(_("languages"), default=list, validators=[validate_language_list])
    region = models.CharField(_("region"), max_length=80, blank=True)
    is_central = models.BooleanField(
        _("central site"), default=False, help_text=_("Headquarters or a central function.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:site", args=[self.code])

    @property
    def country_name(self) -> str:
        return country_name(self.country)


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The English short name of an ISO 3166 alpha-2 code (the code itself when unknown).

    Memoised: filter forms and cards name a hundred sites' countries on every request."""
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


class TopicKind(models.TextChoices):
    PROCESS = "process", _("Process")
    MACHINE = "machine", _("Machine type")
    SKILL = "skill", _("Skill")


class Topic(models.Model):
    """A node of the shared taxonomy; links use its id, so renames and merges never break them."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TopicKind.choices)
    name = models.CharField(_("name"), max_length=120)
    # Names in other languages, keyed by language code: {"fr": "Soudage"}.
    name_translations = models.JSONField(_("translated names"), default=dict, blank=True)
    slug = models.SlugField(max_length=140)
    description = models.TextField(_("description"), blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_topics"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="topic_not_merged_into_itself"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:140] or "topic"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("people:topic", args=[self.pk, self.slug])

    @property
    def display_name(self) -> str:
        language = (get_language() or "en").split("-")[0]
        return str(self.name_translations.get(language) or self.name)


class Person(models.Model):
    """A member's profile: site, job, languages, time zone, skills."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person"
    )
    display_name = models.CharField(_("display name"), max_length=120)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="people")
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    team = models.CharField(
        _("team"), max_length=80, blank=True, help_text=_("Your team or shift at your site.")
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    languages = models.JSONField(
        _("languages I speak"), default=list, validators=[validate_language_list]
    )
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    bio = models.TextField(_("about me"), max_length=600, blank=True)
    photo = models.ImageField(_("photo"), upload_to="people/", blank=True)
    interface_language = models.CharField(
        _("interface language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Leave empty to follow your browser."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["site", "display_name"]),
            # The directory lists everyone by name: read in index order, a page stops at its end.
            models.Index(fields=["display_name"], name="people_person_name_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("people:person", args=[self.pk])

    @property
    def initials(self) -> str:
        parts = [part for part in self.display_name.split() if part]
        return "".join(part[0] for part in parts[:2]).upper() or "?"

    @cached_property
    def role_set(self) -> frozenset[tuple[str, int | None]]:
        # Read on most pages (every access check): its SQL is built once per process.
        return frozenset(
            compiled_rows(
                "people:roles-of",
                lambda person: Role.objects.filter(person_id=person).values_list("role", "site_id"),
                person=self.pk,
            )
        )

    def has_role(self, role: str, site: Site | None = None) -> bool:
        """True when the person holds the role organisation-wide, or for the given site."""
        if self.user.is_superuser or (RoleName.ADMINISTRATOR, None) in self.role_set:
            return True
        if (role, None) in self.role_set:
            return True
        return site is not None and (role, site.pk) in self.role_set

    @property
    def is_administrator(self) -> bool:
        return self.has_role(RoleName.ADMINISTRATOR)


class SkillLevel(models.IntegerChoices):
    AWARE = 1, _("Aware — I know what it is")
    PRACTISING = 2, _("Practising — I do it with help")
    PROFICIENT = 3, _("Proficient — I do it on my own")
    EXPERT = 4, _("Expert — I teach it")


class Skill(models.Model):
    """A person's level (1–4) in a topic."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="skills")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="skills")
    level = models.PositiveSmallIntegerField(
        _("level"),
        choices=SkillLevel.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )

    class Meta:
        ordering = ["-level", "topic__name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["person", "topic"], name="skill_one_per_topic"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="skill_level_1_to_4"
            ),
        ]
        indexes = [models.Index(fields=["topic", "-level"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.topic} ({self.level})"


class RoleName(models.TextChoices):
    COACH = "coach", _("Coach")
    SITE_LEAD = "site_lead", _("Site lead")
    EDITOR = "editor", _("Editor")
    MODERATOR = "moderator", _("Moderator")
    ADMINISTRATOR = "administrator", _("Administrator")


class Role(models.Model):
    """A role held by a person, for one site or (site empty) for the whole organisation."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=20, choices=RoleName.choices)
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="roles",
        help_text=_("Empty means the whole organisation."),
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["person", "role", "site"], name="role_unique_per_site"),
            models.UniqueConstraint(
                fields=["person", "role"], condition=Q(site=None), name="role_unique_org_wide"
            ),
            models.CheckConstraint(
                condition=~Q(role="administrator") | Q(site=None),
                name="role_administrator_org_wide",
            ),
        ]

    def __str__(self) -> str:
        scope = self.site.name if self.site else _("organisation")
        return f"{self.person} · {self.get_role_display()} ({scope})"


class Invitation(models.Model):
    """An administrator's invitation: the invited person sets a password through a one-time link."""

    email = models.EmailField(_("email address"))
    display_name = models.CharField(_("name"), max_length=120)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    # Only a hash of the token is stored: a database leak does not leak usable links.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.email

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A personal API token; only its hash is stored."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.person} · {self.name}"
