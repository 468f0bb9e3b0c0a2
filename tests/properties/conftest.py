"""Hypothesis, run the same way on every machine: the examples are derived from each test's
name (derandomized), nothing is kept between runs, and their number is bounded so the suite
keeps its time. `HYPOTHESIS_PROFILE=deep` explores more, with fresh randomness, by hand."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", database=None, deadline=None, max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
