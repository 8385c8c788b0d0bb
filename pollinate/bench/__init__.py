"""Pollinate's benchmark harness (issue 9): ``python -m pollinate.bench --scale S``.

It generates (or reuses) an organisation in ``var/bench-<scale>``, serves it with the production
settings and server configuration, drives load from a separate process on loopback, and writes
``bench/results/<scale>.json`` plus a Markdown summary. See docs/benchmarks.md.

Modules: ``run`` orchestrates (no Django import, it only starts processes); ``django_side`` is the
part that runs inside Django (generation, fixtures, query counts, engines, profiles);
``endpoints`` and ``engines`` are the registries other apps extend; ``load`` holds the two load
generators; ``report`` writes the results.
"""
