"""The organisation sizes the harness knows, as ``generate_org`` options.

Options a ``generate_org`` does not (yet) accept are dropped and listed in the run details, so a
scale can name an app's volume before that app's generator lands.
"""

from __future__ import annotations

from typing import Any

SCALES: dict[str, dict[str, Any]] = {
    # A smoke-test size: seconds to generate, for trying the harness itself.
    "XS": {"sites": 3, "countries": 3, "members": 60},
    "S": {"sites": 10, "countries": 6, "members": 1_000},
    "M": {
        "sites": 100,
        "countries": 40,
        "members": 20_000,
        "practices": 200_000,
        "interactions": 1_000_000,
    },
    "L": {
        "sites": 200,
        "countries": 45,
        "members": 100_000,
        "practices": 1_000_000,
        "activities": 10_000_000,
    },
}
