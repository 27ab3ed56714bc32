//! The PNG file writer every figure goes through: 8-bit RGB with text
//! chunks (what the figure shows, the map's pixel box), written to a
//! temporary name and renamed, so a failed run leaves no partial file.

use amrkit_io::atomic::write_with;
use std::path::Path;

/// Writes an 8-bit RGB image (`w × h`, rows top to bottom) with text
/// chunks, through a temporary file.
pub fn write_rgb(
    path: &Path,
    w: usize,
    h: usize,
    img: &[u8],
    text: &[(&str, &str)],
) -> amrkit_io::Result<()> {
    write_with(path, |out| {
        let mut enc = png::Encoder::new(out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        for (k, v) in text {
            enc.add_text_chunk(k.to_string(), v.to_string())
                .map_err(std::io::Error::other)?;
        }
        let mut wr = enc.write_header().map_err(std::io::Error::other)?;
        wr.write_image_data(img).map_err(std::io::Error::other)?;
        wr.finish().map_err(std::io::Error::other)
    })
}
