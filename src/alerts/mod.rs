//! Saved searches and wanted ads (efterlysningar): both mail their owner when a matching
//! listing is published. A wanted ad is also shown to colleagues, so someone who has the
//! thing in a storeroom can list it.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::access;
use crate::accounts::tokens::random_id;
use crate::db::AnyConnection;
use crate::db::schema::{categories, items, saved_searches, search_alerts, users};
use crate::ids::{AlertId, CategoryId, ItemId, OrganisationId, UserId};
use crate::items::search::SearchQuery;
use crate::items::{FieldError, Item};
use crate::mail::notices::{self, Notice, Recipient};
use crate::refusal::{Message, Refusal, Refuses};

pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Alerts one person may have at once; beyond this they are noise.
pub const MAX_PER_PERSON: i64 = 50;

crate::text_enum! {
    pub enum Kind ("alert kind") {
        /// Private: a search on the browse page to be told about.
        Search = "search",
        /// Shown to colleagues: "we are looking for …".
        Wanted = "wanted",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = saved_searches)]
pub struct Alert {
    pub id: AlertId,
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub query: String,
    pub category_id: Option<CategoryId>,
    #[serde(skip)]
    pub unsubscribe_token: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub last_alert_at: Option<NaiveDateTime>,
}

/// A new alert as typed.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub query: String,
    pub category_id: Option<CategoryId>,
}

impl NewAlert {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        match self.kind {
            Kind::Wanted if title.is_empty() => {
                errors.push(FieldError::new("title", "alert-error-title"));
            }
            Kind::Search
                if SearchQuery::parse(&self.query).is_none() && self.category_id.is_none() =>
            {
                errors.push(FieldError::new("query", "alert-error-empty"));
            }
            _ => {}
        }
        if title.chars().count() > MAX_TITLE_CHARS || self.query.chars().count() > MAX_TITLE_CHARS {
            errors.push(FieldError::new("title", "alert-error-title-long"));
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(FieldError::new("description", "alert-error-description"));
        }
        errors
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error("too many alerts")]
    TooMany,
    #[error("no such alert for this person")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for AlertError {
    fn refusal(self) -> Refusal {
        match self {
            AlertError::Invalid(errors) => Refusal::Invalid(errors),
            AlertError::TooMany => Refusal::Conflict {
                code: "too_many_alerts",
                message: Message::new("alert-error-too-many"),
            },
            AlertError::NotFound => Refusal::NotFound,
            AlertError::Db(error) => error.refusal(),
        }
    }
}

/// Saves an alert for `user_id` in `organisation_id`.
pub fn create(
    conn: &mut AnyConnection,
    user_id: UserId,
    organisation_id: OrganisationId,
    new: &NewAlert,
) -> Result<AlertId, AlertError> {
    let mut errors = new.validate();
    if let Some(category_id) = new.category_id {
        let known: i64 = categories::table
            .find(category_id)
            .count()
            .get_result(conn)?;
        if known == 0 {
            errors.push(FieldError::new("category_id", "item-error-category"));
        }
    }
    if !errors.is_empty() {
        return Err(AlertError::Invalid(errors));
    }
    crate::db::write_transaction(conn, |conn| {
        let existing: i64 = saved_searches::table
            .filter(saved_searches::user_id.eq(user_id))
            .filter(saved_searches::active.eq(true))
            .count()
            .get_result(conn)?;
        if existing >= MAX_PER_PERSON {
            return Err(AlertError::TooMany);
        }
        let query = match new.kind {
            Kind::Wanted if new.query.trim().is_empty() => new.title.trim(),
            _ => new.query.trim(),
        };
        let id = diesel::insert_into(saved_searches::table)
            .values((
                saved_searches::user_id.eq(user_id),
                saved_searches::organisation_id.eq(organisation_id),
                saved_searches::kind.eq(new.kind),
                saved_searches::title.eq(new.title.trim()),
                saved_searches::description.eq(new.description.trim()),
                saved_searches::query.eq(query),
                saved_searches::category_id.eq(new.category_id),
                saved_searches::unsubscribe_token.eq(random_id()),
                saved_searches::active.eq(true),
                saved_searches::created_at.eq(Utc::now().naive_utc()),
            ))
            .returning(saved_searches::id)
            .get_result(conn)?;
        Ok(id)
    })
}

/// A person's active alerts, newest first.
pub fn of_user(conn: &mut AnyConnection, user_id: UserId) -> QueryResult<Vec<Alert>> {
    saved_searches::table
        .filter(saved_searches::user_id.eq(user_id))
        .filter(saved_searches::active.eq(true))
        .order(saved_searches::id.desc())
        .select(Alert::as_select())
        .load(conn)
}

