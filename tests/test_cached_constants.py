"""The cached constants of the kernels are one array per key, whichever thread asks first.

The engine tells a plain block (no weights) by identity, ``t.weight is kernels.ones(n)``.
Two workers meeting a new block size at once each made an array and one overwrote the other
in the cache, so one block took the general moments: ``summary.moments`` of a 2-thread run
then varied from run to run in its last bits.
"""

from __future__ import annotations

import threading

import numpy as np

from cece._native import buffers


def _race(make, key_of):
    barrier = threading.Barrier(8)
    got = []

    def ask():
        barrier.wait()
        got.append(make())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def test_ones_is_one_array_under_a_race():
    for n in range(700_001, 700_041):  # sizes no other test asked for
        got = _race(lambda n=n: buffers.ones(n), None)
        assert all(g is got[0] for g in got), n
        assert got[0] is buffers.ones(n)
        assert not got[0].flags.writeable and float(got[0].sum()) == n


def test_arange_is_one_array_under_a_race():
    for n in range(800_001, 800_021):
        got = _race(lambda n=n: buffers.arange(n), None)
        assert all(g is got[0] for g in got), n
        np.testing.assert_array_equal(got[0][:3], [0, 1, 2])
