"""`survey=` and `hips=` take an ID, a URL or a local path, as the CLI does."""

import numpy as np
import pytest

import hipscut
from hipscut.hips2fits import hips2fits

from conftest import DATA, NOWHERE

FIELD = dict(ra=272.5, dec=-33.0, fov=1.5, width=120, height=90, projection="TAN")


@pytest.fixture()
def engine_with_list(sample_server, tmp_path):
    """The engine resolving IDs through a HiPS list whose one survey is the sample served on
    127.0.0.1; the offline engine again afterwards."""
    base, log = sample_server
    listing = tmp_path / "hipslist.txt"
    listing.write_text(
        f"ID = TEST/P/DSS2/red\nobs_title = DSS2 Red sample\nhips_service_url = {base}/DSS2Red\n"
    )
    hipscut.configure(cache_dir=tmp_path / "cache", hipslist=str(listing), sesame=NOWHERE)
    yield base, log
    hipscut.configure(cache_dir=tmp_path / "cache-after", sesame=NOWHERE)


def test_an_id_a_url_and_a_path_give_one_image(engine_with_list):
    base, log = engine_with_list
    by_path = hipscut.render(DATA / "DSS2Red", **FIELD)
    by_text = hipscut.render(str(DATA / "DSS2Red"), **FIELD)
    by_url = hipscut.render(f"{base}/DSS2Red", **FIELD)
    by_id = hipscut.render("TEST/P/DSS2/red", **FIELD)
    for other in (by_text, by_url, by_id):
        np.testing.assert_array_equal(other.data, by_path.data)
    assert any(path.startswith("/DSS2Red/Norder3/") for path, _ in log["requests"])
    hdul = hips2fits.query(hips="TEST/P/DSS2/red", **FIELD)
    assert hdul[0].data.shape == (90, 120)
    with pytest.raises(hipscut.NotFound, match="NO/SUCH/survey"):
        hipscut.render("NO/SUCH/survey", **FIELD)
