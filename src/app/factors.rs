//! The sustainability unit's figures: the factor table as an organisation sees it, a new
//! version of one category's figures, a subcategory of its own, and a whole factor table
//! uploaded, previewed and applied. Every change is audited in its transaction.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;

use super::{App, Failure};
use crate::audit::{self, Note, Subject};
use crate::categories::table::{self, LineError, Plan, PlanError, Scope};
use crate::categories::versions::{self, Author, Change, CheckedChange, Extra, FactorBook};
use crate::categories::{self, Category};
use crate::db::AnyConnection;
use crate::db::schema::{categories as categories_table, category_versions, factor_imports, users};
use crate::i18n::local_date;
use crate::ids::{CategoryId, CategoryVersionId, OrganisationId, UserId};
use crate::ledger::Corrector;
use crate::refusal::{FieldError, Message, Refusal, Refuses};

#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    #[error("no such category for this organisation")]
    NotFound,
    #[error("invalid figures")]
    Invalid(Vec<FieldError>),
    #[error("the factor table has errors")]
    Lines(Vec<LineError>),
    #[error("a table with this name is already imported")]
    LabelUsed,
    #[error("this upload is already applied")]
    AlreadyApplied,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<PlanError> for FactorError {
    fn from(error: PlanError) -> Self {
        match error {
            PlanError::Lines(lines) => FactorError::Lines(lines),
            PlanError::Label => {
                FactorError::Invalid(vec![FieldError::new("label", "factor-error-label")])
            }
            PlanError::LabelUsed(_) => FactorError::LabelUsed,
            PlanError::Db(error) => FactorError::Db(error),
        }
    }
}

impl Refuses for FactorError {
    fn refusal(self) -> Refusal {
        match self {
            FactorError::NotFound => Refusal::NotFound,
            FactorError::Invalid(fields) => Refusal::Invalid(fields),
            FactorError::Lines(_) => {
                Refusal::Invalid(vec![FieldError::new("file", "factor-import-error")])
            }
            FactorError::LabelUsed => Refusal::Conflict {
                code: "label_used",
                message: Message::new("factor-error-label-used"),
            },
            FactorError::AlreadyApplied => Refusal::Conflict {
                code: "already_applied",
                message: Message::new("factor-import-applied"),
            },
            FactorError::Db(error) => error.refusal(),
        }
    }
}

/// The categories and every version of their figures, as the pages show them.
pub struct Table {
    pub categories: Arc<Vec<Category>>,
    pub book: Arc<FactorBook>,
    pub today: NaiveDate,
    /// The addresses of the people who wrote versions.
    pub authors: HashMap<UserId, String>,
}

pub async fn table(app: &App) -> Result<Table, Failure<FactorError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| -> Result<_, FactorError> {
        let authors = category_versions::table
            .inner_join(users::table.on(category_versions::changed_by.eq(users::id.nullable())))
            .select((users::id, users::email))
            .distinct()
            .load::<(UserId, String)>(conn)?
            .into_iter()
            .collect();
        Ok(Table {
            categories: catalog.categories(conn)?,
            book: catalog.factors(conn)?,
            today: local_date(Utc::now().naive_utc()),
            authors,
        })
    })
    .await
}

/// The category `id` if `organisation` may see it.
fn category_for(
    conn: &mut AnyConnection,
    id: CategoryId,
    organisation: OrganisationId,
) -> Result<Category, FactorError> {
    categories_table::table
        .find(id)
        .select(Category::as_select())
        .first::<Category>(conn)
        .optional()?
        .filter(|c| c.is_for(organisation) && c.parent_id.is_some())
        .ok_or(FactorError::NotFound)
}

fn describe(change: &CheckedChange) -> String {
    let mut parts = Vec::new();
    if let Some(factor) = change.factor {
        let range = match (factor.low, factor.high) {
            (None, None) => String::new(),
            (low, high) => format!(
                " (low {}, high {})",
                low.map_or("–".into(), |v| v.to_string()),
                high.map_or("–".into(), |v| v.to_string())
            ),
        };
        parts.push(format!(
            "factor {} kg CO2e {}{range}",
            factor.central,
            factor.basis.as_str().replace('_', " ")
        ));
    }
    if let Some(weight) = change.typical_weight_kg {
        parts.push(format!("typical weight {weight} kg"));
    }
    if let Some(price) = change.new_price_sek {
        parts.push(format!("new price {price} kr"));
    }
    format!(
        "{} from {}; source: {}; why: {}",
        parts.join(", "),
        change.valid_from,
        change.source,
        change.reason
    )
}

