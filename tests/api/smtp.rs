//! A real SMTP server on loopback that keeps what it receives, so tests can read mail the
//! way a person would (and follow the links in it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.raw).expect("well-formed mail")
    }

    pub fn subject(&self) -> String {
        use mailparse::MailHeaderMap;
        self.parsed()
            .headers
            .get_first_value("Subject")
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// The decoded body of the part with this content type.
    pub fn body(&self, mime: &str) -> String {
        let parsed = self.parsed();
        let mut parts = vec![&parsed];
        while let Some(part) = parts.pop() {
            if part.ctype.mimetype == mime {
                return part.get_body().expect("decodable body");
            }
            parts.extend(part.subparts.iter());
        }
        panic!("no {mime} part in mail");
    }

    /// The first link in the text part that contains `needle`.
    pub fn link_containing(&self, needle: &str) -> String {
        self.body("text/plain")
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(needle))
            .unwrap_or_else(|| panic!("no link with {needle} in mail"))
            .to_string()
    }
}

#[derive(Clone, Default)]
pub struct Mailbox {
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
}

impl Mailbox {
    pub fn all(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("mailbox lock").clone()
    }

    pub fn to(&self, address: &str) -> Vec<ReceivedMail> {
        self.all()
            .into_iter()
            .filter(|mail| {
                mail.recipients
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(address))
            })
            .collect()
    }

    /// Waits until `address` has received `count` mails; panics after 15 seconds.
    pub async fn wait_for(&self, address: &str, count: usize) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let arrived = self.arrived.notified();
            let mails = self.to(address);
            if mails.len() >= count {
                return mails;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "{address} received {} of {count} mails",
                    self.to(address).len()
                );
            }
        }
    }

    pub async fn wait_for_total(&self, count: usize) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let arrived = self.arrived.notified();
            let mails = self.all();
            if mails.len() >= count {
                return mails;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("received {} of {count} mails", self.all().len());
            }
        }
    }
}

pub struct SmtpSink {
    pub port: u16,
    pub mailbox: Mailbox,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on(0, Mailbox::default()).await
    }

    /// Listens on a given port (to bring a "down" server up) with a given mailbox.
    pub async fn start_on(port: u16, mailbox: Mailbox) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("smtp port");
        let port = listener.local_addr().expect("bound").port();
        let accepting = mailbox.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, accepting.clone()));
            }
        });
        Self {
            port,
            mailbox,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Just enough of RFC 5321 for lettre: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
async fn serve(stream: TcpStream, mailbox: Mailbox) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut recipients = Vec::new();
    if write
        .write_all(b"220 bruka-test-sink ESMTP\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-bruka-test-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO") || command.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if command.starts_with("MAIL FROM") || command.starts_with("RSET") {
            recipients.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            let address = line
                .trim_end()
                .split_once(':')
                .map(|(_, a)| {
                    a.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
                .unwrap_or_default();
            recipients.push(address);
            b"250 OK\r\n"
        } else if command == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut raw = Vec::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                let content = line.strip_prefix('.').unwrap_or(&line);
                raw.extend_from_slice(content.as_bytes());
            }
            mailbox
                .received
                .lock()
                .expect("mailbox lock")
                .push(ReceivedMail {
                    recipients: std::mem::take(&mut recipients),
                    raw,
                });
            mailbox.arrived.notify_waiters();
            b"250 OK: queued\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
