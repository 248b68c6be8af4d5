//! Mail: queued in the database with the event that causes it, rendered and delivered by a
//! background worker over SMTP or into a folder.

pub mod digest;
mod folder;
pub mod notices;
pub mod outbox;
pub mod render;
mod worker;

pub use worker::{MailWorker, Pacing, SMTP_TIMEOUT, Transport, TransportError};

use std::sync::Arc;

use tokio::sync::Notify;

/// A rendered mail, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl OutgoingMail {
    pub fn new(to: &str, subject: String, text: String, html: String) -> Self {
        Self {
            to: to.to_string(),
            subject,
            text,
            html,
        }
    }
}

/// What request handlers need of the mail system: a way to wake the worker after their
/// transaction (which wrote the outbox row) has committed.
#[derive(Clone)]
pub struct MailQueue {
    wake: Arc<Notify>,
    /// With no SMTP server, sign-in links are also logged so a local install works offline.
    pub logs_links: bool,
}

impl MailQueue {
    pub fn new(logs_links: bool) -> Self {
        Self {
            wake: Arc::new(Notify::new()),
            logs_links,
        }
    }

    pub fn wake_worker(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
