"""The SlotTable's speed paths (issue #17): cached live slots and columns held as plain attributes.

Both are caches of state the table already has, so the tests check that they never go stale: after
every allocation, release and growth they must equal what the uncached code would compute.
"""

import numpy as np
import pytest

from sim.core.tables import SlotTable


def test_cached_slots_follow_every_allocation_release_and_growth():
    t = SlotTable({"x": (float, 0.0)}, capacity=2)
    rng = np.random.default_rng(5)
    live: set[int] = set()
    for _ in range(300):
        if live and rng.random() < 0.4:
            s = int(rng.choice(sorted(live)))
            t.release(s)
            live.remove(s)
        else:
            live.add(t.allocate())
        assert t.slots.tolist() == sorted(live) == np.flatnonzero(t.alive[: t.size]).tolist()
        assert t.count() == len(live)


def test_the_cached_slots_cannot_be_written_through():
    t = SlotTable({"x": (float, 0.0)})
    t.allocate()
    with pytest.raises(ValueError):
        t.slots[0] = 5


def test_a_column_attribute_is_the_grown_column_and_the_one_agents_write():
    t = SlotTable({"x": (float, -1.0), "v": (float, 0.5, 3)}, capacity=1)
    first = t.allocate()
    t.x[first] = 2.0
    second = t.allocate()  # grows the table: new arrays replace the old ones
    assert t.x is t.cols["x"] and t.v is t.cols["v"]
    assert len(t.x) >= 2 and t.x[first] == 2.0 and t.x[second] == -1.0
    t.cols["x"][second] = 3.0
    assert t.x[second] == 3.0
    with pytest.raises(AttributeError):
        _ = t.no_such_column
