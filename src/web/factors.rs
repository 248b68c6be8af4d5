//! The factor table: every category with the emission factor, new price and source behind
//! the figures, each category's history of versions, the method that turns them into
//! savings, and the pages where the sustainability unit changes its organisation's
//! figures, adds subcategories and uploads a whole table.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::auth::{LedgerKeeper, MaybeUser};
use super::csrf::CsrfForm;
use super::{AppError, Page};
use crate::accounts::{Capability, User};
use crate::app::factors::{self, FactorError, Table};
use crate::app::{App, Failure};
use crate::categories::table::{Effect, LineError, Plan};
use crate::categories::versions::{Change, FactorBasis};
use crate::categories::{
    self, Category, FactorRange, Figures, category_name, describe_factor, describe_range,
};
use crate::i18n::{Language, format_decimal, local_time, parse_decimal};
use crate::ids::{CategoryId, OrganisationId};
use crate::ledger::Corrector;
use crate::refusal::{FieldError, Refusal, Refuses};

#[derive(Serialize)]
struct CategoryRow {
    id: CategoryId,
    name: String,
    factor: String,
    range: Option<String>,
    factor_is_estimate: bool,
    price: String,
    price_is_estimate: bool,
    /// The organisation's own figures replace some national ones.
    own: bool,
    /// A subcategory the organisation added.
    own_category: bool,
    source: String,
    source_url: String,
    notes: String,
    version: String,
}

#[derive(Serialize)]
struct CategoryGroupView {
    id: CategoryId,
    name: String,
    slug: String,
    rows: Vec<CategoryRow>,
}

fn describe_price(language: Language, price: Option<f64>, is_estimate: bool) -> String {
    let key = if is_estimate {
        "price-estimate"
    } else {
        "price-set"
    };
    match price {
        Some(amount) => language.text_with(
            key,
            &[("amount", format_decimal(language, amount, 0).into())],
        ),
        None => language.text("price-missing"),
    }
}

fn row(language: Language, category: &Category, figures: &Figures) -> CategoryRow {
    CategoryRow {
        id: category.id,
        name: category_name(language, category),
        factor: describe_factor(language, figures.factor()),
        range: describe_range(language, figures.factor),
        factor_is_estimate: figures.factor_is_estimate,
        price: describe_price(
            language,
            figures.new_price_sek,
            figures.new_price_is_estimate,
        ),
        price_is_estimate: figures.new_price_is_estimate && figures.new_price_sek.is_some(),
        own: figures.overridden,
        own_category: category.organisation_id.is_some(),
        source: figures.factor_source.clone(),
        source_url: figures.factor_source_url.clone(),
        notes: figures.factor_notes.clone(),
        version: figures.factor_version.clone(),
    }
}

fn group_views(language: Language, all: Vec<(Category, Figures)>) -> Vec<CategoryGroupView> {
    let figures: HashMap<CategoryId, Figures> =
        all.iter().map(|(c, f)| (c.id, f.clone())).collect();
    categories::group(all.into_iter().map(|(c, _)| c).collect())
        .into_iter()
        .map(|group| CategoryGroupView {
            id: group.category.id,
            name: category_name(language, &group.category),
            slug: group.category.slug.clone(),
            rows: group
                .children
                .iter()
                .filter_map(|child| figures.get(&child.id).map(|f| row(language, child, f)))
                .collect(),
        })
        .collect()
}

fn keeper_of(user: &MaybeUser) -> Option<&User> {
    user.0
        .as_ref()
        .map(|signed| &signed.user)
        .filter(|user| user.may(Capability::KeepLedger))
}

fn corrector(keeper: &LedgerKeeper) -> Corrector {
    Corrector {
        user_id: keeper.0.id,
        organisation_id: keeper.0.organisation_id,
    }
}

/// `factors.html`.
#[derive(Serialize)]
struct FactorsPage<'a> {
    groups: Vec<CategoryGroupView>,
    /// The viewer may change their organisation's figures.
    may_change: bool,
    /// Top-level groups, for a new subcategory.
    parents: Vec<(CategoryId, String)>,
    form: &'a FiguresForm,
    name: &'a str,
    parent_id: Option<CategoryId>,
    errors: HashMap<&'static str, &'static str>,
    today: String,
    imported: bool,
}

