"""Threads render concurrently on the one engine, and render_many renders a list of fields."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import hipscut

from conftest import DATA

FERMI = str(DATA / "FermiColor")
DSS = str(DATA / "DSS2Red")


def fields(n):
    """n different fields with data: FermiColor around the Galactic Centre, DSS2Red on its
    two southern tiles, in turn."""
    rng = np.random.default_rng(7)
    out = []
    for k in range(n):
        if k % 2:
            out.append(dict(survey=FERMI, ra=float(rng.uniform(-6, 6)) % 360,
                            dec=float(rng.uniform(-4, 4)), coordsys="galactic",
                            fov=float(rng.uniform(1.0, 2.0)), width=128, height=96,
                            projection=["TAN", "SIN", "AIT"][k % 3]))
        else:
            out.append(dict(survey=DSS, ra=float(rng.uniform(270.5, 274)),
                            dec=float(rng.uniform(-34, -31.5)), fov=0.8, width=64, height=64,
                            tile_format=["fits", "jpeg"][(k // 2) % 2]))
    return out


def same(a, b):
    np.testing.assert_array_equal(a.data, b.data)
    assert a.wcs.to_header() == b.wcs.to_header()


def test_threads_render_concurrently_and_agree_with_one_at_a_time():
    todo = fields(24)
    alone = [hipscut.render(**f) for f in todo]
    started = threading.Barrier(8, timeout=60)

    def render_together(field):
        started.wait()  # the first eight threads are in flight at once
        return hipscut.render(**field)

    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(render_together, todo[:8]))
        together += list(pool.map(lambda f: hipscut.render(**f), todo[8:]))
    assert len(together) == len(alone)
    for a, b in zip(together, alone):
        same(a, b)


def test_the_gil_is_released_while_rendering():
    """A Python thread runs while another renders: it notes the time every few thousand
    steps, and notes fall inside the render, which they could not if it held the GIL."""
    ticks = []
    done = threading.Event()

    def tick():
        n = 0
        while not done.is_set():
            n += 1
            if n % 2000 == 0:
                ticks.append(time.perf_counter())

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        start = time.perf_counter()
        hipscut.render(FERMI, ra=0, dec=0, coordsys="galactic", fov=20, width=2000, height=1000,
                       projection="AIT", painter="precise")
        end = time.perf_counter()
    finally:
        done.set()
        ticker.join()
    margin = 0.1 * (end - start)
    inside = [t for t in ticks if start + margin < t < end - margin]
    assert len(inside) >= 10, (len(inside), len(ticks), end - start)


def test_render_many_returns_every_field_in_order():
    todo = fields(20)
    many = hipscut.render_many(todo, max_workers=4)
    for result, field in zip(many, todo):
        same(result, hipscut.render(**field))
    shared = hipscut.render_many([{k: v for k, v in f.items() if k != "survey"}
                                  for f in todo[1::2]], survey=FERMI)
    for a, b in zip(shared, many[1::2]):
        same(a, b)


def test_render_many_reports_or_raises_failures():
    todo = fields(4)
    todo[2] = dict(todo[2], projection="XYZ")
    results = hipscut.render_many(todo, errors="return")
    assert isinstance(results[2], hipscut.BadRequest) and "XYZ" in str(results[2])
    assert all(isinstance(r, hipscut.RenderResult) for k, r in enumerate(results) if k != 2)
    with pytest.raises(hipscut.BadRequest, match="XYZ"):
        hipscut.render_many(todo)
    with pytest.raises(hipscut.BadRequest, match="errors"):
        hipscut.render_many(todo, errors="ignore")
