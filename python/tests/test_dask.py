"""The Dask recipe (hipscut.dask): 200 fields over a LocalCluster of two worker processes,
each with its own engine and one shared disk cache; every output correct, and each worker
fetches each tile once at most."""

from collections import Counter

import distributed
import numpy as np

import hipscut
import hipscut.dask

from conftest import DATA, NOWHERE
from test_concurrency import fields


def test_two_workers_render_200_fields_and_fetch_each_tile_once(sample_server, tmp_path):
    base, log = sample_server
    local = fields(200)
    remote = [dict(f, survey=f"{base}/{f['survey'].rsplit('/', 1)[-1]}") for f in local]
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            client.register_plugin(hipscut.dask.EngineSetup(cache_dir=tmp_path / "shared",
                                                            sesame=NOWHERE))
            futures = client.map(hipscut.dask.render_field, remote, pure=False)
            results = client.gather(futures)
    finally:
        cluster.close()

    assert len(results) == 200
    for result, field in zip(results, local):
        want = hipscut.render(**field)
        np.testing.assert_array_equal(result.data, want.data)
        assert result.wcs.to_header() == want.wcs.to_header()

    tiles = [(path, agent) for path, agent in log["requests"] if "/Norder" in path]
    workers = {agent for _, agent in tiles}
    assert len(workers) == 2 and all("dask worker" in w for w in workers), workers
    per_worker = Counter(tiles)
    assert max(per_worker.values()) == 1, per_worker.most_common(3)
    distinct = {path for path, _ in tiles}
    assert len(distinct) >= 5, distinct
    # the shared cache: a tile one worker fetched is read from disk by the other, unless both
    # asked for it at the same moment
    assert len(tiles) <= 2 * len(distinct)
    fetched = sum(r.info["tiles_fetched"] for r in results)
    assert fetched == len(tiles), "what the workers report is what the server saw"
