"""Uploaded images: validated by content (not by name), size-limited, re-encoded, randomly named.

Re-encoding drops EXIF (GPS positions of a shop floor), embedded scripts and polyglot payloads; the
random name means an upload can neither overwrite nor guess another file.
"""

from __future__ import annotations

import io
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000


def image_reencode(upload: UploadedFile, *, max_side: int = MAX_SIDE) -> ContentFile[bytes]:
    """Returns a re-encoded copy of an uploaded image, or raises ValidationError with a message."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("This image is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)},
            code="too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
        if fmt not in ACCEPTED_FORMATS:
            raise ValidationError(
                _("Please upload a JPEG, PNG, GIF or WebP image."), code="bad_format"
            )
        if width * height > MAX_PIXELS:
            raise ValidationError(_("This image has too many pixels."), code="too_many_pixels")
        upload.seek(0)
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((max_side, max_side))
            has_alpha = image.mode in ("RGBA", "LA", "P")
            out = io.BytesIO()
            if has_alpha:
                image.convert("RGBA").save(out, format="PNG", optimize=True)
                extension = "png"
            else:
                image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
                extension = "jpg"
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image we can read. Please upload a JPEG, PNG, GIF or WebP."),
            code="not_an_image",
        ) from None
    return ContentFile(out.getvalue(), name=f"{secrets.token_urlsafe(16)}.{extension}")
