"""Printable QR codes (SVG) that open a page of Pollinate, to stick on a machine or a line."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings


def qr_absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def qr_svg(path: str) -> bytes:
    """An SVG QR code for a path of this instance; medium error correction survives smudges."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=2,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(qr_absolute_url(path))
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()
