//! Decoding uploads takes hundreds of megabytes for the largest photos; this keeps an
//! instance to a few at a time, queueing the rest, so a burst of uploads cannot exhaust
//! its memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::{PhotoError, PhotoLimits, ProcessedPhoto, process};

#[derive(Clone)]
pub struct Decoder {
    permits: Arc<Semaphore>,
    limits: PhotoLimits,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Decoder {
    /// At most `at_once` decodes run together (at least one).
    pub fn new(at_once: usize, limits: PhotoLimits) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
            limits,
            running: Arc::default(),
            peak: Arc::default(),
        }
    }

    /// The most decodes that ran at once since start; for tests and diagnostics.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Processes one upload when a decode slot is free.
    pub async fn process(
        &self,
        upload: Vec<u8>,
    ) -> Result<Result<ProcessedPhoto, PhotoError>, tokio::task::JoinError> {
        // The semaphore is never closed, so waiting cannot fail; if it did, decoding
        // without a slot is still correct.
        let _permit = self.permits.acquire().await.ok();
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let limits = self.limits;
        let outcome = tokio::task::spawn_blocking(move || process(&upload, &limits)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> Vec<u8> {
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            1200,
            900,
            image::Rgb([120, 90, 60]),
        ))
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
        jpeg
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_than_the_setting_decode_at_once_and_the_rest_wait() {
        let decoder = Decoder::new(2, PhotoLimits::default());
        let uploads = (0..8).map(|_| {
            let decoder = decoder.clone();
            let upload = photo();
            tokio::spawn(async move { decoder.process(upload).await })
        });
        for upload in futures_util::future::join_all(uploads).await {
            let processed = upload.expect("task").expect("decode");
            assert!(processed.is_ok(), "every photo is processed in turn");
        }
        assert!(decoder.peak() >= 1);
        assert!(decoder.peak() <= 2, "peak {}", decoder.peak());
    }
}
