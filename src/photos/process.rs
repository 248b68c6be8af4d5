//! Turning an uploaded photo into the two JPEGs Bruka serves: a 400 px thumbnail and a
//! 1600 px display version, upright, with every piece of metadata (GPS!) left behind.
//!
//! JPEGs from phone cameras are large (12-24 MP); they are decoded at reduced size with
//! jpeg-decoder's DCT scaling, which is most of the speed. PNG and WebP go through `image`
//! with decoding limits, HEIC through libheif (see [`super::heif`]). Resizing uses fast_image_resize.

use std::io::Cursor;

use fast_image_resize::{ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};

pub const DISPLAY_SIZE: u32 = 1600;
pub const THUMB_SIZE: u32 = 400;
const DISPLAY_QUALITY: u8 = 82;
const THUMB_QUALITY: u8 = 78;

/// The most pixels a photo may have.
pub const MAX_PIXELS: u64 = 50_000_000;

#[derive(Debug, Clone, Copy)]
pub struct PhotoLimits {
    pub max_bytes: usize,
    pub max_pixels: u64,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            // A 48 MP phone photo (8 064 × 6 048) fits; above that is a decompression
            // bomb more often than a camera, and one decode of 50 MP takes about 300 MB.
            max_pixels: MAX_PIXELS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the file is larger than the limit")]
    TooLarge,
    #[error("the file is not a JPEG, PNG, WebP or HEIC image")]
    NotAnImage,
    #[error("the image has too many pixels")]
    TooManyPixels,
    #[error("the image is damaged or incomplete")]
    Damaged,
    /// The photo was fine, the store did not answer.
    #[error("the photo store is not answering")]
    StoreUnavailable,
}

impl PhotoError {
    /// The message for the person uploading.
    pub fn message_key(&self) -> &'static str {
        match self {
            PhotoError::TooLarge => "photo-error-too-large",
            PhotoError::NotAnImage => "photo-error-not-image",
            PhotoError::TooManyPixels => "photo-error-too-many-pixels",
            PhotoError::Damaged => "photo-error-damaged",
            PhotoError::StoreUnavailable => "photo-error-store-unavailable",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// Content address: the same upload always gets the same key.
    pub key: String,
    pub display: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

pub fn process(bytes: &[u8], limits: &PhotoLimits) -> Result<ProcessedPhoto, PhotoError> {
    if bytes.len() > limits.max_bytes {
        return Err(PhotoError::TooLarge);
    }
    let upright = if super::heif::looks_like_heif(bytes) {
        super::heif::decode(bytes, limits)?
    } else {
        match image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)? {
            ImageFormat::Jpeg => decode_jpeg(bytes, limits)?,
            format @ (ImageFormat::Png | ImageFormat::WebP) => decode_other(bytes, format, limits)?,
            _ => return Err(PhotoError::NotAnImage),
        }
    };
    let display = fit(&upright, DISPLAY_SIZE)?;
    let thumb = fit(&display, THUMB_SIZE)?;
    let key = Sha256::digest(bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(ProcessedPhoto {
        key,
        width: display.width(),
        height: display.height(),
        display: encode(&display, DISPLAY_QUALITY)?,
        thumb: encode(&thumb, THUMB_QUALITY)?,
    })
}

pub(super) fn check_pixels(
    width: u64,
    height: u64,
    limits: &PhotoLimits,
) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Damaged);
    }
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(PhotoError::TooManyPixels);
    }
    Ok(())
}

/// Decodes at the smallest DCT scale that still covers the display size.
fn decode_jpeg(bytes: &[u8], limits: &PhotoLimits) -> Result<RgbImage, PhotoError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|_| PhotoError::Damaged)?;
    let info = decoder.info().ok_or(PhotoError::Damaged)?;
    check_pixels(u64::from(info.width), u64::from(info.height), limits)?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let target = u16::try_from(DISPLAY_SIZE).unwrap_or(u16::MAX);
    let (width, height) = decoder
        .scale(target, target)
        .map_err(|_| PhotoError::Damaged)?;
    let pixels = decoder.decode().map_err(|_| PhotoError::Damaged)?;
    let (width, height) = (u32::from(width), u32::from(height));
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(width, height, pixels),
        jpeg_decoder::PixelFormat::L8 => image::GrayImage::from_raw(width, height, pixels)
            .map(|gray| DynamicImage::ImageLuma8(gray).to_rgb8()),
        jpeg_decoder::PixelFormat::CMYK32 => {
            let rgb: Vec<u8> = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    // Adobe CMYK JPEGs are stored inverted.
                    let k = u16::from(p[3]);
                    [p[0], p[1], p[2]].map(|c| ((u16::from(c) * k) / 255) as u8)
                })
                .collect();
            RgbImage::from_raw(width, height, rgb)
        }
        jpeg_decoder::PixelFormat::L16 => None,
    }
    .ok_or(PhotoError::Damaged)?;
    let mut image = DynamicImage::ImageRgb8(rgb);
    image.apply_orientation(orientation);
    Ok(image.to_rgb8())
}

