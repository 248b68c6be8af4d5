//! HEIC/HEIF photos, as iPhones take them, decoded with libheif (built from the sources the
//! `libheif-rs` crate carries, against the system's libde265 for HEVC). libheif applies the
//! file's rotation and mirroring while decoding, so the pixels come out upright; the file's
//! metadata (EXIF with GPS, XMP) is never read, and the JPEGs made from the pixels carry none.

use image::RgbImage;

use super::process::{PhotoError, PhotoLimits, check_pixels};

/// Whether `bytes` start like a HEIF file: an ISO-BMFF `ftyp` box naming a HEIF brand.
pub fn looks_like_heif(bytes: &[u8]) -> bool {
    const BRANDS: [&[u8; 4]; 8] = [
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
    ];
    bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && BRANDS.iter().any(|b| &bytes[8..12] == *b)
}

#[cfg(feature = "heic")]
pub fn decode(bytes: &[u8], limits: &PhotoLimits) -> Result<RgbImage, PhotoError> {
    use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

    let context = HeifContext::read_from_bytes(bytes).map_err(|_| PhotoError::Damaged)?;
    let handle = context
        .primary_image_handle()
        .map_err(|_| PhotoError::Damaged)?;
    // Checked before decoding, as for the other formats: a bomb is refused unread.
    check_pixels(
        u64::from(handle.width()),
        u64::from(handle.height()),
        limits,
    )?;
    let image = LibHeif::new()
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(|_| PhotoError::Damaged)?;
    let planes = image.planes();
    let plane = planes.interleaved.ok_or(PhotoError::Damaged)?;
    let row_bytes = usize::try_from(plane.width).map_err(|_| PhotoError::Damaged)? * 3;
    let rows = usize::try_from(plane.height).map_err(|_| PhotoError::Damaged)?;
    if plane.stride < row_bytes
        || plane.data.len() < plane.stride * rows.saturating_sub(1) + row_bytes
    {
        return Err(PhotoError::Damaged);
    }
    let mut pixels = Vec::with_capacity(row_bytes * rows);
    for row in 0..rows {
        let start = row * plane.stride;
        pixels.extend_from_slice(&plane.data[start..start + row_bytes]);
    }
    RgbImage::from_raw(plane.width, plane.height, pixels).ok_or(PhotoError::Damaged)
}

/// Built without the `heic` feature (no libheif): HEIC is refused like any unknown format.
#[cfg(not(feature = "heic"))]
pub fn decode(_bytes: &[u8], _limits: &PhotoLimits) -> Result<RgbImage, PhotoError> {
    Err(PhotoError::NotAnImage)
}
