from __future__ import annotations

from pollinate.bench.run import main

raise SystemExit(main())
