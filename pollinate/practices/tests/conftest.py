from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pollinate.people.models import Person
from pollinate.practices import services
from pollinate.practices.models import Practice


def png_upload(name: str = "photo.png", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def practice(alice: Person) -> Practice:
    """A shared practice from Lyon, written by Alice."""
    return services.practice_create(
        actor=alice,
        title="Torque check before each shift",
        problem="Loose bolts on press 12 caused stops.",
        steps="1. Take the torque wrench.\n2. Check the six bolts.",
        evidence="Stops fell from 5 to 1 a month.",
        language="en",
    )


@pytest.fixture
def draft(alice: Person) -> Practice:
    return services.practice_create(
        actor=alice, title="Secret draft idea", steps="Not ready yet.", share=False
    )
