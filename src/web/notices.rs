//! Renders notices (reservations, reminders, search matches) as mail in the recipient's
//! language. Every notice uses the same layout: paragraphs, one button, an optional footer.

use actix_web::web;
use tera::Context;

use super::{AppError, SiteUrl, Views, with_conn};
use crate::db::{AnyConnection, DbPool};
use crate::i18n::{FluentValue, Language, local_time};
use crate::mail::OutgoingMail;
use crate::mail::notices::{Notice, NoticeError, Notifier, Recipient, ReservationFacts};

pub struct MailNotifier<'a> {
    pub views: &'a Views,
    /// The public address, without a trailing slash.
    pub site: &'a str,
}

/// Database work that may cause mail: `work` gets a notifier writing in the recipients'
/// languages with links to this site; the mail is queued in the same transaction.
pub async fn with_conn_and_mail<T, E, F>(
    pool: &web::Data<DbPool>,
    views: &web::Data<Views>,
    site: &web::Data<SiteUrl>,
    work: F,
) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection, &dyn Notifier) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    let (views, site) = (views.clone(), site.clone());
    with_conn(pool, move |conn| {
        let notifier = MailNotifier {
            views: &views,
            site: &site.0,
        };
        work(conn, &notifier)
    })
    .await
}

struct Parts {
    subject_key: &'static str,
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

impl MailNotifier<'_> {
    fn parts(&self, language: Language, notice: &Notice) -> Parts {
        let reservation_link = |facts: &ReservationFacts| {
            format!("{}/reservations/{}", self.site, facts.reservation_id)
        };
        let about =
            |key: &str, facts: &ReservationFacts| language.text_with(key, &reservation_args(facts));
        match notice {
            Notice::Reserved(facts) => {
                let mut paragraphs = vec![about("mail-reserved-text", facts)];
                if !facts.message.is_empty() {
                    paragraphs.push(language.text_with(
                        "mail-reserved-message",
                        &[("message", facts.message.clone().into())],
                    ));
                }
                paragraphs.push(about("mail-reserved-deadline", facts));
                Parts {
                    subject_key: "mail-reserved-subject",
                    paragraphs,
                    link: reservation_link(facts),
                    link_label_key: "mail-open-reservation",
                    footer: None,
                }
            }
            Notice::Cancelled(facts) => Parts {
                subject_key: "mail-cancelled-subject",
                paragraphs: vec![about("mail-cancelled-text", facts)],
                link: reservation_link(facts),
                link_label_key: "mail-open-reservation",
                footer: None,
            },
            Notice::Declined(facts) => Parts {
                subject_key: "mail-declined-subject",
                paragraphs: vec![about("mail-declined-text", facts)],
                link: reservation_link(facts),
                link_label_key: "mail-open-reservation",
                footer: None,
            },
            Notice::PickupReminder(facts) => Parts {
                subject_key: "mail-reminder-subject",
                paragraphs: vec![about("mail-reminder-text", facts)],
                link: reservation_link(facts),
                link_label_key: "mail-open-reservation",
                footer: None,
            },
            Notice::Expired(facts) => Parts {
                subject_key: "mail-expired-subject",
                paragraphs: vec![about("mail-expired-text", facts)],
                link: reservation_link(facts),
                link_label_key: "mail-open-reservation",
                footer: None,
            },
            Notice::PickedUp(facts) => Parts {
                subject_key: "mail-picked-up-subject",
                paragraphs: vec![about("mail-picked-up-text", facts)],
                link: reservation_link(facts),
                link_label_key: "mail-open-reservation",
                footer: None,
            },
            Notice::Match {
                item_id,
                item_title,
                search_title,
                unsubscribe_token,
            } => Parts {
                subject_key: "mail-match-subject",
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
        }
    }
}

impl Notifier for MailNotifier<'_> {
    fn render(&self, to: &Recipient, notice: &Notice) -> Result<Option<OutgoingMail>, NoticeError> {
        let language = to.language;
        let parts = self.parts(language, notice);
        let subject = match notice {
            Notice::Match { item_title, .. } => {
                language.text_with(parts.subject_key, &[("title", item_title.clone().into())])
            }
            Notice::Reserved(facts)
            | Notice::Cancelled(facts)
            | Notice::Declined(facts)
            | Notice::PickupReminder(facts)
            | Notice::Expired(facts)
            | Notice::PickedUp(facts) => {
                language.text_with(parts.subject_key, &reservation_args(facts))
            }
        };
        let mut context = Context::new();
        context.insert("paragraphs", &parts.paragraphs);
        context.insert("link", &parts.link);
        context.insert("link_label", &language.text(parts.link_label_key));
        context.insert("footer", &parts.footer);
        context.insert("site_url", self.site);
        self.views
            .mail_with_subject("notice", language, &to.email, subject, &mut context)
            .map(Some)
            .map_err(|error| NoticeError(error.to_string()))
    }
}