fn decode_other(
    bytes: &[u8],
    format: ImageFormat,
    limits: &PhotoLimits,
) -> Result<RgbImage, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = Limits::default();
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    decoder_limits.max_image_width = Some(side);
    decoder_limits.max_image_height = Some(side);
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4));
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    let (width, height) = decoder.dimensions();
    check_pixels(u64::from(width), u64::from(height), limits)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(classify)?;
    image.apply_orientation(orientation);
    Ok(flatten_on_white(image))
}

fn classify(error: image::ImageError) -> PhotoError {
    match error {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        image::ImageError::Unsupported(_) => PhotoError::NotAnImage,
        _ => PhotoError::Damaged,
    }
}

/// Transparent areas become white, as on the page, instead of whatever colour hid there.
fn flatten_on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = RgbImage::new(width, height);
    for (target, source) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(source[3]);
        for channel in 0..3 {
            let value = u16::from(source[channel]) * alpha + 255 * (255 - alpha);
            target[channel] = (value / 255) as u8;
        }
    }
    rgb
}

/// Scales down to fit a `size`×`size` box; smaller images are kept as they are.
fn fit(source: &RgbImage, size: u32) -> Result<RgbImage, PhotoError> {
    let (width, height) = source.dimensions();
    if width <= size && height <= size {
        return Ok(source.clone());
    }
    let scale = f64::from(size) / f64::from(width.max(height));
    let target_width = ((f64::from(width) * scale).round() as u32).max(1);
    let target_height = ((f64::from(height) * scale).round() as u32).max(1);
    let source = DynamicImage::ImageRgb8(source.clone());
    let mut target = DynamicImage::ImageRgb8(RgbImage::new(target_width, target_height));
    Resizer::new()
        .resize(&source, &mut target, &ResizeOptions::new())
        .map_err(|_| PhotoError::Damaged)?;
    Ok(target.to_rgb8())
}

