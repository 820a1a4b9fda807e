//! Finding a target by name: CDS Sesame over HTTP (through the engine's client and disk
//! cache), or, offline or when Sesame fails, a table of named objects built into the binary.

use crate::error::{Error, Result};
use crate::fetch::{block_on, until, FetchCounters, Fetcher, HttpBackend, Origin, Outcome};
use crate::geometry::{Frame, FrameRotation};
use crate::survey::OpenOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CDS's Sesame name resolver.
pub const SESAME_URL: &str = "https://cds.unistra.fr/cgi-bin/nph-sesame";
/// The longest a Sesame answer is waited for before the built-in table answers instead.
const SESAME_WAIT: Duration = Duration::from_secs(5);
/// The most bytes of a Sesame answer read (one target's XML is about 2 kB).
const SESAME_MAX_BYTES: u64 = 256 << 10;
/// The built-in table (see tools/target_table.py): names, RA and Dec (degrees), major axis.
const OBJECTS: &str = include_str!("objects.tsv");

/// A named object's position.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Target {
    /// Right ascension, degrees (ICRS).
    pub ra: f64,
    /// Declination, degrees (ICRS).
    pub dec: f64,
    /// Its apparent size (major axis), degrees, where the built-in table knows it.
    pub size_deg: Option<f64>,
    /// Who answered.
    pub source: TargetSource,
}

impl Target {
    /// The position in `frame`, degrees.
    pub fn centre_in(&self, frame: Frame) -> (f64, f64) {
        FrameRotation::new(Frame::Icrs, frame).apply_deg(self.ra, self.dec)
    }
}

/// Where a target's position came from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TargetSource {
    /// CDS Sesame (Simbad, NED or VizieR), just now.
    Sesame,
    /// An earlier Sesame answer, from the disk cache.
    Cache,
    /// The built-in table (OpenNGC), with why Sesame did not answer.
    Table {
        /// Why Sesame was not used.
        reason: String,
    },
}

/// Finds `name` through Sesame (at `opts.sesame`, or [`SESAME_URL`]), whose answers the disk
/// cache keeps; if Sesame cannot be reached, fails or does not know the name, the built-in
/// table of Messier and named objects answers. Blocks, from any thread.
pub fn resolve_target(name: &str, opts: &OpenOptions) -> Result<Target> {
    let fetcher = Arc::new(Fetcher::new(&opts.fetch)?);
    block_on(resolve_with(name, opts.sesame.as_deref(), &fetcher))
}

/// [`resolve_target`] through `fetcher` (an engine's client, limits and disk cache).
pub(crate) async fn resolve_with(
    name: &str,
    sesame: Option<&str>,
    fetcher: &Arc<Fetcher>,
) -> Result<Target> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(Error::invalid(format!("`{name}` is not an object name")));
    }
    let asked = ask_sesame(name, sesame.unwrap_or(SESAME_URL), fetcher).await;
    let reason = match asked {
        Ok(target) => return Ok(target),
        Err(reason) => reason,
    };
    match from_table(name) {
        Some((ra, dec, size_deg)) => Ok(Target {
            ra,
            dec,
            size_deg,
            source: TargetSource::Table { reason },
        }),
        None => Err(Error::UnknownTarget {
            name: name.to_string(),
            reason,
        }),
    }
}

/// Sesame's answer for `name`, or why there is none.
async fn ask_sesame(
    name: &str,
    sesame: &str,
    fetcher: &Arc<Fetcher>,
) -> std::result::Result<Target, String> {
    let http = HttpBackend::new(sesame, fetcher).map_err(|e| e.to_string())?;
    let query = format!("-ox/SNV?{}", encode(name));
    let counters = FetchCounters::default();
    let get = http.get(&query, SESAME_MAX_BYTES, false, &counters);
    let deadline = Instant::now() + SESAME_WAIT;
    let outcome = until(Some(deadline), &|_| {}, get)
        .await
        .ok_or_else(|| format!("Sesame did not answer within {} s", SESAME_WAIT.as_secs()))?;
    let (bytes, origin) = match outcome {
        Outcome::Found(bytes, origin) => (bytes, origin),
        Outcome::Missing => return Err("Sesame answered 404".into()),
        Outcome::Failed(reason) => return Err(format!("Sesame failed: {reason}")),
    };
    let (ra, dec) = position_in(&String::from_utf8_lossy(&bytes))
        .ok_or_else(|| "Sesame does not know it".to_string())?;
    if origin == Origin::Network {
        http.remember(&query, &bytes);
    }
    Ok(Target {
        ra,
        dec,
        size_deg: from_table(name).and_then(|(_, _, size)| size),
        source: if origin == Origin::Network {
            TargetSource::Sesame
        } else {
            TargetSource::Cache
        },
    })
}