/// A new version of a category's figures for the keeper's organisation: an override of a
/// national category, or the figures of its own subcategory.
pub async fn change(
    app: &App,
    by: Corrector,
    category_id: CategoryId,
    change: Change,
) -> Result<CategoryVersionId, Failure<FactorError>> {
    let catalog = app.catalog.clone();
    let done = app
        .read(move |conn| {
            audit::audited(conn, by.organisation_id, Some(by.user_id), |conn| {
                let category = category_for(conn, category_id, by.organisation_id)?;
                let own_subcategory = category.organisation_id.is_some();
                let previous = versions::latest_start(conn, category.id, Some(by.organisation_id))?;
                let checked = change
                    .check(previous, own_subcategory)
                    .map_err(FactorError::Invalid)?;
                let label = own_label(conn, by.organisation_id, checked.valid_from)?;
                let author = Author {
                    organisation_id: Some(by.organisation_id),
                    user_id: Some(by.user_id),
                    table_version: &label,
                };
                let id = versions::insert(conn, category.id, &author, &checked, &Extra::OWN)?;
                let note = Note::new(
                    Subject::Category(category.id),
                    "figures_changed",
                    format!("{}: {}", category.name, describe(&checked)),
                );
                Ok((id, note))
            })
        })
        .await;
    catalog.forget_categories();
    done
}

/// What an organisation's own versions are called in the ledger: its short name and day.
fn own_label(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    valid_from: NaiveDate,
) -> QueryResult<String> {
    let slug = crate::organisations::find(conn, organisation)?
        .map(|o| o.slug)
        .unwrap_or_else(|| organisation.to_string());
    Ok(format!("{slug} {valid_from}"))
}

/// The largest length of a category name.
const MAX_NAME_CHARS: usize = 80;

/// A subcategory the organisation adds under a national group, with its first figures.
pub async fn add_subcategory(
    app: &App,
    by: Corrector,
    parent_id: CategoryId,
    name: String,
    figures: Change,
) -> Result<CategoryId, Failure<FactorError>> {
    let catalog = app.catalog.clone();
    let done = app
        .read(move |conn| {
            audit::audited(conn, by.organisation_id, Some(by.user_id), |conn| {
                let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                let parent = categories_table::table
                    .find(parent_id)
                    .filter(categories_table::parent_id.is_null())
                    .filter(categories_table::organisation_id.is_null())
                    .select(Category::as_select())
                    .first::<Category>(conn)
                    .optional()?;
                let mut errors = Vec::new();
                if parent.is_none() {
                    errors.push(FieldError::new("parent_id", "factor-error-parent"));
                }
                if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                    errors.push(FieldError::new("name", "factor-error-name"));
                }
                let checked = figures.check(None, true);
                let (parent, checked) = match (parent, checked) {
                    (Some(parent), Ok(checked)) if errors.is_empty() => (parent, checked),
                    (_, Err(more)) => {
                        errors.extend(more);
                        return Err(FactorError::Invalid(errors));
                    }
                    _ => return Err(FactorError::Invalid(errors)),
                };
                let slug = format!(
                    "org-{}/{}/{}",
                    by.organisation_id,
                    parent.slug,
                    slug::slugify(&name)
                );
                let taken: i64 = categories_table::table
                    .filter(categories_table::slug.eq(&slug))
                    .count()
                    .get_result(conn)?;
                if taken > 0 {
                    return Err(FactorError::Invalid(vec![FieldError::new(
                        "name",
                        "factor-error-name-taken",
                    )]));
                }
                let last: Option<i32> = categories_table::table
                    .filter(categories_table::parent_id.eq(parent.id))
                    .select(diesel::dsl::max(categories_table::sort_order))
                    .first(conn)?;
                let id = table::insert_category(
                    conn,
                    Some(parent.id),
                    &slug,
                    &name,
                    last.unwrap_or(parent.sort_order).saturating_add(1),
                    Some(by.organisation_id),
                )?;
                let label = own_label(conn, by.organisation_id, checked.valid_from)?;
                let author = Author {
                    organisation_id: Some(by.organisation_id),
                    user_id: Some(by.user_id),
                    table_version: &label,
                };
                versions::insert(conn, id, &author, &checked, &Extra::OWN)?;
                let note = Note::new(
                    Subject::Category(id),
                    "subcategory_added",
                    format!("{name} under {}: {}", parent.name, describe(&checked)),
                );
                Ok((id, note))
            })
        })
        .await;
    catalog.forget_categories();
    done
}

/// An uploaded factor table waiting for its preview to be confirmed.
pub struct Upload {
    pub id: i64,
    pub plan: Plan,
}

fn parsed(text: &str) -> Result<Vec<table::TableRow>, FactorError> {
    table::parse(text).map_err(FactorError::Lines)
}

