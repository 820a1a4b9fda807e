//! hipscut's pixel → sky mapping against astropy's reading of the FITS headers hipscut writes
//! (reference values made by tools/astropy_wcs_reference.py), in every projection.

use hipscut::internals::{geometry_of_view, lonlat_to_xyz, xyz_to_lonlat, ResolvedView};
use hipscut::{Field, Frame, OutputGeometry, Projection, Survey, WcsHeader};
use serde_json::Value;

fn separation_deg(a: (f64, f64), b: (f64, f64)) -> f64 {
    let va = lonlat_to_xyz(a.0.to_radians(), a.1.to_radians());
    let vb = lonlat_to_xyz(b.0.to_radians(), b.1.to_radians());
    let cross = [
        va[1] * vb[2] - va[2] * vb[1],
        va[2] * vb[0] - va[0] * vb[2],
        va[0] * vb[1] - va[1] * vb[0],
    ];
    let sin = (cross.iter().map(|c| c * c).sum::<f64>()).sqrt();
    let cos: f64 = (0..3).map(|k| va[k] * vb[k]).sum();
    sin.atan2(cos).to_degrees()
}

#[test]
fn pixel_to_sky_matches_astropy_in_every_projection() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/wcs/astropy_reference.json"
    );
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 57);
    let mut compared = 0;
    let mut failures = Vec::new();
    let mut codes = std::collections::BTreeSet::new();
    for case in cases {
        let code = case["projection"].as_str().unwrap();
        codes.insert(code.to_string());
        let (label, geometry) = geometry_of_case(case);
        let geometry = geometry.unwrap_or_else(|e| panic!("{label}: {e}"));
        let mut invalid_disagreements = 0;
        let mut worst = 0f64;
        for p in case["points"].as_array().unwrap() {
            let (col, row) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            let ours = geometry.pixel_to_sky(col, row).map(|v| {
                let (lon, lat) = xyz_to_lonlat(v);
                (lon.to_degrees(), lat.to_degrees())
            });
            match (ours, p[2].as_f64().zip(p[3].as_f64())) {
                (Some(a), Some(b)) => {
                    worst = worst.max(separation_deg(a, b));
                    compared += 1;
                }
                (None, None) => {}
                (ours, theirs) => {
                    eprintln!("{label}: pixel ({col}, {row}) ours {ours:?}, astropy {theirs:?}");
                    invalid_disagreements += 1;
                }
            }
        }
        // 1e-5° (36 mas) is a thousandth of a pixel or less for any field this tool renders.
        if worst > 1e-5 || invalid_disagreements > 0 {
            failures.push(format!(
                "{label}: worst {worst:.2e}°, {invalid_disagreements} domain disagreements"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements with astropy:\n{}",
        failures.join("\n")
    );
    assert!(compared > 4000, "{compared} points compared");
    // Every projection offered is checked.
    for p in Projection::ALL {
        assert!(codes.contains(p.code()), "{p} has no reference case");
    }
}

/// A case's label and geometry: a view, or a header with projection parameters.
fn geometry_of_case(case: &Value) -> (String, hipscut::Result<OutputGeometry>) {
    let f = |k: &str| case[k].as_f64().unwrap();
    let code = case["projection"].as_str().unwrap();
    if let Some(header) = case["header"].as_object() {
        let cards: Vec<(String, String)> = header
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
            .collect();
        let pv: Vec<String> = cards
            .iter()
            .filter(|(k, _)| k.starts_with("PV"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let label = format!("{code} with {}", pv.join(" "));
        let header = WcsHeader::from_cards(cards);
        let survey = Survey::open(None).unwrap();
        return (label, Field::Wcs(header).geometry(&survey));
    }
    let label = format!("{code} at ({}, {}) fov {}", f("lon"), f("lat"), f("fov"));
    let view = ResolvedView {
        lon: f("lon"),
        lat: f("lat"),
        fov: f("fov"),
        width: f("width") as usize,
        height: f("height") as usize,
        projection: code.parse::<Projection>().unwrap(),
        rotation: f("rotation"),
        frame: match case["frame"].as_str().unwrap() {
            "galactic" => Frame::Galactic,
            _ => Frame::Icrs,
        },
    };
    (label, geometry_of_view(&view))
}