async fn render_table(
    page: &Page,
    app: &App,
    user: &MaybeUser,
    status: StatusCode,
    new: (&SubcategoryForm, Vec<FieldError>),
) -> Result<HttpResponse, AppError> {
    let table = factors::table(app).await?;
    let organisation = user.0.as_ref().map(|s| s.user.organisation_id);
    let language = page.language();
    let parents = table
        .categories
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| (c.id, category_name(language, c)))
        .collect();
    let view = FactorsPage {
        groups: group_views(language, factors::figures_for(&table, organisation)),
        may_change: keeper_of(user).is_some(),
        parents,
        form: &new.0.figures,
        name: &new.0.name,
        parent_id: new.0.parent_id,
        errors: new.1.iter().map(|e| (e.field, e.message_key)).collect(),
        today: table.today.to_string(),
        imported: page.query_has("imported=1"),
    };
    page.show(status, "factors.html", &view)
}

#[get("/factors")]
pub async fn factors_page(
    page: Page,
    user: MaybeUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let today = crate::i18n::local_date(chrono::Utc::now().naive_utc());
    let empty = SubcategoryForm {
        figures: FiguresForm {
            valid_from: today.to_string(),
            ..FiguresForm::default()
        },
        ..SubcategoryForm::default()
    };
    render_table(&page, &app, &user, StatusCode::OK, (&empty, Vec::new())).await
}

/// A category's figures as typed on a form: numbers with a decimal comma or point, empty
/// for "not set" (an organisation's empty field keeps the national figure).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct FiguresForm {
    valid_from: String,
    factor_basis: String,
    factor_low: String,
    factor_central: String,
    factor_high: String,
    typical_weight_kg: String,
    new_price_sek: String,
    source: String,
    source_url: String,
    reason: String,
}

impl FiguresForm {
    fn change(&self) -> Change {
        // Text that is not a number reaches the checks as NaN, which they refuse with the
        // field's message.
        let number = |raw: &str| parse_decimal(raw).map(|parsed| parsed.unwrap_or(f64::NAN));
        Change {
            valid_from: NaiveDate::parse_from_str(self.valid_from.trim(), "%Y-%m-%d").ok(),
            factor_basis: FactorBasis::parse(self.factor_basis.trim()),
            factor_low: number(&self.factor_low),
            factor_central: number(&self.factor_central),
            factor_high: number(&self.factor_high),
            typical_weight_kg: number(&self.typical_weight_kg),
            new_price_sek: number(&self.new_price_sek),
            source: self.source.clone(),
            source_url: self.source_url.clone(),
            reason: self.reason.clone(),
        }
    }

