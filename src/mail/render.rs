//! Turns a queued notice into a mail in the recipient's language, with the mail templates
//! (`templates/mail/`) compiled into their own tera instance. The mail worker calls this when
//! it sends, so rendering never happens inside a write transaction and background jobs need
//! nothing from the web layer.

use rust_embed::Embed;
use tera::{Context, Tera};

use super::OutgoingMail;
use super::notices::{Notice, Recipient, ReservationFacts};
use crate::i18n::{self, FluentValue, Language, local_time};

#[derive(Embed)]
#[folder = "templates/mail/"]
struct MailTemplates;

#[derive(Debug, thiserror::Error)]
#[error("cannot render the {template} mail")]
pub struct RenderError {
    template: &'static str,
    #[source]
    source: tera::Error,
}

pub struct Renderer {
    tera: Tera,
    /// The public address, without a trailing slash.
    site: String,
}

enum Layout<'a> {
    /// `login.*`: the link and how long it works.
    SignIn { link: &'a str, minutes: i64 },
    /// `notice.*`, which every event notice shares.
    Event(Parts),
}

/// Paragraphs, one button, an optional footer.
struct Parts {
    subject: String,
    paragraphs: Vec<String>,
    link: String,
    link_label_key: &'static str,
    footer: Option<String>,
}

fn reservation_args(facts: &ReservationFacts) -> Vec<(&'static str, FluentValue<'static>)> {
    vec![
        ("title", facts.item_title.clone().into()),
        ("quantity", facts.quantity.into()),
        ("requester", facts.requester.clone().into()),
        ("unit", facts.receiving_unit.clone().into()),
        ("deadline", local_time(facts.pickup_deadline).into()),
    ]
}

impl Renderer {
    pub fn new(site: &str) -> Result<Self, tera::Error> {
        Ok(Self {
            tera: i18n::compiled_templates::<MailTemplates>()?,
            site: site.trim_end_matches('/').to_string(),
        })
    }

    pub fn render(&self, to: &Recipient, notice: &Notice) -> Result<OutgoingMail, RenderError> {
        let language = to.language;
        let mut context = Context::new();
        context.insert("lang", language.code());
        context.insert("site_url", &self.site);
        let (template, subject) = match self.layout(language, notice) {
            Layout::SignIn { link, minutes } => {
                context.insert("link", link);
                context.insert("minutes", &minutes);
                ("login", language.text("mail-login-subject"))
            }
            Layout::Event(parts) => {
                context.insert("paragraphs", &parts.paragraphs);
                context.insert("link", &parts.link);
                context.insert("link_label", &language.text(parts.link_label_key));
                context.insert("footer", &parts.footer);
                ("notice", parts.subject)
            }
        };
        context.insert("subject", &subject);
        let render = |extension: &str| {
            self.tera
                .render(&format!("{template}.{extension}"), &context)
                .map_err(|source| RenderError { template, source })
        };
        Ok(OutgoingMail::new(
            &to.email,
            subject.clone(),
            render("txt")?,
            render("html")?,
        ))
    }

