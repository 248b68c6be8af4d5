//! Photo pipeline speed against libvips, by hand: `cargo bench --bench thumbnail [-- PHOTO.jpg]`.
//!
//! Without a photo it makes a 24 MP camera-like JPEG (textured, so it compresses like a real
//! one). Both sides make the same two outputs from the same file: a 1600 px display version
//! and a 400 px thumbnail. libvips runs as `vipsthumbnail` (Debian: libvips-tools), process
//! start-up included, which is how a photo service would call it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bruka::photos::{PhotoLimits, process};

const RUNS: usize = 7;

fn camera_like_jpeg(path: &Path) {
    let (width, height) = (6000u32, 4000u32);
    let mut state = 0x2545_f491_u32;
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        // xorshift noise over smooth gradients: roughly the entropy of a real photo.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state & 0x1f) as u8;
        image::Rgb([
            ((x * 200 / width) as u8).saturating_add(noise),
            ((y * 180 / height) as u8).saturating_add(noise / 2),
            (((x + y) * 120 / (width + height)) as u8).saturating_add(noise),
        ])
    });
    let file = std::fs::File::create(path).expect("temp file");
    let mut writer = std::io::BufWriter::new(file);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut writer, 90)
        .encode_image(&image)
        .expect("encode test photo");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time_bruka(bytes: &[u8]) -> Duration {
    let limits = PhotoLimits::default();
    process(bytes, &limits).expect("warm-up");
    median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                let processed = process(bytes, &limits).expect("processes");
                std::hint::black_box(processed);
                start.elapsed()
            })
            .collect(),
    )
}

fn time_vips(photo: &Path, out_dir: &Path, sizes: &[&str]) -> Option<Duration> {
    let run = |size: &str, name: &str| {
        Command::new("vipsthumbnail")
            .arg(photo)
            .args(["--size", size, "-o"])
            .arg(out_dir.join(format!("{name}.jpg[Q=82,strip]")))
            .status()
            .ok()
            .filter(|status| status.success())
    };
    run("1600", "warm")?;
    Some(median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                for size in sizes {
                    run(size, size);
                }
                start.elapsed()
            })
            .collect(),
    ))
}

fn main() {
    let dir = std::env::temp_dir().join("bruka-thumbnail-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let photo = match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = dir.join("camera-24mp.jpg");
            if !path.exists() {
                println!("making a 24 MP test photo …");
                camera_like_jpeg(&path);
            }
            path
        }
    };
    let bytes = std::fs::read(&photo).expect("photo readable");
    let (width, height) = image::image_dimensions(&photo).expect("a JPEG");
    println!(
        "photo: {} ({width}×{height}, {:.1} MB), median of {RUNS} runs",
        photo.display(),
        bytes.len() as f64 / 1e6
    );
    let bruka = time_bruka(&bytes);
    println!("bruka  (decode at reduced size + fast_image_resize, 1600 + 400 px): {bruka:>8.1?}");
    match (
        time_vips(&photo, &dir, &["1600", "400"]),
        time_vips(&photo, &dir, &["1600"]),
    ) {
        (Some(vips), Some(vips_display)) => {
            println!("libvips (vipsthumbnail 1600 px + 400 px):                     {vips:>8.1?}");
            println!(
                "libvips (vipsthumbnail 1600 px only):                         {vips_display:>8.1?}"
            );
            println!(
                "ratio bruka/libvips, same outputs: {:.2} (goal: ≤ 1.00)",
                bruka.as_secs_f64() / vips.as_secs_f64()
            );
            println!(
                "ratio bruka (both sizes) / libvips (one size): {:.2}",
                bruka.as_secs_f64() / vips_display.as_secs_f64()
            );
        }
        _ => {
            println!("vipsthumbnail not found: apt-get install libvips-tools to compare");
            std::process::exit(1);
        }
    }
}