/// A wanted ad with who posted it.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Wanted {
    pub id: AlertId,
    pub title: String,
    pub description: String,
    pub created_at: NaiveDateTime,
    pub poster_name: Option<String>,
    pub poster_email: String,
}

/// The organisation's active wanted ads, newest first.
pub fn wanted_in(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Vec<Wanted>> {
    saved_searches::table
        .inner_join(users::table)
        .filter(saved_searches::organisation_id.eq(organisation_id))
        .filter(saved_searches::kind.eq(Kind::Wanted))
        .filter(saved_searches::active.eq(true))
        .order(saved_searches::id.desc())
        .limit(200)
        .select((
            saved_searches::id,
            saved_searches::title,
            saved_searches::description,
            saved_searches::created_at,
            users::name,
            users::email,
        ))
        .load(conn)
}

/// Ends the owner's own alert.
pub fn stop_own(
    conn: &mut AnyConnection,
    user_id: UserId,
    alert_id: AlertId,
) -> Result<(), AlertError> {
    let changed = diesel::update(saved_searches::table.find(alert_id))
        .filter(saved_searches::user_id.eq(user_id))
        .set(saved_searches::active.eq(false))
        .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(AlertError::NotFound)
    }
}

/// The alert an unsubscribe link names, if the token is real.
pub fn by_token(conn: &mut AnyConnection, token: &str) -> QueryResult<Option<Alert>> {
    saved_searches::table
        .filter(saved_searches::unsubscribe_token.eq(token))
        .select(Alert::as_select())
        .first(conn)
        .optional()
}

/// Ends an alert from the link in its mail (no sign-in needed: the token is the key).
pub fn stop_by_token(conn: &mut AnyConnection, token: &str) -> QueryResult<bool> {
    let changed =
        diesel::update(saved_searches::table.filter(saved_searches::unsubscribe_token.eq(token)))
            .set(saved_searches::active.eq(false))
            .execute(conn)?;
    Ok(changed == 1)
}

/// Whether an alert matches a listing: the category (or its parent) if it names one, and
/// its words as a search matches them (`search_weights` are the listing's stored terms).
pub fn matches(
    alert: &Alert,
    item: &Item,
    item_parent_category: Option<CategoryId>,
    search_weights: &str,
) -> bool {
    if let Some(category) = alert.category_id
        && category != item.fields.category_id
        && Some(category) != item_parent_category
    {
        return false;
    }
    match SearchQuery::parse(&alert.query) {
        Some(query) => query.matches(search_weights),
        None => alert.category_id.is_some(),
    }
}

/// Mails everyone whose alert matches a listing that just became available. Call inside
/// the transaction that publishes it; each alert hears of each listing once.
pub fn on_published(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<usize> {
    let (item, weights): (Item, String) = items::table
        .find(item_id)
        .select((Item::as_select(), items::search_weights))
        .first(conn)?;
    let (item, weights) = (&item, weights.as_str());
    let audience = access::audience_of(conn, item)?;
    let parent: Option<CategoryId> = categories::table
        .find(item.fields.category_id)
        .select(categories::parent_id)
        .first(conn)?;
    let candidates: Vec<(Alert, crate::accounts::User)> = saved_searches::table
        .inner_join(users::table)
        .filter(saved_searches::organisation_id.eq_any(&audience))
        .filter(saved_searches::active.eq(true))
        .filter(saved_searches::user_id.ne(item.created_by))
        .filter(users::disabled.eq(false))
        .select((Alert::as_select(), crate::accounts::User::as_select()))
        .load(conn)?;
    let now = Utc::now().naive_utc();
    let mut sent = 0;
    for (alert, person) in candidates {
        if !matches(&alert, item, parent, weights) {
            continue;
        }
        let already: i64 = search_alerts::table
            .filter(search_alerts::saved_search_id.eq(alert.id))
            .filter(search_alerts::item_id.eq(item.id))
            .count()
            .get_result(conn)?;
        if already > 0 {
            continue;
        }
        diesel::insert_into(search_alerts::table)
            .values((
                search_alerts::saved_search_id.eq(alert.id),
                search_alerts::item_id.eq(item.id),
                search_alerts::created_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(saved_searches::table.find(alert.id))
            .set(saved_searches::last_alert_at.eq(now))
            .execute(conn)?;
        let search_title = if alert.title.is_empty() {
            alert.query.clone()
        } else {
            alert.title.clone()
        };
        notices::queue(
            conn,
            &Recipient::person(&person),
            &Notice::Match {
                item_id: item.id,
                item_title: item.fields.title.clone(),
                search_title,
                unsubscribe_token: alert.unsubscribe_token.clone(),
            },
        )?;
        sent += 1;
    }
    Ok(sent)
}
