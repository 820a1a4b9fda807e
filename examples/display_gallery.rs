//! Renders the gallery of display options in the README (docs/display.jpg): one DSS2 red field
//! (FITS tiles from tests/data) shown six ways, and the embedded colour survey as it is and as
//! one band in a colormap.
//!
//!     cargo run --release --example display_gallery

use hipscut::{
    render, Band, Colormap, Cut, Cuts, Display, OutputFormat, RenderRequest, Stretch, Survey,
    TileFormat, View,
};

const SIDE: u32 = 256;

fn panel(
    survey: &Survey,
    request: &RenderRequest,
    display: Display,
) -> anyhow::Result<image::RgbImage> {
    let mut rendered = render(survey, request)?;
    rendered.display = display;
    let mut png = Vec::new();
    rendered.encode(OutputFormat::Png, &mut png)?;
    Ok(image::load_from_memory(&png)?.to_rgb8())
}

fn main() -> anyhow::Result<()> {
    let dss = Survey::open(Some(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/DSS2Red"
    )))?;
    let field = View::default()
        .centre(272.5, -33.0)
        .fov(3.0)
        .size(SIDE as usize, SIDE as usize);
    let fits = RenderRequest::new(field)
        .order(3)
        .tile_format(TileFormat::Fits);
    let with = |stretch, map: &str, min: &str, max: &str| -> anyhow::Result<Display> {
        let mut d = Display::default()
            .stretch(stretch)
            .colormap(map.parse::<Colormap>()?);
        d.min_cut = min.parse::<Cuts>()?;
        d.max_cut = max.parse::<Cuts>()?;
        Ok(d)
    };
    let mut panels = vec![
        panel(&dss, &fits, Display::default())?,
        panel(
            &dss,
            &fits,
            with(Stretch::Asinh, "viridis", "0.5%", "99.5%")?,
        )?,
        panel(&dss, &fits, with(Stretch::Sqrt, "magma", "1%", "99.9%")?)?,
        panel(&dss, &fits, with(Stretch::Linear, "RdBu_r", "5%", "95%")?)?,
    ];
    let sky = Survey::open(None)?;
    let galaxy = View::default()
        .centre(266.4, -28.9)
        .fov(60.0)
        .size(SIDE as usize, SIDE as usize);
    let colour = RenderRequest::new(galaxy);
    panels.push(panel(&sky, &colour, Display::default())?);
    let mut red = with(Stretch::Log, "inferno", "1%", "99.5%")?;
    red.band = Some(Band::R);
    red.min_cut = Cuts::All(Cut::Percentile(1.0));
    panels.push(panel(&sky, &colour, red)?);
    let gap = 6;
    let (cols, rows) = (3u32, 2u32);
    let mut canvas = image::RgbImage::from_pixel(
        cols * SIDE + (cols - 1) * gap,
        rows * SIDE + (rows - 1) * gap,
        image::Rgb([255, 255, 255]),
    );
    for (k, p) in panels.iter().enumerate() {
        let (c, r) = (k as u32 % cols, k as u32 / cols);
        image::imageops::overlay(
            &mut canvas,
            p,
            i64::from(c * (SIDE + gap)),
            i64::from(r * (SIDE + gap)),
        );
    }
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/display.jpg");
    canvas.save(out)?;
    println!("wrote {out}");
    Ok(())
}