/// The J2000 position of a Sesame XML answer: its first `<jradeg>` and `<jdedeg>`. Two
/// numbers of a bounded body, found by their tags: no XML parser is needed for them.
pub(crate) fn position_in(xml: &str) -> Option<(f64, f64)> {
    let tag = |name: &str| -> Option<f64> {
        let open = format!("<{name}>");
        let start = xml.find(&open)? + open.len();
        let end = start + xml.get(start..)?.find('<')?;
        xml.get(start..end)?.trim().parse().ok()
    };
    let (ra, dec) = (tag("jradeg")?, tag("jdedeg")?);
    ((0.0..360.0).contains(&ra) && (-90.0..=90.0).contains(&dec)).then_some((ra, dec))
}

/// Percent-encodes a name for a query string.
fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'+' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A name compared loosely: lower case, without spaces, and catalogue numbers without leading
/// zeros (`NGC 0224`, `ngc224` and `NGC224` are one).
fn normalise(name: &str) -> String {
    let squeezed: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let mut out = String::with_capacity(squeezed.len());
    let mut prev_is_letter = false;
    let mut chars = squeezed.chars().peekable();
    while let Some(c) = chars.next() {
        let next_is_digit = chars.peek().is_some_and(char::is_ascii_digit);
        if c == '0' && prev_is_letter && next_is_digit {
            continue;
        }
        prev_is_letter = c.is_alphabetic();
        out.push(c);
    }
    out
}

/// The built-in table's position (degrees) and size (degrees) of `name`.
fn from_table(name: &str) -> Option<(f64, f64, Option<f64>)> {
    let wanted = normalise(name);
    OBJECTS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let mut fields = line.split('\t');
            let names = fields.next()?;
            names
                .split('|')
                .any(|n| normalise(n) == wanted)
                .then_some(())?;
            let ra: f64 = fields.next()?.parse().ok()?;
            let dec: f64 = fields.next()?.parse().ok()?;
            let size = fields.next().and_then(|s| s.parse::<f64>().ok());
            Some((ra, dec, size.map(|arcmin| arcmin / 60.0)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_knows_messier_and_common_names() {
        let (ra, dec, size) = from_table("m 1").unwrap();
        assert!((ra - 83.633).abs() < 0.01 && (dec - 22.014).abs() < 0.01);
        assert!((size.unwrap() - 8.0 / 60.0).abs() < 1e-9);
        for name in [
            "M31",
            "NGC 224",
            "ngc0224",
            "Andromeda Galaxy",
            "andromeda galaxy",
        ] {
            let (ra, _, _) = from_table(name).unwrap_or_else(|| panic!("{name}"));
            assert!((ra - 10.68).abs() < 0.01, "{name}");
        }
        let messier = |n: &str| {
            n.strip_prefix('M')
                .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        };
        let count = OBJECTS
            .lines()
            .filter(|l| l.split(['|', '\t']).any(messier))
            .count();
        assert_eq!(count, 110);
        assert!(from_table("M111").is_none() && from_table("Vulcan").is_none());
    }

    #[test]
    fn sesame_answers_are_read_by_their_tags() {
        let xml = "<Sesame><Target><Resolver name=\"S=Simbad\"><jpos>05:34:31.94 +22:00:52.2</jpos>\
                   <jradeg>83.63308</jradeg><jdedeg>+22.01450</jdedeg></Resolver></Target></Sesame>";
        assert_eq!(position_in(xml), Some((83.63308, 22.0145)));
        assert_eq!(position_in("<INFO>*** Nothing found</INFO>"), None);
        assert_eq!(position_in("<jradeg>400</jradeg><jdedeg>0</jdedeg>"), None);
        assert_eq!(position_in("<jradeg>1"), None);
        assert_eq!(encode("NGC 224&x"), "NGC%20224%26x");
    }
}