/// Checks an uploaded table for the keeper's organisation and keeps it for applying:
/// what it would change, or every bad line; nothing changes yet.
pub async fn upload(
    app: &App,
    by: Corrector,
    text: String,
    valid_from: Option<NaiveDate>,
    label: String,
) -> Result<Upload, Failure<FactorError>> {
    app.read(move |conn| {
        let valid_from = valid_from.ok_or_else(|| {
            FactorError::Invalid(vec![FieldError::new(
                "valid_from",
                "factor-error-valid-from",
            )])
        })?;
        let rows = parsed(&text)?;
        let scope = Scope::Organisation(by.organisation_id);
        let plan = table::plan(conn, scope, &rows, valid_from, &label)?;
        let id = diesel::insert_into(factor_imports::table)
            .values((
                factor_imports::organisation_id.eq(by.organisation_id),
                factor_imports::uploaded_by.eq(by.user_id),
                factor_imports::file_text.eq(&text),
                factor_imports::valid_from.eq(valid_from),
                factor_imports::label.eq(plan.label.as_str()),
                factor_imports::created_at.eq(Utc::now().naive_utc()),
            ))
            .returning(factor_imports::id)
            .get_result(conn)?;
        Ok(Upload { id, plan })
    })
    .await
}

fn pending(
    conn: &mut AnyConnection,
    by: &Corrector,
    upload_id: i64,
) -> Result<(String, NaiveDate, String), FactorError> {
    let found: Option<(String, NaiveDate, String, Option<chrono::NaiveDateTime>)> =
        factor_imports::table
            .find(upload_id)
            .filter(factor_imports::organisation_id.eq(by.organisation_id))
            .select((
                factor_imports::file_text,
                factor_imports::valid_from,
                factor_imports::label,
                factor_imports::applied_at,
            ))
            .first(conn)
            .optional()?;
    match found {
        None => Err(FactorError::NotFound),
        Some((_, _, _, Some(_))) => Err(FactorError::AlreadyApplied),
        Some((text, valid_from, label, None)) => Ok((text, valid_from, label)),
    }
}

/// Applies a previewed upload: one version per changed category, all or nothing, once.
pub async fn apply_upload(
    app: &App,
    by: Corrector,
    upload_id: i64,
) -> Result<usize, Failure<FactorError>> {
    let catalog = app.catalog.clone();
    let done = app
        .read(move |conn| {
            audit::audited(conn, by.organisation_id, Some(by.user_id), |conn| {
                let (text, valid_from, label) = pending(conn, &by, upload_id)?;
                // Claimed first: a second apply of the same upload finds it taken.
                let claimed = diesel::update(
                    factor_imports::table
                        .find(upload_id)
                        .filter(factor_imports::applied_at.is_null()),
                )
                .set(factor_imports::applied_at.eq(Utc::now().naive_utc()))
                .execute(conn)?;
                if claimed == 0 {
                    return Err(FactorError::AlreadyApplied);
                }
                let rows = parsed(&text)?;
                let scope = Scope::Organisation(by.organisation_id);
                let plan = table::plan(conn, scope, &rows, valid_from, &label)?;
                let written = table::apply(conn, scope, &rows, &plan, Some(by.user_id))?;
                let note = Note::new(
                    Subject::Organisation(by.organisation_id),
                    "factor_table_applied",
                    format!("{label} from {valid_from}: {written} categories changed"),
                );
                Ok((written, note))
            })
        })
        .await;
    catalog.forget_categories();
    done
}

/// The command line's import: a national table (or, with `organisation`, that
/// organisation's own), previewed, and applied when `apply` is set.
pub fn import_from_cli(
    conn: &mut AnyConnection,
    text: &str,
    organisation: Option<OrganisationId>,
    valid_from: NaiveDate,
    label: &str,
    apply: bool,
) -> Result<(Plan, usize), FactorError> {
    let rows = parsed(text)?;
    let scope = organisation.map_or(Scope::National, Scope::Organisation);
    crate::db::write_transaction(conn, |conn| {
        let plan = table::plan(conn, scope, &rows, valid_from, label)?;
        if !apply {
            return Ok((plan, 0));
        }
        let written = table::apply(conn, scope, &rows, &plan, None)?;
        // A national table changes every organisation's figures: each log says so.
        let concerned: Vec<OrganisationId> = match organisation {
            Some(organisation) => vec![organisation],
            None => crate::db::schema::organisations::table
                .select(crate::db::schema::organisations::id)
                .load(conn)?,
        };
        for organisation in concerned {
            audit::record(
                conn,
                audit::Change {
                    organisations: &[organisation],
                    actor: None::<UserId>,
                    subject: Subject::Organisation(organisation),
                    action: "factor_table_applied",
                    detail: format!(
                        "{label} from {valid_from}: {written} categories changed (command line)"
                    ),
                },
            )?;
        }
        Ok((plan, written))
    })
}

/// The categories an organisation picks from and its figures for each today, for the
/// pages that describe them.
pub fn figures_for(
    table: &Table,
    organisation: Option<OrganisationId>,
) -> Vec<(Category, categories::Figures)> {
    // Without a signed-in organisation, the national figures (no one's overrides).
    let viewer = organisation.unwrap_or(OrganisationId(0));
    table
        .categories
        .iter()
        .filter(|c| organisation.map_or(c.organisation_id.is_none(), |o| c.is_for(o)))
        .map(|c| (c.clone(), table.book.figures(c, viewer, table.today)))
        .collect()
}