    /// The form to start an edit from: the organisation's own latest figures, with today.
    fn starting_from(
        own: Option<&crate::categories::versions::CategoryVersion>,
        today: NaiveDate,
    ) -> Self {
        let text = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
        match own {
            Some(own) => Self {
                valid_from: today.to_string(),
                factor_basis: own
                    .factor_basis
                    .map(|b| b.as_str().to_string())
                    .unwrap_or_default(),
                factor_low: text(own.factor_low),
                factor_central: text(own.factor_central),
                factor_high: text(own.factor_high),
                typical_weight_kg: text(own.typical_weight_kg),
                new_price_sek: text(own.new_price_sek),
                source: own.source.clone(),
                source_url: own.source_url.clone(),
                reason: String::new(),
            },
            None => Self {
                valid_from: today.to_string(),
                ..Self::default()
            },
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubcategoryForm {
    parent_id: Option<CategoryId>,
    name: String,
    #[serde(flatten)]
    figures: FiguresForm,
}

/// Answers a refused change with the page again, what was typed kept, or the error page.
fn refused_fields(
    failure: Failure<FactorError>,
) -> Result<(StatusCode, Vec<FieldError>), AppError> {
    match failure {
        Failure::Refused(FactorError::Invalid(fields)) => {
            let status = AppError::Refused(Refusal::Invalid(Vec::new()))
                .answer()
                .status;
            Ok((status, fields))
        }
        Failure::Refused(error) => Err(AppError::Refused(error.refusal())),
        Failure::Pool(error) => Err(AppError::Pool(error)),
        Failure::Stopped(error) => Err(AppError::Stopped(error)),
    }
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

#[post("/factors/subcategories")]
pub async fn add_subcategory(
    page: Page,
    keeper: LedgerKeeper,
    user: MaybeUser,
    form: CsrfForm<SubcategoryForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let parent = form.parent_id.unwrap_or(CategoryId(0));
    let done = factors::add_subcategory(
        &app,
        corrector(&keeper),
        parent,
        form.name.clone(),
        form.figures.change(),
    )
    .await;
    match done {
        Ok(id) => Ok(see_other(format!("/factors/{id}?saved=1"))),
        Err(failure) => {
            let (status, errors) = refused_fields(failure)?;
            render_table(&page, &app, &user, status, (&form, errors)).await
        }
    }
}

#[derive(Serialize)]
struct VersionView {
    valid_from: String,
    /// `national`, `own` (the viewer's organisation) or `owner` (the subcategory's).
    whose: &'static str,
    basis: Option<&'static str>,
    low: Option<String>,
    central: Option<String>,
    high: Option<String>,
    weight: Option<String>,
    price: Option<String>,
    source: String,
    source_url: String,
    table_version: String,
    reason: String,
    changed_by: Option<String>,
    recorded_at: String,
    /// The version whose factor applies today.
    current: bool,
}

/// `factors/category.html`.
#[derive(Serialize)]
struct CategoryPage<'a> {
    id: CategoryId,
    name: String,
    group: Option<String>,
    current: CategoryRow,
    weight: Option<String>,
    versions: Vec<VersionView>,
    may_change: bool,
    own_category: bool,
    form: &'a FiguresForm,
    errors: HashMap<&'static str, &'static str>,
    saved: bool,
}

fn version_views(
    language: Language,
    table: &Table,
    category: &Category,
    organisation: OrganisationId,
    figures: &Figures,
) -> Vec<VersionView> {
    let decimal = |v: Option<f64>, places| v.map(|v| format_decimal(language, v, places));
    let mut views: Vec<VersionView> = table
        .book
        .history(category, organisation)
        .into_iter()
        .map(|v| VersionView {
            valid_from: v.valid_from.to_string(),
            whose: match v.organisation_id {
                None => "national",
                Some(owner) if owner == organisation => "own",
                Some(_) => "owner",
            },
            basis: v.factor_basis.map(FactorBasis::as_str),
            low: decimal(v.factor_low, 2),
            central: decimal(v.factor_central, 2),
            high: decimal(v.factor_high, 2),
            weight: decimal(v.typical_weight_kg, 2),
            price: decimal(v.new_price_sek, 0),
            source: v.source.clone(),
            source_url: v.source_url.clone(),
            table_version: v.table_version.clone(),
            reason: v.reason.clone(),
            changed_by: v.changed_by.and_then(|id| table.authors.get(&id).cloned()),
            recorded_at: local_time(v.created_at),
            current: figures.version_id == Some(v.id),
        })
        .collect();
    views.reverse();
    views
}

async fn render_category(
    page: &Page,
    app: &App,
    user: &MaybeUser,
    id: CategoryId,
    status: StatusCode,
    typed: Option<(&FiguresForm, Vec<FieldError>)>,
) -> Result<HttpResponse, AppError> {
    let table = factors::table(app).await?;
    let organisation = user.0.as_ref().map(|s| s.user.organisation_id);
    let language = page.language();
    let viewer = organisation.unwrap_or(OrganisationId(0));
    let category = table
        .categories
        .iter()
        .find(|c| c.id == id && c.parent_id.is_some())
        .filter(|c| organisation.map_or(c.organisation_id.is_none(), |o| c.is_for(o)))
        .ok_or(AppError::NotFound)?;
    let figures = table.book.figures(category, viewer, table.today);
    let group = table
        .categories
        .iter()
        .find(|c| Some(c.id) == category.parent_id)
        .map(|c| category_name(language, c));
    let start;
    let (form, errors) = match typed {
        Some((form, errors)) => (form, errors),
        None => {
            start = FiguresForm::starting_from(table.book.own_latest(id, viewer), table.today);
            (&start, Vec::new())
        }
    };
    let view = CategoryPage {
        id,
        name: category_name(language, category),
        group,
        current: row(language, category, &figures),
        weight: figures
            .typical_weight_kg
            .map(|w| format_decimal(language, w, 2)),
        versions: version_views(language, &table, category, viewer, &figures),
        may_change: keeper_of(user).is_some(),
        own_category: category.organisation_id.is_some(),
        form,
        errors: errors.iter().map(|e| (e.field, e.message_key)).collect(),
        saved: page.query_has("saved=1"),
    };
    page.show(status, "factors/category.html", &view)
}

#[get("/factors/{id}")]
pub async fn category_page(
    page: Page,
    user: MaybeUser,
    path: web::Path<CategoryId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    render_category(&page, &app, &user, path.into_inner(), StatusCode::OK, None).await
}

/// A new version of the category's figures for the keeper's organisation.
#[post("/factors/{id}")]
pub async fn change_figures(
    page: Page,
    keeper: LedgerKeeper,
    user: MaybeUser,
    path: web::Path<CategoryId>,
    form: CsrfForm<FiguresForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.0;
    match factors::change(&app, corrector(&keeper), id, form.change()).await {
        Ok(_) => Ok(see_other(format!("/factors/{id}?saved=1"))),
        Err(failure) => {
            let (status, errors) = refused_fields(failure)?;
            render_category(&page, &app, &user, id, status, Some((&form, errors))).await
        }
    }
}

/// `factors/import.html`: the upload form, or a preview of what an upload would change.
#[derive(Serialize, Default)]
struct ImportPage {
    valid_from: String,
    label: String,
    errors: HashMap<&'static str, &'static str>,
    lines: Vec<LineError>,
    preview: Option<PreviewView>,
    max_kb: usize,
}

#[derive(Serialize)]
struct PreviewView {
    upload_id: i64,
    valid_from: String,
    label: String,
    changes: usize,
    rows: Vec<PreviewRow>,
}

#[derive(Serialize)]
struct PreviewRow {
    line: u64,
    path: String,
    effect: &'static str,
    before_factor: Option<String>,
    before_price: Option<String>,
    after_factor: String,
    after_price: Option<String>,
    source: String,
}

fn range_text(language: Language, range: FactorRange) -> String {
    let basis = match range.basis {
        FactorBasis::PerItem => "factor-per-item",
        FactorBasis::PerKg => "factor-per-kg",
    };
    let counted = language.text_with(
        basis,
        &[("kg", format_decimal(language, range.counted(), 2).into())],
    );
    match describe_range(language, Some(range)) {
        Some(spread) => format!("{counted} ({spread})"),
        None => counted,
    }
}

fn preview_view(language: Language, id: i64, plan: &Plan) -> PreviewView {
    let price = |p: Option<f64>| p.map(|p| format_decimal(language, p, 0));
    PreviewView {
        upload_id: id,
        valid_from: plan.valid_from.to_string(),
        label: plan.label.clone(),
        changes: plan.changes(),
        rows: plan
            .rows
            .iter()
            .map(|r| PreviewRow {
                line: r.row_line,
                path: r.path.clone(),
                effect: match r.effect {
                    Effect::New => "new",
                    Effect::Changed => "changed",
                    Effect::Unchanged => "unchanged",
                },
                before_factor: r
                    .before
                    .as_ref()
                    .and_then(|b| b.factor)
                    .map(|f| range_text(language, f)),
                before_price: r.before.as_ref().and_then(|b| price(b.new_price_sek)),
                after_factor: range_text(language, r.after_factor),
                after_price: price(r.after_price),
                source: r.after_source.clone(),
            })
            .collect(),
    }
}

fn show_import(
    page: &Page,
    status: StatusCode,
    view: ImportPage,
) -> Result<HttpResponse, AppError> {
    page.show(
        status,
        "factors/import.html",
        &ImportPage {
            max_kb: crate::categories::table::MAX_FILE_BYTES / 1024,
            ..view
        },
    )
}

#[get("/factors/import")]
pub async fn import_page(page: Page, _keeper: LedgerKeeper) -> Result<HttpResponse, AppError> {
    let today = crate::i18n::local_date(chrono::Utc::now().naive_utc());
    show_import(
        &page,
        StatusCode::OK,
        ImportPage {
            valid_from: today.to_string(),
            ..ImportPage::default()
        },
    )
}

/// Reads the uploaded table and shows what it would change; nothing changes yet.
#[post("/factors/import")]
pub async fn upload_table(
    page: Page,
    keeper: LedgerKeeper,
    req: HttpRequest,
    payload: Multipart,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let max = crate::categories::table::MAX_FILE_BYTES;
    let form = super::multipart::read(&req, payload, "file", max, 1).await?;
    let valid_from_text = form
        .field("valid_from")
        .unwrap_or_default()
        .trim()
        .to_string();
    let label = form.field("label").unwrap_or_default().trim().to_string();
    let typed = ImportPage {
        valid_from: valid_from_text.clone(),
        label: label.clone(),
        ..ImportPage::default()
    };
    let refused_status = AppError::Refused(Refusal::Invalid(Vec::new()))
        .answer()
        .status;
    let oversized = form.oversized;
    let text = match (form.files.into_iter().next(), oversized) {
        (_, n) if n > 0 => Err("factor-import-too-large"),
        (None, _) => Err("factor-import-no-file"),
        (Some(file), _) => String::from_utf8(file.bytes).map_err(|_| "factor-import-not-text"),
    };
    let text = match text {
        Ok(text) => text,
        Err(key) => {
            let errors = HashMap::from([("file", key)]);
            return show_import(&page, refused_status, ImportPage { errors, ..typed });
        }
    };
    let valid_from = NaiveDate::parse_from_str(&valid_from_text, "%Y-%m-%d").ok();
    match factors::upload(&app, corrector(&keeper), text, valid_from, label).await {
        Ok(upload) => {
            let preview = preview_view(page.language(), upload.id, &upload.plan);
            show_import(
                &page,
                StatusCode::OK,
                ImportPage {
                    preview: Some(preview),
                    ..typed
                },
            )
        }
        Err(Failure::Refused(FactorError::Lines(lines))) => {
            let errors = HashMap::from([("file", "factor-import-error")]);
            show_import(
                &page,
                refused_status,
                ImportPage {
                    errors,
                    lines,
                    ..typed
                },
            )
        }
        Err(Failure::Refused(FactorError::LabelUsed)) => {
            let errors = HashMap::from([("label", "factor-error-label-used")]);
            show_import(&page, StatusCode::CONFLICT, ImportPage { errors, ..typed })
        }
        Err(failure) => {
            let (status, fields) = refused_fields(failure)?;
            let errors = fields.iter().map(|e| (e.field, e.message_key)).collect();
            show_import(&page, status, ImportPage { errors, ..typed })
        }
    }
}

#[derive(Deserialize)]
pub struct ApplyForm {
    upload_id: i64,
}

/// Applies an upload whose preview the keeper saw; once, whatever the browser resends.
#[post("/factors/import/apply")]
pub async fn apply_table(
    keeper: LedgerKeeper,
    form: CsrfForm<ApplyForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    factors::apply_upload(&app, corrector(&keeper), form.0.upload_id).await?;
    Ok(see_other("/factors?imported=1".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Factor;

    #[test]
    fn factors_read_naturally_in_each_language() {
        let per_item = Some(Factor::PerItem { kg_co2e: 64.0 });
        assert_eq!(
            describe_factor(Language::Swedish, per_item),
            "64 kg CO₂e per styck"
        );
        let per_kg = Some(Factor::PerKg {
            kg_co2e_per_kg: 5.65,
            typical_weight_kg: None,
        });
        assert_eq!(
            describe_factor(Language::Swedish, per_kg),
            "5,65 kg CO₂e per kg"
        );
        assert_eq!(
            describe_factor(Language::English, per_kg),
            "5.65 kg CO₂e per kg"
        );
        assert_eq!(
            describe_price(Language::Swedish, Some(4000.0), true),
            "cirka 4\u{202f}000 kr"
        );
    }

    #[test]
    fn typed_figures_keep_decimal_commas_and_refuse_words() {
        let form = FiguresForm {
            valid_from: "2026-12-05".into(),
            factor_basis: "per_item".into(),
            factor_central: "96,5".into(),
            new_price_sek: "många".into(),
            ..FiguresForm::default()
        };
        let change = form.change();
        assert_eq!(change.factor_central, Some(96.5));
        assert!(change.new_price_sek.is_some_and(f64::is_nan));
        assert_eq!(change.factor_low, None);
    }
}
