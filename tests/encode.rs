//! Encoding in memory gives the bytes of the file the CLI writes, in every output format.

use hipscut::{render, OutputFormat, RenderRequest, Survey, View};

#[test]
fn in_memory_encoding_equals_the_written_file() {
    let survey = Survey::open(None).unwrap();
    let request = RenderRequest::new(View::default().centre(83.6, 22.0).fov(30.0).size(90, 60));
    let rendered = render(&survey, &request).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (format, name, magic) in [
        (
            OutputFormat::Fits,
            "a.fits",
            &b"SIMPLE  =                    T"[..],
        ),
        (OutputFormat::Png, "a.png", &b"\x89PNG\r\n\x1a\n"[..]),
        (OutputFormat::Jpeg, "a.jpg", &b"\xff\xd8\xff"[..]),
    ] {
        let mut memory = Vec::new();
        rendered.encode(format, &mut memory).unwrap();
        assert!(memory.starts_with(magic), "{format}");
        let path = dir.path().join(name);
        rendered.write_file(&path).unwrap();
        let file = std::fs::read(&path).unwrap();
        assert!(memory == file, "{format}: memory and file differ");
        assert_eq!(OutputFormat::from_path(&path).unwrap(), format);
        assert_eq!(format.to_string().parse::<OutputFormat>().unwrap(), format);
    }
    // A FITS image is whole: 2880-byte blocks holding the header and 90×60×3 floats.
    let mut fits = Vec::new();
    rendered.encode(OutputFormat::Fits, &mut fits).unwrap();
    assert_eq!(fits.len() % 2880, 0);
    assert!(fits.len() >= 2880 + 90 * 60 * 3 * 4);
}
