//! The map projections hipscut renders in, by their FITS codes: parsed and printed here alone.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A FITS celestial projection (the three letters of `CTYPE1 = 'RA---TAN'`).
///
/// Every celestial projection of wcslib (and the legacy NCP): most through mapproj (the CDS
/// `wcs` crate), the others (AIR, NCP, PAR, SZP, slant SIN, the conics, BON, PCO, the three quad
/// cubes and XPH) computed here after Calabretta & Greisen (2002), where mapproj lacks them or
/// disagrees with wcslib. Each agrees
/// with astropy to 1e-5° (tests/wcs_astropy.rs). Parsing is case-insensitive.
///
/// ```
/// use hipscut::Projection;
/// let p: Projection = "ait".parse()?;
/// assert_eq!(p, Projection::Ait);
/// assert_eq!(p.to_string(), "AIT");
/// assert_eq!("cop".parse::<Projection>()?, Projection::Cop);
/// assert!("XYZ".parse::<Projection>().is_err());
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Projection {
    /// Zenithal perspective.
    Azp,
    /// Slant zenithal perspective.
    Szp,
    /// Gnomonic: the default for fields up to 180°.
    Tan,
    /// Stereographic.
    Stg,
    /// Orthographic (slant).
    Sin,
    /// Zenithal equidistant.
    Arc,
    /// Zenithal polynomial, written with `PV2_1 = 1` (equidistant) for a view.
    Zpn,
    /// Zenithal equal-area.
    Zea,
    /// Cylindrical perspective.
    Cyp,
    /// Cylindrical equal-area.
    Cea,
    /// Plate carrée.
    Car,
    /// Mercator.
    Mer,
    /// Sanson-Flamsteed.
    Sfl,
    /// Mollweide.
    Mol,
    /// Hammer-Aitoff: the default for fields wider than 180°.
    Ait,
    /// HEALPix.
    Hpx,
    /// Airy's zenithal (PV2_1 = θb, 90° by default).
    Air,
    /// North celestial pole (SIN with η = cot δ0), the legacy synthesis projection.
    Ncp,
    /// Parabolic (Craster).
    Par,
    /// Conic perspective (PV2_1 = θa, written as ±45° for a view; PV2_2 = η).
    Cop,
    /// Conic equal-area.
    Coe,
    /// Conic equidistant.
    Cod,
    /// Conic orthomorphic.
    Coo,
    /// Bonne's equal-area (PV2_1 = θ1, written as ±45° for a view).
    Bon,
    /// Polyconic.
    Pco,
    /// Tangential spherical cube.
    Tsc,
    /// COBE quadrilateralized spherical cube.
    Csc,
    /// Quadrilateralized spherical cube.
    Qsc,
    /// HEALPix polar ("butterfly").
    Xph,
}

impl Projection {
    /// Every supported projection, in the order help texts list them.
    pub const ALL: [Projection; 29] = [
        Projection::Azp,
        Projection::Szp,
        Projection::Tan,
        Projection::Stg,
        Projection::Sin,
        Projection::Arc,
        Projection::Zpn,
        Projection::Zea,
        Projection::Cyp,
        Projection::Cea,
        Projection::Car,
        Projection::Mer,
        Projection::Sfl,
        Projection::Mol,
        Projection::Ait,
        Projection::Hpx,
        Projection::Air,
        Projection::Ncp,
        Projection::Par,
        Projection::Cop,
        Projection::Coe,
        Projection::Cod,
        Projection::Coo,
        Projection::Bon,
        Projection::Pco,
        Projection::Tsc,
        Projection::Csc,
        Projection::Qsc,
        Projection::Xph,
    ];

    /// wcslib codes not offered, refused with their own error: none left.
    pub const REFUSED: [&'static str; 0] = [];

    /// The FITS code, upper case.
    pub fn code(self) -> &'static str {
        match self {
            Projection::Azp => "AZP",
            Projection::Szp => "SZP",
            Projection::Tan => "TAN",
            Projection::Stg => "STG",
            Projection::Sin => "SIN",
            Projection::Arc => "ARC",
            Projection::Zpn => "ZPN",
            Projection::Zea => "ZEA",
            Projection::Cyp => "CYP",
            Projection::Cea => "CEA",
            Projection::Car => "CAR",
            Projection::Mer => "MER",
            Projection::Sfl => "SFL",
            Projection::Mol => "MOL",
            Projection::Ait => "AIT",
            Projection::Hpx => "HPX",
            Projection::Air => "AIR",
            Projection::Ncp => "NCP",
            Projection::Par => "PAR",
            Projection::Cop => "COP",
            Projection::Coe => "COE",
            Projection::Cod => "COD",
            Projection::Coo => "COO",
            Projection::Bon => "BON",
            Projection::Pco => "PCO",
            Projection::Tsc => "TSC",
            Projection::Csc => "CSC",
            Projection::Qsc => "QSC",
            Projection::Xph => "XPH",
        }
    }

    /// The supported codes, space-separated, for messages.
    fn supported() -> String {
        Projection::ALL.map(Projection::code).join(" ")
    }
}

impl fmt::Display for Projection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Projection {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let code = s.trim().to_ascii_uppercase();
        if let Some(p) = Projection::ALL.into_iter().find(|p| p.code() == code) {
            Ok(p)
        } else if Projection::REFUSED.contains(&code.as_str()) {
            Err(Error::RefusedProjection {
                code,
                supported: Projection::supported(),
            })
        } else {
            Err(Error::UnknownProjection {
                code: s.to_string(),
                supported: Projection::supported(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for p in Projection::ALL {
            assert_eq!(p.code().parse::<Projection>().unwrap(), p);
            assert_eq!(
                p.code().to_ascii_lowercase().parse::<Projection>().unwrap(),
                p
            );
        }
    }

    #[test]
    fn refused_and_unknown_codes_are_told_apart() {
        for code in Projection::REFUSED {
            assert!(matches!(
                code.parse::<Projection>(),
                Err(Error::RefusedProjection { .. })
            ));
        }
        assert!(matches!(
            "XYZ".parse::<Projection>(),
            Err(Error::UnknownProjection { .. })
        ));
    }
}
