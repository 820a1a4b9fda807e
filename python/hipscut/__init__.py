"""hipscut: sky images from HiPS surveys, rendered in this process by hipscut's Rust engine.

Three ways in:

* :func:`hipscut.hips2fits.query` and :func:`~hipscut.hips2fits.query_with_wcs` take the
  arguments of astroquery's ``hips2fits`` and return what it returns (an ``HDUList`` for FITS,
  a numpy array for PNG and JPEG): switching from the CDS service is one import.
* :func:`render` returns the image as a numpy array with its astropy WCS, for analysis.
* :func:`render_many` renders a list of fields in this process; :mod:`hipscut.dask` maps fields
  over a Dask cluster.

Every call shares one engine per process (its HTTP client, disk cache and decoded tiles);
:func:`configure` sets it up. Renders release the GIL, so threads render in parallel.

>>> import hipscut
>>> data, wcs = hipscut.render(ra=83.63, dec=22.01, fov=40, width=64, height=48)
>>> data.shape  # the embedded all-sky survey is in colour: three planes
(3, 48, 64)
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from . import _native, _values
from .errors import BadRequest, HipscutError, NotFound, PartialFailure, Unreachable

__version__: str = _native.__version__
__all__ = [
    "configure",
    "render",
    "render_file",
    "render_bytes",
    "render_many",
    "RenderResult",
    "HipscutError",
    "BadRequest",
    "Unreachable",
    "NotFound",
    "PartialFailure",
]

Survey = Union[str, "os.PathLike[str]", None]


def configure(
    *,
    cache_dir: Union[str, "os.PathLike[str]", None] = None,
    cache: bool = True,
    cache_size: int = 2 << 30,
    concurrency: int = 16,
    retries: int = 3,
    timeout: float = 30.0,
    hipslist: Optional[str] = None,
    sesame: Optional[str] = None,
    decoded_cache_bytes: int = 512 << 20,
    threads: int = 0,
    user_agent: Optional[str] = None,
) -> None:
    """Sets up this process's engine; later calls use it (renders running keep theirs).

    ``cache_dir`` is the disk cache (default ``$XDG_CACHE_HOME/hipscut``), shared safely by
    processes; ``cache=False`` neither reads nor writes it. ``concurrency`` is the most requests
    in flight to one host, ``timeout`` the limit of one request in seconds. ``hipslist`` and
    ``sesame`` replace the HiPS list that resolves survey IDs and the name resolver of
    ``target``. ``decoded_cache_bytes`` of decoded tiles are kept between renders; ``threads``
    paint (0: one per core). ``user_agent`` names this client to the servers.
    """
    for name, value in (("hipslist", hipslist), ("sesame", sesame), ("user_agent", user_agent)):
        if value is not None:
            _values.text(value, name)
    _native.configure(
        cache_dir=None if cache_dir is None else os.fspath(cache_dir),
        use_cache=_values.flag(cache, "cache") == "true",
        cache_size=_values.count(cache_size, "cache_size"),
        concurrency=_values.count(concurrency, "concurrency"),
        retries=_values.count(retries, "retries"),
        timeout=_values.number(timeout, "timeout"),
        hipslist=hipslist,
        sesame=sesame,
        decoded_cache_bytes=_values.count(decoded_cache_bytes, "decoded_cache_bytes"),
        threads=_values.count(threads, "threads"),
        user_agent=user_agent,
    )


@dataclass
class RenderResult:
    """A rendered image: ``data`` in FITS order (row 0 at the bottom, as ``HDUList[0].data``;
    shape ``(height, width)``, or ``(planes, height, width)`` for colour and cube frames), NaN
    where there is no data; ``wcs``, the celestial WCS of its last two axes; ``info``, what the
    render did (order, tiles fetched, from cache, missing…). Unpacks as ``data, wcs``."""

    data: np.ndarray
    wcs: WCS
    info: Dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.data, self.wcs))


def render(
    survey: Survey = None,
    *,
    ra: Any = None,
    dec: Any = None,
    target: Any = None,
    fov: Any = None,
    width: Optional[int] = None,
    height: Optional[int] = None,
    projection: Optional[str] = None,
    coordsys: Optional[str] = None,
    rotation_angle: Any = None,
    wcs: Any = None,
    order: Optional[int] = None,
    interpolation: Optional[str] = None,
    painter: Optional[str] = None,
    tile_format: Optional[str] = None,
    strict: bool = False,
    allow_empty: bool = False,
    frame_index: Optional[int] = None,
    spectral: Optional[float] = None,
    frames: Optional[Tuple[int, int]] = None,
    deadline: Optional[float] = None,
) -> RenderResult:
    """Renders a field of ``survey`` (an ID such as ``"CDS/P/DSS2/red"``, a URL, a local
    folder; ``None``: the embedded all-sky survey) and returns its values with their WCS.

    The field is a centre (``ra``/``dec``, in ``coordsys`` ``"icrs"`` or ``"galactic"``, as
    astropy Angles, numbers of degrees or sexagesimal strings; or a ``target`` name or
    SkyCoord), a ``fov`` and a size, or a whole ``wcs`` (astropy WCS, FITS Header, dict of
    cards). What is not given is chosen as the CLI chooses it. ``order``, ``interpolation``
    (bilinear, bicubic, nearest), ``painter`` (projective, precise) and ``tile_format`` override
    the engine's choices; ``frame_index``, ``spectral`` or ``frames=(first, last)`` pick frames
    of a HiPS cube. ``strict`` fails rather than falls back when a tile fails; ``deadline``
    bounds the whole render, in seconds.

    >>> result = render(ra=0, dec=0, coordsys="galactic", fov=30, width=60, height=30)
    >>> result.data.shape, result.wcs.wcs.ctype[0]
    ((3, 30, 60), 'GLON-TAN')
    """
    spec = _spec(**locals())
    painted, cards, info = _native.render(_location(survey), spec)
    # FITS order as views of the painted samples (rows bottom-up, planes first): no copy.
    data = painted[::-1, :, 0] if painted.shape[2] == 1 else painted[::-1].transpose(2, 0, 1)
    return RenderResult(data=data, wcs=_wcs_of(cards, data.shape), info=info)


def render_file(
    output: Union[str, "os.PathLike[str]"], survey: Survey = None, **field: Any
) -> None:
    """Renders a field (the keywords of :func:`render`, and the display keywords ``stretch``,
    ``min_cut``, ``max_cut``, ``cmap``, ``inverted``, ``band``, ``depth``, ``background`` of the
    CLI) into ``output``, whose extension names the format (.fits, .png, .jpg). The file is
    written atomically: the same bytes the CLI writes for the same field."""
    _native.render_file(_location(survey), _spec(**field), os.fspath(output))


def render_bytes(survey: Survey = None, *, format: str = "fits", **field: Any) -> bytes:
    """:func:`render_file`, encoded in memory as ``format`` (fits, png or jpg)."""
    return _native.render_bytes(_location(survey), _spec(**field), _values.text(format, "format"))


def render_many(
    fields: Iterable[Dict[str, Any]],
    *,
    survey: Survey = None,
    max_workers: int = 4,
    errors: str = "raise",
) -> List[Union[RenderResult, HipscutError]]:
    """Renders every field (a dict of :func:`render`'s keywords, ``survey`` included or given
    once for all) in this process, ``max_workers`` at a time on the shared engine, and returns
    the results in order. ``errors="raise"`` raises the first failure; ``errors="return"``
    puts each failure's exception in its field's place."""
    if errors not in ("raise", "return"):
        raise BadRequest(f"errors must be 'raise' or 'return', not {errors!r}")
    jobs = [dict(f) for f in fields]
    for job in jobs:
        job.setdefault("survey", survey)

    def one(job: Dict[str, Any]) -> Union[RenderResult, HipscutError]:
        try:
            return render(**job)
        except HipscutError as failure:
            if errors == "raise":
                raise
            return failure

    with ThreadPoolExecutor(max_workers=max(1, int(max_workers))) as pool:
        return list(pool.map(one, jobs))


def _location(survey: Survey) -> Optional[str]:
    if survey is None:
        return None
    if isinstance(survey, (str, os.PathLike)):
        return os.fspath(survey)
    raise BadRequest(f"survey must be an ID, a URL or a folder, not {type(survey).__name__}")


_CONVERT = {
    "ra": _values.degrees,
    "dec": _values.degrees,
    "fov": _values.degrees,
    "rotation_angle": _values.degrees,
    "width": _values.whole,
    "height": _values.whole,
    "order": _values.whole,
    "frame_index": _values.whole,
    "strict": _values.flag,
    "allow_empty": _values.flag,
    "inverted": _values.flag,
    "spectral": lambda v, n: repr(_values.number(v, n)),
    "deadline": lambda v, n: repr(_values.number(v, n)),
    "min_cut": lambda v, n: _values.cut(v, n, percent=False),
    "max_cut": lambda v, n: _values.cut(v, n, percent=False),
    "cmap": lambda v, n: _values.colormap(v),
}


def _spec(**given: Any) -> Dict[str, str]:
    """The keywords given (None: not given) as the strings the engine parses."""
    given.pop("survey", None)
    given = {k: v for k, v in given.items() if v is not None}
    if "target" in given and not isinstance(given["target"], str):
        _aim(given)
    if "wcs" in given:
        given["wcs"] = _values.header_json(given["wcs"], given.get("width"), given.get("height"))
    if "frames" in given:
        first, last = _frames(given.pop("frames"))
        given["frames"] = f"{first}:{last}"
    return {k: _CONVERT.get(k, _values.text)(v, k) for k, v in given.items()}


def _aim(given: Dict[str, Any]) -> None:
    """A SkyCoord ``target`` made into ``ra`` and ``dec`` in the render's frame."""
    coord = given.pop("target")
    try:
        galactic = str(given.get("coordsys", "icrs")).lower() == "galactic"
        coord = coord.galactic if galactic else coord.icrs
        lon, lat = coord.spherical.lon, coord.spherical.lat
    except AttributeError:
        raise BadRequest(
            f"target must be a name or a SkyCoord, not {type(coord).__name__}"
        ) from None
    if "ra" in given or "dec" in given:
        raise BadRequest("give a target or ra and dec, not both")
    given["ra"], given["dec"] = lon, lat


def _frames(frames: Any) -> Tuple[int, int]:
    try:
        first, last = frames
    except (TypeError, ValueError):
        raise BadRequest(f"frames must be (first, last), not {frames!r}") from None
    return int(_values.whole(first, "frames")), int(_values.whole(last, "frames"))


def _wcs_of(cards: List[Tuple[str, str]], shape: Tuple[int, ...]) -> WCS:
    """The astropy WCS of the engine's cards, sized as the image."""
    header = fits.Header()
    for key, value in cards:
        try:
            header[key] = float(value)
        except ValueError:
            header[key] = value
    wcs = WCS(header)
    wcs.pixel_shape = (shape[-1], shape[-2])
    return wcs
