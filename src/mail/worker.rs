//! Delivers queued mail: wakes when mail is queued, and polls for retries and for mail
//! other instances queued.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::Duration;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue, MessageId};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

use super::folder::Folder;
use tokio::sync::Notify;

use super::notices::{Notice, Recipient};
use super::outbox::{self, QueuedMail};
use super::render::Renderer;
use super::{MailQueue, OutgoingMail};
use crate::db::DbPool;
use crate::i18n::Language;

/// One SMTP conversation may take this long; leases must be longer.
pub const SMTP_TIMEOUT: StdDuration = StdDuration::from_secs(20);

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(Folder),
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid smtp_url: {0}")]
    SmtpUrl(#[from] lettre::transport::smtp::Error),
    #[error("cannot create mail folder {0}: {1}")]
    Folder(String, std::io::Error),
}

impl Transport {
    pub fn smtp(url: &str) -> Result<Self, TransportError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self::Smtp(transport))
    }

    pub fn folder(path: &std::path::Path) -> Result<Self, TransportError> {
        Folder::open(path)
            .map(Self::Folder)
            .map_err(|e| TransportError::Folder(path.display().to_string(), e))
    }

    async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Folder(folder) => folder.deliver(&message).await.map_err(|e| e.to_string()),
        }
    }
}

pub struct MailWorker {
    pool: DbPool,
    transport: Transport,
    renderer: Renderer,
    from: Mailbox,
    wake: Arc<Notify>,
    poll_interval: StdDuration,
    retry_base: Duration,
    lease: Duration,
    /// Outcomes that could not be written (the database was away), written next round.
    unrecorded: Mutex<Vec<Outcome>>,
    /// A delivery failed since the last success: the next success brings the waiting
    /// mail forward.
    failing: AtomicBool,
}

/// What became of one delivery attempt, to be recorded in the outbox.
#[derive(Debug, Clone)]
enum Outcome {
    Sent {
        id: i64,
    },
    Refused {
        id: i64,
        attempts_before: i32,
        error: String,
    },
}

/// How the worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    pub poll_interval: StdDuration,
    pub retry_base: StdDuration,
    /// How long a claimed mail stays with this worker; a stopped worker's mail is picked up
    /// by another after it.
    pub lease: StdDuration,
}

/// Mails picked up per round; the rest wait for the next one, which follows at once.
const BATCH: i64 = 50;

impl MailWorker {
    pub fn new(
        pool: DbPool,
        transport: Transport,
        renderer: Renderer,
        from: Mailbox,
        queue: &MailQueue,
        pacing: Pacing,
    ) -> Self {
        Self {
            pool,
            transport,
            renderer,
            from,
            wake: queue.waker(),
            poll_interval: pacing.poll_interval,
            retry_base: Duration::from_std(pacing.retry_base).unwrap_or(Duration::seconds(5)),
            lease: Duration::from_std(pacing.lease).unwrap_or(Duration::seconds(60)),
            unrecorded: Mutex::new(Vec::new()),
            failing: AtomicBool::new(false),
        }
    }

