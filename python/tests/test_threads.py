"""Calls release the GIL while they work, and honour Ctrl-C."""

import signal
import threading
import time

import pytest

import amrkit
from conftest import run_by_name


@pytest.fixture
def sedov():
    return amrkit.open(run_by_name("sedov3d")[1])


def _ticking_during(call):
    """Runs `call` while another Python thread ticks every millisecond;
    returns the call's duration and the longest pause between ticks
    during it."""
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    call()
    t1 = time.perf_counter()
    time.sleep(0.05)
    stop.set()
    t.join()
    during = [x for x in ticks if t0 - 0.05 <= x <= t1 + 0.05]
    gaps = [b - a for a, b in zip(during, during[1:])]
    return t1 - t0, max(gaps), len([x for x in ticks if t0 <= x <= t1])


def test_a_ticking_thread_keeps_ticking_during_a_long_projection(sedov):
    # The check means something only if the call lasts much longer than
    # the allowed pause: on a fast machine a 1024 map takes about 0.15 s,
    # so the resolution doubles until one call lasts at least 0.3 s (a
    # 4096 map takes seconds on any machine this runs on).
    for res in (1024, 2048, 4096):
        duration, gap, n = _ticking_during(lambda: sedov.project("density", res=res))
        if duration >= 0.3:
            break
    assert duration >= 0.3, (res, duration)
    # With the GIL held the longest pause would be the whole call.
    assert gap < max(0.15, duration / 3), (res, duration, gap, n)
    assert n > 20, (res, duration, n)


def test_ctrl_c_during_a_long_call_is_honoured_within_a_second(sedov):
    main = threading.get_ident()
    sent = []

    def interrupt():
        sent.append(time.perf_counter())
        signal.pthread_kill(main, signal.SIGINT)

    timer = threading.Timer(0.3, interrupt)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        # About 9 s to the end on a 2-core machine.
        sedov.project("density", res=4096, max_threads=1)
    t1 = time.perf_counter()
    timer.join()
    assert sent and t1 - sent[0] < 1.0, t1 - sent[0]
    assert t1 - t0 < 2.0
    # The interpreter and the package go on working.
    assert sedov.stats(max_threads=1)["n_leaf_total"] > 0
