"""astroquery's ``hips2fits`` API, rendered in this process instead of by the CDS service.

``from hipscut.hips2fits import hips2fits`` replaces ``from astroquery.hips2fits import
hips2fits``: the same methods, arguments (astropy Angles, Longitudes, Latitudes, Quantities,
matplotlib Colormaps) and defaults, and the same results: an astropy ``HDUList`` for FITS, a
numpy array for JPEG and PNG. ``hips`` may also be a URL or a local folder. Errors raise
:class:`hipscut.BadRequest` (a ``ValueError``) and its siblings, with the engine's message,
where the service answers with an HTTP error.

>>> import astropy.units as u
>>> from astropy.coordinates import Angle, Latitude, Longitude
>>> from hipscut.hips2fits import hips2fits
>>> hdul = hips2fits.query(hips="embedded:Mellinger", width=64, height=32, projection="AIT",
...                        ra=Longitude(0 * u.deg), dec=Latitude(0 * u.deg),
...                        fov=Angle(60 * u.deg))
>>> hdul[0].data.shape
(3, 32, 64)
"""

from __future__ import annotations

import io
from typing import Any, Dict, Union

import numpy as np
from astropy.coordinates import Angle
from astropy.io import fits
import astropy.units as u

from . import _native, _values
from .errors import BadRequest

__all__ = ["hips2fits", "hips2fitsClass", "query", "query_with_wcs"]

#: The output formats hips2fits takes.
FORMATS = ("fits", "jpg", "png")


class hips2fitsClass:
    """The methods of astroquery's ``hips2fitsClass``, run by hipscut's engine."""

    def query_with_wcs(
        self,
        hips: str,
        wcs: Any,
        *,
        format: str = "fits",
        min_cut: Any = 0.5,
        max_cut: Any = 99.5,
        stretch: str = "linear",
        cmap: Any = "Greys_r",
        get_query_payload: bool = False,
        verbose: bool = False,
    ) -> Union[fits.HDUList, np.ndarray, Dict[str, Any]]:
        """The image of ``hips`` on the pixel grid of ``wcs`` (an astropy WCS whose
        ``pixel_shape`` gives the size). ``min_cut`` and ``max_cut`` are percentiles (numbers,
        or strings such as ``"1.5%"`` or ``"350"``); ``stretch`` and ``cmap`` shape PNG and
        JPEG. ``get_query_payload=True`` returns the parameters instead of rendering."""
        payload = {"hips": _values.text(hips, "hips"), "wcs": _values.header_json(wcs)}
        payload.update(_display(format, min_cut, max_cut, stretch, cmap))
        return _run(payload, get_query_payload)

    def query(
        self,
        hips: str,
        width: int,
        height: int,
        projection: str,
        ra: Any,
        dec: Any,
        fov: Any,
        *,
        coordsys: str = "icrs",
        rotation_angle: Any = Angle(0 * u.deg),
        format: str = "fits",
        min_cut: Any = 0.5,
        max_cut: Any = 99.5,
        stretch: str = "linear",
        cmap: Any = "Greys_r",
        get_query_payload: bool = False,
        verbose: bool = False,
    ) -> Union[fits.HDUList, np.ndarray, Dict[str, Any]]:
        """The image of ``hips``, ``width`` × ``height`` pixels in ``projection`` (TAN, SIN,
        AIT, MOL, CAR… any FITS code), centred on ``ra``, ``dec`` (in ``coordsys``: icrs or
        galactic), ``fov`` wide along its longer side, turned by ``rotation_angle``. Angles are
        astropy Angles or Quantities, numbers of degrees, or strings."""
        payload = {
            "hips": _values.text(hips, "hips"),
            "width": _values.whole(width, "width"),
            "height": _values.whole(height, "height"),
            "projection": _values.text(projection, "projection"),
            "coordsys": _values.text(coordsys, "coordsys"),
            "rotation_angle": _values.degrees(rotation_angle, "rotation_angle"),
            "ra": _values.degrees(ra, "ra"),
            "dec": _values.degrees(dec, "dec"),
            "fov": _values.degrees(fov, "fov"),
        }
        payload.update(_display(format, min_cut, max_cut, stretch, cmap))
        return _run(payload, get_query_payload)


def _display(format: Any, min_cut: Any, max_cut: Any, stretch: Any, cmap: Any) -> Dict[str, str]:
    format = _values.text(format, "format").lower()
    if format not in FORMATS and format != "jpeg":
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    return {
        "format": format,
        "min_cut": _values.cut(min_cut, "min_cut", percent=True),
        "max_cut": _values.cut(max_cut, "max_cut", percent=True),
        "stretch": _values.text(stretch, "stretch"),
        "cmap": _values.colormap(cmap),
    }


def _run(payload: Dict[str, str], get_query_payload: bool) -> Any:
    """The payload, or its image as astroquery returns it."""
    if get_query_payload:
        return payload
    encoded = _native.query(list(payload.items()))
    if payload["format"] == "fits":
        return fits.HDUList.fromstring(encoded)
    from PIL import Image  # as astroquery decodes them

    return np.asarray(Image.open(io.BytesIO(encoded)))


#: The shared instance, as ``astroquery.hips2fits.hips2fits``.
hips2fits = hips2fitsClass()
query = hips2fits.query
query_with_wcs = hips2fits.query_with_wcs