    /// Runs until the task is dropped. Leases protect rows a stopped worker held.
    pub async fn run(self) {
        loop {
            let delivered = self.deliver_due().await;
            if delivered == BATCH as usize {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut crate::db::AnyConnection) -> diesel::QueryResult<T> + Send + 'static,
    ) -> Option<T> {
        let pool = self.pool.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            // A short wait: if the database is away, the next round tries again.
            let mut conn = pool
                .get_timeout(StdDuration::from_secs(3))
                .map_err(|e| e.to_string())?;
            work(&mut conn).map_err(|e| e.to_string())
        })
        .await;
        match outcome {
            Ok(Ok(value)) => Some(value),
            Ok(Err(error)) => {
                tracing::warn!(%error, "mail outbox unavailable");
                None
            }
            Err(error) => {
                tracing::error!(%error, "mail outbox task failed");
                None
            }
        }
    }

    /// Writes an attempt's outcome; kept for the next round if the database is away, so a
    /// delivered mail's lease running out never sends it again.
    async fn record(&self, outcome: Outcome) -> bool {
        let base = self.retry_base;
        let written = outcome.clone();
        let recorded = self
            .blocking(move |conn| match &written {
                Outcome::Sent { id } => outbox::mark_sent(conn, *id),
                Outcome::Refused {
                    id,
                    attempts_before,
                    error,
                } => outbox::mark_failed(conn, *id, *attempts_before, error, base),
            })
            .await
            .is_some();
        if !recorded && let Ok(mut unrecorded) = self.unrecorded.lock() {
            unrecorded.push(outcome);
        }
        recorded
    }

    async fn record_unrecorded(&self) {
        let waiting = self
            .unrecorded
            .lock()
            .map(|mut unrecorded| std::mem::take(&mut *unrecorded))
            .unwrap_or_default();
        for outcome in waiting {
            self.record(outcome).await;
        }
    }

    /// Returns how many rows were looked at, or a full batch when more are due at once.
    async fn deliver_due(&self) -> usize {
        self.record_unrecorded().await;
        let Some(ids) = self.blocking(|conn| outbox::due(conn, BATCH)).await else {
            return 0;
        };
        let mut brought_forward = 0;
        for &id in &ids {
            let lease = self.lease;
            let Some(Some(mail)) = self
                .blocking(move |conn| outbox::claim(conn, id, lease))
                .await
            else {
                continue;
            };
            if mail.attempted_at.is_some() {
                tracing::warn!(mail_id = id, "{}", outbox::UNCONFIRMED);
                self.blocking(move |conn| outbox::settle_unconfirmed(conn, id))
                    .await;
                continue;
            }
            // Without the record of the attempt the mail is not sent: at most once.
            if self
                .blocking(move |conn| outbox::begin_attempt(conn, id))
                .await
                != Some(true)
            {
                continue;
            }
            match self.deliver(&mail).await {
                Ok(()) => {
                    tracing::info!(mail_id = mail.id, "mail delivered");
                    self.record(Outcome::Sent { id }).await;
                    let recovering = self.failing.swap(false, Ordering::SeqCst);
                    if recovering || mail.attempts > 0 {
                        brought_forward +=
                            self.blocking(outbox::retry_waiting_now).await.unwrap_or(0);
                    }
                }
                Err(error) => {
                    tracing::warn!(mail_id = mail.id, attempt = mail.attempts + 1, %error, "mail delivery failed; will retry");
                    self.failing.store(true, Ordering::SeqCst);
                    self.record(Outcome::Refused {
                        id,
                        attempts_before: mail.attempts,
                        error,
                    })
                    .await;
                }
            }
        }
        if brought_forward > 0 {
            tracing::info!(
                brought_forward,
                "mail delivery works again; sending the waiting mail now"
            );
            return BATCH as usize;
        }
        ids.len()
    }

    async fn deliver(&self, mail: &QueuedMail) -> Result<(), String> {
        let message = self.build(mail)?;
        self.transport.send(message).await
    }

    /// The subject and bodies: rendered now from the queued notice, or as stored by a
    /// version that rendered before queueing.
    fn content(&self, mail: &QueuedMail) -> Result<OutgoingMail, String> {
        let Some(notice) = &mail.notice else {
            return Ok(OutgoingMail::new(
                &mail.recipient,
                mail.subject.clone().unwrap_or_default(),
                mail.body_text.clone().unwrap_or_default(),
                mail.body_html.clone().unwrap_or_default(),
            ));
        };
        let notice: Notice =
            serde_json::from_str(notice).map_err(|e| format!("unreadable notice: {e}"))?;
        let language = mail
            .language
            .as_deref()
            .and_then(Language::from_tag)
            .unwrap_or(Language::DEFAULT);
        let to = Recipient::new(&mail.recipient, language)
            .with_unsubscribe(mail.unsubscribe_token.clone());
        self.renderer.render(&to, &notice).map_err(|error| {
            match std::error::Error::source(&error) {
                Some(source) => format!("{error}: {source}"),
                None => error.to_string(),
            }
        })
    }

    fn build(&self, mail: &QueuedMail) -> Result<Message, String> {
        let content = self.content(mail)?;
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| format!("recipient: {e}"))?;
        let domain = self.from.email.domain().to_string();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(content.subject)
            // A stable id lets receiving systems drop a copy should a retry follow a delivery
            // whose confirmation was lost.
            .header(MessageId::from(format!("<outbox-{}@{domain}>", mail.id)));
        if let Some(token) = &mail.unsubscribe_token {
            // RFC 2369 and RFC 8058: mail programs offer a one-click "unsubscribe".
            builder = builder
                .header(ListUnsubscribe(format!(
                    "<{}>",
                    self.renderer.unsubscribe_link(token)
                )))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(content.text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(content.html),
                    ),
            )
            .map_err(|e| e.to_string())
    }
}

/// `List-Unsubscribe: <https://…/notifications/stop/TOKEN>`.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`: the link stops mail on a POST alone.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}
