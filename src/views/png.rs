//! PNG from the diagram's SVG, rendered in-process by resvg with DejaVu Sans embedded in the binary: no browser,
//! no external program, no system fonts (so the same diagram gives the same pixels on every machine, and a
//! server without fonts installed still draws readable labels).

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

/// DejaVu Sans (Bitstream Vera license, see assets/fonts/LICENSE).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The family the SVG names first.
const FAMILY: &str = "DejaVu Sans";

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the diagram's SVG could not be read back ({0}); this is a bug in rift's drawing")]
    Svg(String),
    #[error("a {0}×{1} pixel image is too large to render; draw fewer resources at a time")]
    Size(u32, u32),
    #[error("the PNG could not be encoded: {0}")]
    Encode(String),
}

/// A rendered PNG and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The options every render shares: parsing the font once per process, not once per picture.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = usvg::Options {
            font_family: FAMILY.to_string(),
            ..usvg::Options::default()
        };
        let fonts = options.fontdb_mut();
        fonts.load_font_source(usvg::fontdb::Source::Binary(Arc::new(FONT)));
        fonts.set_sans_serif_family(FAMILY);
        options
    })
}

/// 8-bit RGB with fdeflate's fast compression: the diagram is drawn on an opaque background, so the alpha channel
/// says nothing, and a mostly flat picture compresses well at that speed (the default encoder spent most of a
/// large diagram's time compressing).
fn encode(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, png::EncodingError> {
    let rgb: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|pixel| {
            let pixel = pixel.demultiply();
            [pixel.red(), pixel.green(), pixel.blue()]
        })
        .collect();
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// Renders `svg` at its own size (one SVG unit, one pixel) on its own background.
pub fn render(svg: &str) -> Result<Png, PngError> {
    let tree = usvg::Tree::from_str(svg, options()).map_err(|e| PngError::Svg(e.to_string()))?;
    let size = tree.size().to_int_size();
    let (width, height) = (size.width(), size.height());
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or(PngError::Size(width, height))?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    let bytes = encode(&pixmap).map_err(|e| PngError::Encode(e.to_string()))?;
    Ok(Png {
        bytes,
        width,
        height,
    })
}
