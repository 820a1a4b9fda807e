"""Python and astropy values (Angles, Quantities, SkyCoords, WCS objects) turned into the
plain strings the engine parses, each failure naming its argument."""

from __future__ import annotations

import json
import numbers
from typing import Any, Dict, Optional

import astropy.units as u
from astropy.io import fits
from astropy.wcs import WCS

from .errors import BadRequest


def degrees(value: Any, name: str) -> str:
    """An angle in degrees: an astropy Angle or Quantity, a number of degrees, or a string the
    engine parses (``"83.63"``, ``"05:34:31.9"``, ``"5h34m31.9s"``)."""
    if isinstance(value, u.Quantity):
        try:
            value = value.to_value(u.deg)
        except u.UnitsError as error:
            raise BadRequest(f"{name}: {error}") from None
        if getattr(value, "ndim", 0) != 0:
            raise BadRequest(f"{name} must be one angle, not an array of {value.size}")
        return repr(float(value))
    if isinstance(value, str):
        return value
    return repr(number(value, name))


def number(value: Any, name: str) -> float:
    """A real number (booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BadRequest(f"{name} must be a number, not {type(value).__name__} {value!r}")
    return float(value)


def whole(value: Any, name: str) -> str:
    """A whole number (an int, or a float with no fraction)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BadRequest(f"{name} must be a whole number, not {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if float(value).is_integer():
        return str(int(value))
    raise BadRequest(f"{name} must be a whole number, not {value!r}")


def count(value: Any, name: str) -> int:
    """A whole number ≥ 0."""
    n = int(whole(value, name))
    if n < 0:
        raise BadRequest(f"{name} must be 0 or more, not {n}")
    return n


def flag(value: Any, name: str) -> str:
    if not isinstance(value, (bool, numbers.Integral)) or value not in (0, 1):
        raise BadRequest(f"{name} must be True or False, not {value!r}")
    return "true" if value else "false"


def text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string, not {type(value).__name__} {value!r}")
    return value


def cut(value: Any, name: str, *, percent: bool) -> str:
    """A display cut: a string as given (``"1%"``, ``"350"``), or a number, which is a
    percentile when ``percent`` (as astroquery's hips2fits sends it) and a value otherwise."""
    if isinstance(value, str):
        return value
    if percent:
        number(value, name)
        return f"{value}%"  # as astroquery writes it: 1 is "1%", 0.5 is "0.5%"
    return repr(number(value, name))


def colormap(value: Any) -> str:
    """A colormap's name: a matplotlib Colormap, or its name."""
    name = getattr(value, "name", value)
    return text(name, "cmap")


def header_json(wcs: Any, width: Optional[int] = None, height: Optional[int] = None) -> str:
    """A WCS as the JSON object of cards the engine reads, sized by the WCS's ``pixel_shape``
    (or ``NAXISn`` cards), or by ``width`` and ``height``."""
    if isinstance(wcs, WCS):
        if wcs.pixel_n_dim != 2:
            raise BadRequest(f"wcs must have two pixel axes, not {wcs.pixel_n_dim}")
        header = wcs.to_header()
        if wcs.pixel_shape is not None:
            header["NAXIS1"], header["NAXIS2"] = (int(n) for n in wcs.pixel_shape)
        cards: Dict[str, Any] = dict(header.items())
    elif isinstance(wcs, fits.Header):
        cards = {k: v for k, v in wcs.items() if k not in ("COMMENT", "HISTORY", "")}
    elif isinstance(wcs, dict):
        cards = dict(wcs)
    elif isinstance(wcs, str):
        return wcs
    else:
        raise BadRequest(
            f"wcs must be an astropy WCS, a FITS Header, a dict of cards or a header text, "
            f"not {type(wcs).__name__}"
        )
    if width is None and height is None and ("NAXIS1" not in cards or "NAXIS2" not in cards):
        raise BadRequest(
            "the WCS does not give the image size: set its pixel_shape = (width, height), or "
            "give width and height"
        )
    try:
        return json.dumps(cards)
    except TypeError as error:
        raise BadRequest(f"wcs: a card's value is not a number, string or boolean: {error}") from None
