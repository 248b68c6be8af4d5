//! How a use case says no. Each domain module keeps its own error enum (what can go wrong
//! there, in its own words) and says, through [`Refuses`], which of a few kinds of "no" each
//! variant is. The web layer turns a [`Refusal`] into the localized page or the problem
//! document through one table (`web::error`), so a refusal reads the same in the browser and
//! in the API, in the caller's language.

use crate::i18n::{FluentValue, Language};

/// What a form field (or a JSON field) got wrong, as a message key for the person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message_key: &'static str,
}

impl FieldError {
    pub fn new(field: &'static str, message_key: &'static str) -> Self {
        Self { field, message_key }
    }
}

/// A value inside a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Number(i64),
    Text(String),
    /// Another message, translated in the same language (a status name, say).
    Key(String),
}

/// A sentence for people, written when the language is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Message {
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: Arg) -> Self {
        self.args.push((name, value));
        self
    }

    pub fn text(&self, language: Language) -> String {
        let args: Vec<(&'static str, FluentValue<'static>)> = self
            .args
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    Arg::Number(n) => FluentValue::from(*n),
                    Arg::Text(text) => FluentValue::from(text.clone()),
                    Arg::Key(key) => FluentValue::from(language.text(key)),
                };
                (*name, value)
            })
            .collect();
        language.text_with(self.key, &args)
    }
}

/// The kinds of "no".
#[derive(Debug)]
pub enum Refusal {
    /// Nothing of that id for this person (another organisation's ids included).
    NotFound,
    /// It exists, but this person's role does not allow that.
    Forbidden,
    /// This person's part in it does not allow that (only the requester may cancel).
    NotAllowed(Message),
    /// A request that makes no sense for the thing as it is (withdrawing a withdrawn
    /// listing), as opposed to one that came too late ([`Refusal::Conflict`]).
    Inapplicable(Message),
    /// Input that cannot be used, field by field.
    Invalid(Vec<FieldError>),
    /// Not now: the state does not allow it (sold out, already closed, past a deadline).
    /// `code` is stable for programs.
    Conflict {
        code: &'static str,
        message: Message,
    },
    /// Too many of these in a short time; trying later works.
    TooMany(Message),
    /// Nothing the person did: the database or another part failed.
    Failed(Box<dyn std::error::Error + Send + Sync>),
    /// Nothing the person did, and trying again soon may work: no database connection.
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
}

/// A domain error that knows which kind of "no" each of its variants is.
pub trait Refuses {
    fn refusal(self) -> Refusal;
}

impl Refuses for diesel::result::Error {
    fn refusal(self) -> Refusal {
        if crate::db::is_lost_connection(&self) {
            Refusal::Unavailable(Box::new(self))
        } else {
            Refusal::Failed(Box::new(self))
        }
    }
}