    fn layout<'n>(&self, language: Language, notice: &'n Notice) -> Layout<'n> {
        let about =
            |key: &str, facts: &ReservationFacts| language.text_with(key, &reservation_args(facts));
        let about_reservation = |prefix: &str, facts: &ReservationFacts, paragraphs| Parts {
            subject: about(&format!("{prefix}-subject"), facts),
            paragraphs,
            link: format!("{}/reservations/{}", self.site, facts.reservation_id),
            link_label_key: "mail-open-reservation",
            footer: None,
        };
        let simple = |prefix: &str, facts: &ReservationFacts| {
            about_reservation(prefix, facts, vec![about(&format!("{prefix}-text"), facts)])
        };
        Layout::Event(match notice {
            Notice::SignInLink { link, minutes } => {
                return Layout::SignIn {
                    link,
                    minutes: *minutes,
                };
            }
            Notice::Reserved(facts) => {
                let mut paragraphs = vec![about("mail-reserved-text", facts)];
                if !facts.message.is_empty() {
                    paragraphs.push(language.text_with(
                        "mail-reserved-message",
                        &[("message", facts.message.clone().into())],
                    ));
                }
                paragraphs.push(about("mail-reserved-deadline", facts));
                about_reservation("mail-reserved", facts, paragraphs)
            }
            Notice::Cancelled(facts) => simple("mail-cancelled", facts),
            Notice::Declined(facts) => simple("mail-declined", facts),
            Notice::PickupReminder(facts) => simple("mail-reminder", facts),
            Notice::Expired(facts) => simple("mail-expired", facts),
            Notice::PickedUp(facts) => simple("mail-picked-up", facts),
            Notice::Match {
                item_id,
                item_title,
                search_title,
                unsubscribe_token,
            } => Parts {
                subject: language.text_with(
                    "mail-match-subject",
                    &[("title", item_title.clone().into())],
                ),
                paragraphs: vec![language.text_with(
                    "mail-match-text",
                    &[
                        ("title", item_title.clone().into()),
                        ("search", search_title.clone().into()),
                    ],
                )],
                link: format!("{}/items/{item_id}", self.site),
                link_label_key: "mail-open-item",
                footer: Some(language.text_with(
                    "mail-match-unsubscribe",
                    &[(
                        "link",
                        format!("{}/alerts/stop/{unsubscribe_token}", self.site).into(),
                    )],
                )),
            },
            Notice::ListingExpired {
                item_id,
                item_title,
                expires_on,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("date", expires_on.format("%Y-%m-%d").to_string().into()),
                ];
                Parts {
                    subject: language.text_with("mail-listing-expired-subject", &args),
                    paragraphs: vec![language.text_with("mail-listing-expired-text", &args)],
                    link: format!("{}/items/{item_id}#relist", self.site),
                    link_label_key: "mail-listing-expired-relist",
                    footer: None,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::ids::{ItemId, ReservationId};

    fn facts() -> ReservationFacts {
        ReservationFacts {
            reservation_id: ReservationId(7),
            item_title: "Kontorsstol <Ergo>".into(),
            quantity: 2,
            requester: "Anna".into(),
            receiving_unit: "Skolan".into(),
            message: String::new(),
            pickup_deadline: NaiveDate::from_ymd_opt(2026, 12, 3)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .expect("date"),
        }
    }

    fn render(language: Language, notice: &Notice) -> OutgoingMail {
        Renderer::new("https://bruka.example/")
            .expect("templates")
            .render(&Recipient::new("a@b.se", language), notice)
            .expect("mail")
    }

    #[test]
    fn every_notice_renders_in_every_language_with_its_link() {
        let notices = [
            Notice::SignInLink {
                link: "https://bruka.example/login/confirm?token=abc".into(),
                minutes: 15,
            },
            Notice::Reserved(facts()),
            Notice::Cancelled(facts()),
            Notice::Declined(facts()),
            Notice::PickupReminder(facts()),
            Notice::Expired(facts()),
            Notice::PickedUp(facts()),
            Notice::Match {
                item_id: ItemId(3),
                item_title: "Bord".into(),
                search_title: "bord".into(),
                unsubscribe_token: "tok".into(),
            },
            Notice::ListingExpired {
                item_id: ItemId(3),
                item_title: "Bord".into(),
                expires_on: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            },
        ];
        for language in Language::ALL {
            for notice in &notices {
                let mail = render(language, notice);
                assert!(!mail.subject.is_empty(), "{notice:?}");
                assert!(
                    mail.text.contains("https://bruka.example/"),
                    "{language:?} {notice:?}: {}",
                    mail.text
                );
                assert!(!mail.html.contains("<Ergo>"), "HTML escapes the title");
            }
        }
    }

    #[test]
    fn a_notice_survives_the_outbox_as_json() {
        let notice = Notice::Reserved(facts());
        let json = serde_json::to_string(&notice).expect("json");
        assert_eq!(serde_json::from_str::<Notice>(&json).expect("back"), notice);
    }
}
