"""Writes tests/data/colormaps.json: matplotlib's colours (as bytes, cmap(t, bytes=True)) of
every colormap hipscut names, at a few display levels, for tests/display.rs.

    python3 -m venv venv && venv/bin/pip install matplotlib
    venv/bin/python tools/matplotlib_colormap_reference.py
"""
import json
import os

import matplotlib

NAMES = [
    "gray", "hot", "coolwarm", "Greys", "viridis", "magma", "inferno", "plasma", "cividis", "cubehelix",
    "Blues", "Greens", "Oranges", "Purples", "Reds", "BuGn", "BuPu", "GnBu", "OrRd",
    "PuBuGn", "PuBu", "PuRd", "RdPu", "YlGnBu", "YlGn", "YlOrBr", "YlOrRd", "BrBG", "PRGn",
    "PiYG", "PuOr", "RdBu", "RdGy", "RdYlBu", "RdYlGn", "Spectral",
]
LEVELS = [0, 1, 32, 64, 100, 128, 160, 192, 223, 254, 255]

out = {"matplotlib": matplotlib.__version__, "levels": LEVELS, "maps": {}}
for name in NAMES:
    for full in (name, name + "_r"):
        cmap = matplotlib.colormaps[full]
        # A display level i is the colour at i / 255, as a 256-entry table holds it.
        out["maps"][full] = [
            [int(c) for c in cmap(level / 255.0, bytes=True)[:3]] for level in LEVELS
        ]
path = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "colormaps.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path)