/// Re-encoding writes pixels only: no EXIF, no GPS, no comments survive.
fn encode(image: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .map_err(|_| PhotoError::Damaged)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        encode(&image, 90).expect("encodes")
    }

    #[test]
    fn large_photos_are_scaled_into_both_sizes() {
        let processed = process(&jpeg(4000, 3000), &PhotoLimits::default()).expect("processed");
        assert_eq!((processed.width, processed.height), (1600, 1200));
        let thumb = image::load_from_memory(&processed.thumb).expect("thumb decodes");
        assert_eq!((thumb.width(), thumb.height()), (400, 300));
        assert_eq!(processed.key.len(), 32);
    }

    #[test]
    fn small_photos_are_not_enlarged() {
        let processed = process(&jpeg(300, 200), &PhotoLimits::default()).expect("processed");
        assert_eq!((processed.width, processed.height), (300, 200));
    }

    #[test]
    fn non_images_truncated_and_oversized_files_are_refused() {
        let limits = PhotoLimits::default();
        assert_eq!(
            process(b"%PDF-1.7 not a photo", &limits).err(),
            Some(PhotoError::NotAnImage)
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(process(gif, &limits).err(), Some(PhotoError::NotAnImage));
        let whole = jpeg(800, 600);
        assert_eq!(
            process(&whole[..whole.len() / 3], &limits).err(),
            Some(PhotoError::Damaged)
        );
        let small = PhotoLimits {
            max_bytes: 100,
            ..limits
        };
        assert_eq!(process(&whole, &small).err(), Some(PhotoError::TooLarge));
        let few_pixels = PhotoLimits {
            max_pixels: 1000,
            ..limits
        };
        assert_eq!(
            process(&whole, &few_pixels).err(),
            Some(PhotoError::TooManyPixels)
        );
    }

    #[test]
    fn a_48_megapixel_phone_photo_fits_and_a_bomb_does_not() {
        let pixels = PhotoLimits::default().max_pixels;
        assert!(pixels >= 8_064 * 6_048, "a 48 MP phone photo");
        assert!(pixels < 100_000_000, "the 100 MP bomb of the review");
    }

    /// A 96 × 64 HEIC made with libheif's `heif-enc`: the left half red, the right blue.
    const HEIC: &[u8] = include_bytes!("../../tests/fixtures/two-colours.heic");

    #[cfg(feature = "heic")]
    #[test]
    fn heic_photos_become_plain_jpegs() {
        let processed = process(HEIC, &PhotoLimits::default()).expect("processed");
        assert_eq!((processed.width, processed.height), (96, 64));
        let display = image::load_from_memory(&processed.display)
            .expect("decodes")
            .to_rgb8();
        assert!(
            display[(10, 32)][0] > 150 && display[(10, 32)][2] < 100,
            "red left"
        );
        assert!(
            display[(86, 32)][2] > 150 && display[(86, 32)][0] < 100,
            "blue right"
        );
        assert!(!processed.display.windows(4).any(|w| w == b"Exif"));
        let truncated = &HEIC[..HEIC.len() / 2];
        assert_eq!(
            process(truncated, &PhotoLimits::default()).err(),
            Some(PhotoError::Damaged)
        );
        let tiny = PhotoLimits {
            max_pixels: 1000,
            ..PhotoLimits::default()
        };
        assert_eq!(process(HEIC, &tiny).err(), Some(PhotoError::TooManyPixels));
    }

    #[cfg(not(feature = "heic"))]
    #[test]
    fn heic_is_refused_without_libheif() {
        assert_eq!(
            process(HEIC, &PhotoLimits::default()).err(),
            Some(PhotoError::NotAnImage)
        );
    }

    #[test]
    fn transparent_png_becomes_white() {
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            10,
            10,
            image::Rgba([0, 0, 0, 0]),
        ))
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("png");
        let processed = process(&png, &PhotoLimits::default()).expect("processed");
        let pixel = image::load_from_memory(&processed.display)
            .expect("decodes")
            .to_rgb8()[(5, 5)];
        assert!(pixel.0.iter().all(|c| *c > 245), "{pixel:?}");
    }
}

#[cfg(test)]
mod exif_tests {
    use super::*;

    /// A JPEG carrying an EXIF block with the given orientation and a GPS position.
    pub fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let plain = {
            let image = RgbImage::from_fn(width, height, |x, _| {
                if x < width / 2 {
                    image::Rgb([255, 0, 0])
                } else {
                    image::Rgb([0, 0, 255])
                }
            });
            encode(&image, 95).expect("encodes")
        };
        // TIFF, little endian: IFD0 with Orientation and a GPS IFD pointer; GPS IFD with latitude ref.
        let mut tiff: Vec<u8> = b"II*\0".to_vec();
        tiff.extend_from_slice(&8u32.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&u32::from(orientation).to_le_bytes());
        tiff.extend_from_slice(&0x8825u16.to_le_bytes());
        tiff.extend_from_slice(&4u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&38u32.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x0001u16.to_le_bytes());
        tiff.extend_from_slice(&2u16.to_le_bytes());
        tiff.extend_from_slice(&2u32.to_le_bytes());
        tiff.extend_from_slice(b"N\0\0\0");
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&u16::try_from(app1.len() + 2).expect("small").to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn exif_orientation_is_applied_and_metadata_dropped() {
        // Orientation 6: the camera was turned; the picture must be rotated 90° clockwise.
        let upload = jpeg_with_exif(200, 100, 6);
        let processed = process(&upload, &PhotoLimits::default()).expect("processed");
        assert_eq!((processed.width, processed.height), (100, 200), "upright");
        let display = image::load_from_memory(&processed.display)
            .expect("decodes")
            .to_rgb8();
        // The left (red) half of the sensor is now the top.
        assert!(display[(50, 10)][0] > 200 && display[(50, 190)][2] > 200);
        for output in [&processed.display, &processed.thumb] {
            assert!(!output.windows(4).any(|w| w == b"Exif"), "no EXIF left");
        }
    }
}
