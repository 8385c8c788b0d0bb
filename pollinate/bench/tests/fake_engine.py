"""A stand-in engine benchmark for the harness's tests: noise, then one JSON object, as they print.

``python -m pollinate.bench.tests.fake_engine <workdir>`` creates ``workdir`` (its "instance").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __name__ == "__main__":
    workdir = Path(sys.argv[1])
    workdir.mkdir()
    print("Generating… 100 members")
    print(json.dumps({"p99_ms": 12.5, "rate": 40, "workdir": str(workdir)}, indent=2))
