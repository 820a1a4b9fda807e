"""Rendering fields over a Dask ``distributed`` cluster: each worker process holds its own
engine, all of them sharing one disk cache, so a tile is fetched once per worker at most.

>>> from dask.distributed import Client, LocalCluster      # doctest: +SKIP
>>> import hipscut.dask
>>> client = Client(LocalCluster(n_workers=2, threads_per_worker=2))  # doctest: +SKIP
>>> client.register_plugin(hipscut.dask.EngineSetup(cache_dir="/shared/hipscut"))  # doctest: +SKIP
>>> fields = [{"survey": "CDS/P/DSS2/red", "target": "M1", "fov": 0.5, "width": 512}]
>>> results = client.gather(client.map(hipscut.dask.render_field, fields))  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, Dict

import hipscut

__all__ = ["EngineSetup", "render_field"]

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # distributed is optional: the recipe needs it, the package does not
    WorkerPlugin = object  # type: ignore[misc,assignment]


class EngineSetup(WorkerPlugin):  # type: ignore[misc,valid-type]
    """A worker plugin that configures each worker's engine (the keywords of
    :func:`hipscut.configure`) when the worker starts; ``user_agent`` defaults to one naming
    the worker's process, so that a server's log tells the workers apart."""

    name = "hipscut-engine"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def setup(self, worker: Any = None) -> None:
        options = dict(self.options)
        options.setdefault("user_agent", f"hipscut/{hipscut.__version__} (dask worker {os.getpid()})")
        hipscut.configure(**options)


def render_field(field: Dict[str, Any]) -> hipscut.RenderResult:
    """Renders one field (the keywords of :func:`hipscut.render`, ``survey`` included) on this
    worker's engine."""
    return hipscut.render(**field)
