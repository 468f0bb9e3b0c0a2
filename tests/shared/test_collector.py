"""`shared.collector.settle`, in a process of its own (the tests' process has settled already if
an app has started in it): what start-up made is frozen, the young generation's threshold is
raised, and only the first call does either."""

from __future__ import annotations

import json
import subprocess
import sys

from shared.collector import YOUNG_THRESHOLD

PROBE = """
import gc, json
from shared.collector import settle
before = gc.get_threshold()
first = settle()
frozen = gc.get_freeze_count()
kept = [object() for _ in range(10)]
again = settle()
print(json.dumps({"before": before, "first": first, "frozen": frozen, "again": again,
                  "frozen_after_again": gc.get_freeze_count(), "after": gc.get_threshold()}))
"""


def test_settle_freezes_what_start_up_made_and_raises_the_young_threshold_once() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(ran.stdout)

    assert seen["first"] is True and seen["frozen"] > 1000, "start-up's objects frozen"
    assert seen["after"] == [YOUNG_THRESHOLD, *seen["before"][1:]]
    assert seen["before"][0] < YOUNG_THRESHOLD
    assert seen["again"] is False
    assert seen["frozen_after_again"] == seen["frozen"], "a second call freezes nothing more"
