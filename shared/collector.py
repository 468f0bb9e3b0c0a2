"""The garbage collector as the kit's long-running processes run it (a service, `cica rebuild`).

Two settings, each from a measurement, made once a process after start-up (`settle`):

- What start-up made (modules, routes, models, the apps' tables) lives as long as the process:
  it is frozen out of the collector's way (`gc.freeze()`), so that a full pass no longer walks
  it every time.
- The youngest generation is collected after `YOUNG_THRESHOLD` new container objects rather
  than CPython's 700. A request or a batch makes thousands; at 700, a collection came several
  times in each, and every object still in use at that moment (those of the hundred requests in
  flight) moved on to the older generations, where they set off full passes over all that the
  service holds (its streams' histories, its read caches). Under the HTTP benchmark (100
  clients revising drafts), the documents service spent about a seventh of its CPU in the
  collector at 700: 1,850 young, 165 middle and 16 full collections in 15 s, 2.0 s in all; at
  50,000: 6 young collections, 0.12 s. CPU a revision, alternated runs: 2.17-2.29 -> 1.97-2.09
  ms. Reference cycles are still collected, a young generation later (and the kit makes few:
  `run_command`'s first attempt keeps out of tenacity for that reason). The price: a young
  pass walks up to 50,000 objects at once, about 20 ms here, where the full passes it spares
  took 80-150 ms each.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def settle() -> bool:
    """Freeze what the process has made so far and raise the young generation's threshold,
    once a process: True if this call did it, False if it was done already (where several apps
    start one after the other, the tests, a later freeze would keep what the earlier ones left
    behind for ever)."""
    if gc.get_freeze_count():
        return False
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
    return True
