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
    SignIn {
        link: &'a str,
        minutes: i64,
        code: &'a str,
    },
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
            Layout::SignIn {
                link,
                minutes,
                code,
            } => {
                context.insert("link", link);
                context.insert("minutes", &minutes);
                context.insert("code", code);
                ("login", language.text("mail-login-subject"))
            }
            Layout::Event(parts) => {
                context.insert("paragraphs", &parts.paragraphs);
                context.insert("link", &parts.link);
                context.insert("link_label", &language.text(parts.link_label_key));
                context.insert("footer", &parts.footer);
                let settings_note = to.unsubscribe_token.as_ref().map(|token| {
                    language.text_with(
                        "mail-settings-note",
                        &[
                            ("profile", format!("{}/profile#notify", self.site).into()),
                            ("stop", self.unsubscribe_link(token).into()),
                        ],
                    )
                });
                context.insert("settings_note", &settings_note);
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

    /// The address of a person's one-click stop, for List-Unsubscribe and the mail's footer.
    pub fn unsubscribe_link(&self, token: &str) -> String {
        format!("{}/notifications/stop/{token}", self.site)
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
            Notice::SignInLink {
                link,
                minutes,
                code,
            } => {
                return Layout::SignIn {
                    link,
                    minutes: *minutes,
                    code,
                };
            }
            Notice::DomainProof {
                link,
                domain,
                organisation,
            } => {
                let args = [
                    ("domain", domain.clone().into()),
                    ("organisation", organisation.clone().into()),
                ];
                Parts {
                    subject: language.text_with("mail-domain-proof-subject", &args),
                    paragraphs: vec![
                        language.text_with("mail-domain-proof-text", &args),
                        language.text("mail-domain-proof-ignore"),
                    ],
                    link: link.clone(),
                    link_label_key: "mail-domain-proof-link",
                    footer: None,
                }
            }
            Notice::NetworkInvitation {
                link,
                network,
                organisation,
            } => {
                let args = [
                    ("network", network.clone().into()),
                    ("organisation", organisation.clone().into()),
                ];
                Parts {
                    subject: language.text_with("mail-network-subject", &args),
                    paragraphs: vec![
                        language.text_with("mail-network-text", &args),
                        language.text("mail-network-after"),
                    ],
                    link: link.clone(),
                    link_label_key: "mail-network-link",
                    footer: None,
                }
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
            Notice::HandInRequested {
                store_id,
                item_title,
                quantity,
                requester,
                collect,
                message,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("quantity", (*quantity).into()),
                    ("requester", requester.clone().into()),
                ];
                let mut paragraphs = vec![
                    language.text_with("mail-handin-requested-text", &args),
                    language.text(if *collect {
                        "mail-handin-collect"
                    } else {
                        "mail-handin-bring"
                    }),
                ];
                if !message.is_empty() {
                    paragraphs.push(language.text_with(
                        "mail-reserved-message",
                        &[("message", message.clone().into())],
                    ));
                }
                Parts {
                    subject: language.text_with("mail-handin-requested-subject", &args),
                    paragraphs,
                    link: format!("{}/stores/{store_id}", self.site),
                    link_label_key: "mail-open-store",
                    footer: None,
                }
            }
            Notice::HandInAnswered {
                item_id,
                item_title,
                store,
                accepted,
                collect,
                answer,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("store", store.clone().into()),
                    ("answer", answer.clone().into()),
                ];
                let prefix = if *accepted {
                    "mail-handin-accepted"
                } else {
                    "mail-handin-declined"
                };
                let mut paragraphs = vec![language.text_with(&format!("{prefix}-text"), &args)];
                if *accepted {
                    paragraphs.push(language.text(if *collect {
                        "mail-handin-accepted-collect"
                    } else {
                        "mail-handin-accepted-bring"
                    }));
                }
                if !answer.is_empty() {
                    paragraphs.push(language.text_with("mail-handin-answer", &args));
                }
                Parts {
                    subject: language.text_with(&format!("{prefix}-subject"), &args),
                    paragraphs,
                    link: if *accepted {
                        format!("{}/my#handins", self.site)
                    } else {
                        format!("{}/items/{item_id}", self.site)
                    },
                    link_label_key: if *accepted {
                        "mail-open-handins"
                    } else {
                        "mail-open-item"
                    },
                    footer: None,
                }
            }
            Notice::HandInReceived {
                item_id,
                item_title,
                store,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("store", store.clone().into()),
                ];
                Parts {
                    subject: language.text_with("mail-handin-received-subject", &args),
                    paragraphs: vec![language.text_with("mail-handin-received-text", &args)],
                    link: format!("{}/items/{item_id}", self.site),
                    link_label_key: "mail-open-item",
                    footer: None,
                }
            }
            Notice::ListingEnding {
                item_id,
                item_title,
                expires_on,
                next,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("date", expires_on.format("%Y-%m-%d").to_string().into()),
                ];
                let then = match next {
                    Some(step) => format!("mail-listing-ending-then-{step}"),
                    None => "mail-listing-ending-then-end".to_string(),
                };
                Parts {
                    subject: language.text_with("mail-listing-ending-subject", &args),
                    paragraphs: vec![
                        language.text_with("mail-listing-ending-text", &args),
                        language.text(&then),
                    ],
                    link: format!("{}/items/{item_id}", self.site),
                    link_label_key: "mail-open-item",
                    footer: None,
                }
            }
            Notice::DeliveryPlanned {
                reservation_id,
                item_title,
                run_on,
                building,
                room,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("date", run_on.format("%Y-%m-%d").to_string().into()),
                    (
                        "place",
                        format!("{building} {room}").trim().to_string().into(),
                    ),
                ];
                Parts {
                    subject: language.text_with("mail-delivery-planned-subject", &args),
                    paragraphs: vec![language.text_with("mail-delivery-planned-text", &args)],
                    link: format!("{}/reservations/{reservation_id}", self.site),
                    link_label_key: "mail-open-reservation",
                    footer: None,
                }
            }
            Notice::RecipientInvited {
                recipient_name,
                organisation_name,
                token,
            } => {
                let args = [
                    ("recipient", FluentValue::from(recipient_name.clone())),
                    ("organisation", organisation_name.clone().into()),
                ];
                Parts {
                    subject: language.text_with("mail-recipient-invited-subject", &args),
                    paragraphs: vec![
                        language.text_with("mail-recipient-invited-text", &args),
                        language.text("mail-recipient-invited-keep"),
                    ],
                    link: format!("{}/give/{token}", self.site),
                    link_label_key: "mail-recipient-open",
                    footer: None,
                }
            }
            Notice::Claimed {
                item_id,
                item_title,
                detail,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("detail", detail.clone().into()),
                ];
                Parts {
                    subject: language.text_with("mail-claimed-subject", &args),
                    paragraphs: vec![language.text_with("mail-claimed-text", &args)],
                    link: format!("{}/items/{item_id}#claims", self.site),
                    link_label_key: "mail-open-item",
                    footer: None,
                }
            }
            Notice::RepairFinished {
                item_id,
                item_title,
                repaired,
            } => {
                let args = [("title", FluentValue::from(item_title.clone()))];
                let outcome = if *repaired {
                    "repaired"
                } else {
                    "not-repairable"
                };
                Parts {
                    subject: language.text_with("mail-repair-finished-subject", &args),
                    paragraphs: vec![
                        language.text_with(&format!("mail-repair-finished-{outcome}"), &args),
                    ],
                    link: format!("{}/items/{item_id}", self.site),
                    link_label_key: "mail-open-item",
                    footer: None,
                }
            }
            Notice::ListingEndStep {
                item_id,
                item_title,
                step,
                until,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    (
                        "date",
                        until
                            .map(|d| d.format("%Y-%m-%d").to_string())
                            .unwrap_or_default()
                            .into(),
                    ),
                ];
                Parts {
                    subject: language
                        .text_with(&format!("mail-listing-step-{step}-subject"), &args),
                    paragraphs: vec![
                        language.text_with(&format!("mail-listing-step-{step}-text"), &args),
                    ],
                    link: format!("{}/items/{item_id}", self.site),
                    link_label_key: "mail-open-item",
                    footer: None,
                }
            }
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
            Notice::Message {
                conversation_id,
                item_title,
                author,
                excerpt,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("author", author.clone().into()),
                ];
                Parts {
                    subject: language.text_with("mail-message-subject", &args),
                    paragraphs: vec![
                        language.text_with("mail-message-text", &args),
                        excerpt.clone(),
                    ],
                    link: format!("{}/conversations/{conversation_id}", self.site),
                    link_label_key: "mail-open-conversation",
                    footer: Some(language.text("mail-message-no-reply")),
                }
            }
            Notice::DeadlineAsked { facts, until } => {
                let mut args = reservation_args(facts);
                args.push(("until", local_time(*until).into()));
                about_reservation(
                    "mail-deadline-asked",
                    facts,
                    vec![language.text_with("mail-deadline-asked-text", &args)],
                )
            }
            Notice::DeadlineMoved(facts) => simple("mail-deadline-moved", facts),
            Notice::QueueOffer {
                entry_id: _,
                item_id,
                item_title,
                quantity,
                until,
            } => {
                let args = [
                    ("title", FluentValue::from(item_title.clone())),
                    ("quantity", (*quantity).into()),
                    ("until", local_time(*until).into()),
                ];
                Parts {
                    subject: language.text_with("mail-queue-offer-subject", &args),
                    paragraphs: vec![language.text_with("mail-queue-offer-text", &args)],
                    link: format!("{}/items/{item_id}#queue", self.site),
                    link_label_key: "mail-queue-offer-open",
                    footer: None,
                }
            }
            Notice::QueueEnded {
                item_id,
                item_title,
            } => {
                let args = [("title", FluentValue::from(item_title.clone()))];
                Parts {
                    subject: language.text_with("mail-queue-ended-subject", &args),
                    paragraphs: vec![language.text_with("mail-queue-ended-text", &args)],
                    link: format!("{}/items/{item_id}", self.site),
                    link_label_key: "mail-open-item",
                    footer: None,
                }
            }
            Notice::Digest { notices } => {
                let paragraphs = notices
                    .iter()
                    .filter_map(|notice| match self.layout(language, notice) {
                        Layout::Event(parts) => Some(format!("{} – {}", parts.subject, parts.link)),
                        Layout::SignIn { .. } => None,
                    })
                    .collect();
                Parts {
                    subject: language
                        .text_with("mail-digest-subject", &[("count", notices.len().into())]),
                    paragraphs,
                    link: format!("{}/my", self.site),
                    link_label_key: "mail-digest-open",
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
    use crate::ids::{ConversationId, ItemId, QueueEntryId, ReservationId};

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
                code: "012345".into(),
            },
            Notice::Reserved(facts()),
            Notice::Cancelled(facts()),
            Notice::Declined(facts()),
            Notice::PickupReminder(facts()),
            Notice::Expired(facts()),
            Notice::PickedUp(facts()),
            Notice::DomainProof {
                link: "https://bruka.example/domains/confirm/t".into(),
                domain: "skola.se".into(),
                organisation: "Borås stad".into(),
            },
            Notice::NetworkInvitation {
                link: "https://bruka.example/network".into(),
                network: "Sjuhärad".into(),
                organisation: "Borås stad".into(),
            },
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
            Notice::Message {
                conversation_id: ConversationId(4),
                item_title: "Bord".into(),
                author: "Bo".into(),
                excerpt: "Går den genom en vanlig dörr? <b>".into(),
            },
            Notice::DeadlineAsked {
                facts: facts(),
                until: facts().pickup_deadline,
            },
            Notice::DeadlineMoved(facts()),
            Notice::QueueOffer {
                entry_id: QueueEntryId(5),
                item_id: ItemId(3),
                item_title: "Bord".into(),
                quantity: 2,
                until: facts().pickup_deadline,
            },
            Notice::QueueEnded {
                item_id: ItemId(3),
                item_title: "Bord".into(),
            },
            Notice::Digest {
                notices: vec![Notice::Reserved(facts()), Notice::DeadlineMoved(facts())],
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
                assert!(!mail.html.contains("<b>"), "HTML escapes a message");
            }
        }
    }

    #[test]
    fn an_event_mail_says_how_to_change_or_stop_notices() {
        let to = Recipient::new("a@b.se", Language::Swedish).with_unsubscribe(Some("tok".into()));
        let mail = Renderer::new("https://bruka.example/")
            .expect("templates")
            .render(&to, &Notice::Declined(facts()))
            .expect("mail");
        assert!(
            mail.text
                .contains("https://bruka.example/notifications/stop/tok")
        );
        assert!(mail.text.contains("https://bruka.example/profile#notify"));
        let digest = Notice::Digest {
            notices: vec![Notice::Declined(facts()), Notice::PickedUp(facts())],
        };
        let mail = render(Language::English, &digest);
        assert!(mail.subject.contains('2'), "{}", mail.subject);
        assert_eq!(mail.text.matches("/reservations/7").count(), 2);
    }

    #[test]
    fn a_notice_survives_the_outbox_as_json() {
        let notice = Notice::Reserved(facts());
        let json = serde_json::to_string(&notice).expect("json");
        assert_eq!(serde_json::from_str::<Notice>(&json).expect("back"), notice);
    }
}
