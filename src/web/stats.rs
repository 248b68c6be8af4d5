//! The sustainability dashboard, its exports, and the public summary an organisation may
//! choose to publish.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use chrono::Utc;
use serde::Serialize;

use super::auth::LedgerKeeper;
use super::catalog::Catalog;
use super::items::{Choice, category_choices};
use super::{AppError, Lang, Views, with_conn};
use crate::categories::Category;
use crate::db::DbPool;
use crate::db::schema::organisations;
use crate::i18n::{Language, format_decimal};
use crate::items::FieldError;
use crate::ledger::{self, savings::Method};
use crate::organisations::{self as orgs, Unit};
use crate::stats::chart::{self, Chart, Datum};
use crate::stats::export::{self, About, ExportError, Format};
use crate::stats::{self, Filter, Group, RawFilter, Scope, Side, Summary, Totals};

/// Categories shown in the chart; the table beside it lists them all.
const CHART_CATEGORIES: usize = 10;

/// What a dashboard or export needs to know about the organisation.
struct Setting {
    organisation_name: String,
    organisation_slug: String,
    units: Vec<Unit>,
    categories: Arc<Vec<Category>>,
    organisation_names: BTreeMap<i64, String>,
    method: Method,
}

async fn load_setting(
    pool: &web::Data<DbPool>,
    catalog: &web::Data<Catalog>,
    organisation_id: i64,
) -> Result<Setting, AppError> {
    let catalog = catalog.clone();
    with_conn(pool, move |conn| -> Result<_, AppError> {
        let organisation = orgs::find(conn, organisation_id)?.ok_or(AppError::NotFound)?;
        Ok(Setting {
            organisation_name: organisation.name,
            organisation_slug: organisation.slug,
            organisation_names: stats::organisation_names(conn)?,
            units: orgs::units_of(conn, organisation_id)?,
            categories: catalog.categories(conn)?,
            method: ledger::method_of(conn, organisation_id)?,
        })
    })
    .await
}

impl Setting {
    /// What an export or the method section says about itself, now.
    fn about(&self, language: Language, filter: &Filter) -> About {
        About {
            organisation: self.organisation_name.clone(),
            generated_at: Utc::now().naive_utc(),
            filter_text: filter_text(language, filter, self),
            method: self.method,
        }
    }
}

fn parse_filter(raw: &RawFilter, setting: &Setting) -> Result<Filter, Vec<FieldError>> {
    let unit_ids: Vec<i64> = setting.units.iter().map(|u| u.id).collect();
    raw.parse(&unit_ids, &setting.categories)
}

/// Sums the scope's records on a blocking thread, one batch and connection at a time.
pub(crate) async fn summarise(
    pool: &web::Data<DbPool>,
    scope: Scope,
    organisation_names: BTreeMap<i64, String>,
) -> Result<Summary, AppError> {
    let pool = pool.clone();
    let _turn = pool.turn().await;
    web::block(move || {
        stats::summarise(
            || pool.get().map_err(AppError::from),
            &scope,
            &organisation_names,
        )
    })
    .await?
}

/// A row of figures as the page writes them.
#[derive(Serialize)]
struct FigureRow {
    label: String,
    handovers: String,
    items: String,
    kg_co2e: String,
    money_sek: String,
    kg_material: String,
}

fn figures(language: Language, label: String, totals: &Totals) -> FigureRow {
    FigureRow {
        label,
        handovers: format_decimal(language, totals.handovers as f64, 0),
        items: format_decimal(language, totals.items as f64, 0),
        kg_co2e: format_decimal(language, totals.co2e_grams as f64 / 1000.0, 1),
        money_sek: format_decimal(language, totals.money_ore as f64 / 100.0, 0),
        kg_material: format_decimal(language, totals.material_grams as f64 / 1000.0, 1),
    }
}

fn figure_rows(language: Language, groups: &[Group], unnamed: &str) -> Vec<FigureRow> {
    groups
        .iter()
        .map(|group| {
            let label = if group.label.is_empty() {
                unnamed.to_string()
            } else {
                group.label.clone()
            };
            figures(language, label, &group.totals)
        })
        .collect()
}

fn co2e_data(language: Language, groups: &[Group]) -> Vec<Datum> {
    groups
        .iter()
        .map(|group| Datum {
            label: group.label.clone(),
            value: group.totals.co2e_grams as f64 / 1000.0,
            value_text: format!(
                "{} kg",
                format_decimal(language, group.totals.co2e_grams as f64 / 1000.0, 0)
            ),
        })
        .collect()
}

/// A chart with its title and a one-sentence text alternative.
#[derive(Serialize)]
struct ChartView {
    id: &'static str,
    title: String,
    description: String,
    chart: Chart,
}

fn chart_view(
    language: Language,
    id: &'static str,
    title_key: &str,
    data: Vec<Datum>,
    horizontal: bool,
) -> ChartView {
    let top = data
        .iter()
        .filter(|d| d.value > 0.0)
        .max_by(|a, b| a.value.total_cmp(&b.value));
    let description = match top {
        Some(top) => language.text_with(
            "stats-chart-description",
            &[
                ("label", top.label.clone().into()),
                ("value", top.value_text.clone().into()),
            ],
        ),
        None => language.text("stats-chart-empty"),
    };
    ChartView {
        id,
        title: language.text(title_key),
        description,
        chart: if horizontal {
            chart::rows(&data)
        } else {
            chart::columns(&data)
        },
    }
}

/// The filter in words, for exports ("2026-01-01 – 2026-06-30, Förskolan Solen").
fn filter_text(language: Language, filter: &Filter, setting: &Setting) -> String {
    let mut parts = Vec::new();
    match (filter.from, filter.to) {
        (None, None) => parts.push(language.text("stats-period-all")),
        (from, to) => parts.push(format!(
            "{} – {}",
            from.map(|d| d.to_string()).unwrap_or_default(),
            to.map(|d| d.to_string()).unwrap_or_default()
        )),
    }
    if let Some(unit) = filter
        .unit_id
        .and_then(|id| setting.units.iter().find(|u| u.id == id))
    {
        parts.push(unit.name.clone());
    }
    if let Some(category) = filter
        .category_ids
        .as_ref()
        .and_then(|ids| ids.first())
        .and_then(|id| setting.categories.iter().find(|c| c.id == *id))
    {
        parts.push(category.name.clone());
    }
    parts.join(", ")
}

#[get("/stats")]
pub async fn dashboard(
    req: HttpRequest,
    lang: Lang,
    keeper: LedgerKeeper,
    query: web::Query<RawFilter>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    catalog: web::Data<Catalog>,
) -> Result<HttpResponse, AppError> {
    let language = lang.0;
    let organisation_id = keeper.0.organisation_id;
    let raw = query.into_inner();
    let setting = load_setting(&pool, &catalog, organisation_id).await?;
    let mut context = views.page_context(&req, lang)?;
    context.insert("filter", &raw);
    let units: Vec<Choice> = setting
        .units
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name.clone(),
        })
        .collect();
    let categories = category_choices(language, &setting.categories);
    context.insert("units", &units);
    context.insert("categories", &categories);
    let filter = match parse_filter(&raw, &setting) {
        Ok(filter) => filter,
        Err(errors) => {
            context.insert("errors", &errors);
            return Ok(views.page(StatusCode::BAD_REQUEST, "stats.html", &context)?);
        }
    };
    let errors: Vec<FieldError> = Vec::new();
    context.insert("errors", &errors);
    let received = Scope {
        organisation_id,
        side: Side::Received,
        filter: filter.clone(),
    };
    let given = Scope {
        organisation_id,
        side: Side::GivenToOthers,
        filter: filter.clone(),
    };
    let summary = summarise(&pool, received, setting.organisation_names.clone()).await?;
    let given = with_conn(&pool, move |conn| stats::totals(conn, &given)).await?;
    let unnamed = language.text("stats-no-unit");
    context.insert("totals", &figures(language, String::new(), &summary.totals));
    context.insert("has_records", &(summary.totals != Totals::default()));
    context.insert("given", &figures(language, String::new(), &given));
    context.insert("has_given", &(given != Totals::default()));
    context.insert(
        "months",
        &figure_rows(language, &summary.by_month, &unnamed),
    );
    context.insert(
        "month_chart",
        &chart_view(
            language,
            "chart-months",
            "stats-chart-months",
            co2e_data(language, &summary.by_month),
            false,
        ),
    );
    let top_categories = &summary.by_category[..summary.by_category.len().min(CHART_CATEGORIES)];
    context.insert(
        "category_chart",
        &chart_view(
            language,
            "chart-categories",
            "stats-chart-categories",
            co2e_data(language, top_categories),
            true,
        ),
    );
    context.insert(
        "categories_table",
        &figure_rows(language, &summary.by_category, &unnamed),
    );
    context.insert(
        "giving_units",
        &figure_rows(language, &summary.by_giving_unit, &unnamed),
    );
    context.insert(
        "receiving_units",
        &figure_rows(language, &summary.by_receiving_unit, &unnamed),
    );
    context.insert(
        "organisations",
        &figure_rows(language, &summary.by_giving_organisation, &unnamed),
    );
    let query_string = serde_urlencoded::to_string(&raw).unwrap_or_default();
    context.insert("query_string", &query_string);
    let about = setting.about(language, &filter);
    context.insert("method_lines", &export::method_lines(language, &about));
    Ok(views.page(StatusCode::OK, "stats.html", &context)?)
}

/// Hands what an export writes to the response, a chunk at a time. The channel is bounded,
/// so a slow download slows the export instead of filling memory.
struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "download stopped"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Streams an export of `scope` as a download named `file_stem.<extension>`.
pub fn stream_export(
    pool: &web::Data<DbPool>,
    format: Format,
    language: Language,
    scope: Scope,
    about: About,
    organisation_names: BTreeMap<i64, String>,
    file_stem: &str,
) -> HttpResponse {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let pool = pool.clone();
    let failed = sender.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
        };
        let outcome = export::write(
            format,
            language,
            &scope,
            &about,
            &organisation_names,
            || pool.get().map_err(ExportError::from),
            writer,
        );
        if let Err(error) = outcome {
            // The status line is already sent: ending the body with an error makes the
            // client see a broken download rather than a file that looks complete.
            tracing::error!(%error, "export failed");
            let _ = failed.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{file_stem}.{}\"",
                format.extension()
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

#[get("/stats/export.{format}")]
pub async fn export_file(
    lang: Lang,
    keeper: LedgerKeeper,
    path: web::Path<String>,
    query: web::Query<RawFilter>,
    pool: web::Data<DbPool>,
    catalog: web::Data<Catalog>,
) -> Result<HttpResponse, AppError> {
    let format = Format::parse(&path.into_inner()).ok_or(AppError::NotFound)?;
    let language = lang.0;
    let organisation_id = keeper.0.organisation_id;
    let setting = load_setting(&pool, &catalog, organisation_id).await?;
    let raw = query.into_inner();
    let filter = match parse_filter(&raw, &setting) {
        Ok(filter) => filter,
        // The dashboard explains what is wrong with the filter.
        Err(_) => {
            let query = serde_urlencoded::to_string(&raw).unwrap_or_default();
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/stats?{query}")))
                .finish());
        }
    };
    let about = setting.about(language, &filter);
    let stem = format!(
        "bruka-{}-{}",
        setting.organisation_slug,
        crate::i18n::local_time(about.generated_at)
            .get(..10)
            .unwrap_or_default()
    );
    let scope = Scope {
        organisation_id,
        side: Side::Received,
        filter,
    };
    Ok(stream_export(
        &pool,
        format,
        language,
        scope,
        about,
        setting.organisation_names,
        &stem,
    ))
}

// ---------------------------------------------------------------------------------------
// Public summary

/// Public pages may be embedded on a municipality's website; their figures are summed at
/// most this often per organisation and instance.
const PUBLIC_TTL: Duration = Duration::from_secs(300);

/// Public summaries by organisation id, with the time they were summed.
#[derive(Default)]
pub struct PublicSummaries {
    cached: Mutex<HashMap<i64, (Instant, Arc<PublicSummary>)>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicYear {
    pub year: String,
    pub totals: export::TotalsJson,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCategory {
    pub category: String,
    pub totals: export::TotalsJson,
}

/// An organisation's published totals: all time, per year and per category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicSummary {
    pub organisation: String,
    pub totals: export::TotalsJson,
    pub by_year: Vec<PublicYear>,
    pub by_category: Vec<PublicCategory>,
    /// How the figures are computed.
    pub method: Vec<String>,
    pub generated_at: String,
}

fn by_year(months: &[Group]) -> Vec<PublicYear> {
    let mut years: BTreeMap<String, Totals> = BTreeMap::new();
    for month in months {
        let year = month.label.get(..4).unwrap_or_default().to_string();
        *years.entry(year).or_default() += month.totals;
    }
    years
        .into_iter()
        .map(|(year, totals)| PublicYear {
            year,
            totals: (&totals).into(),
        })
        .collect()
}

impl PublicSummaries {
    /// The summary of the organisation published under `slug`; None unless it opted in.
    async fn get(
        &self,
        pool: &web::Data<DbPool>,
        language: Language,
        slug: String,
    ) -> Result<Option<Arc<PublicSummary>>, AppError> {
        let found = with_conn(pool, move |conn| {
            use diesel::prelude::*;
            organisations::table
                .filter(organisations::slug.eq(slug))
                .filter(organisations::public_summary.eq(true))
                .select(organisations::id)
                .first::<i64>(conn)
                .optional()
        })
        .await?;
        let Some(organisation_id) = found else {
            return Ok(None);
        };
        if let Ok(cached) = self.cached.lock()
            && let Some((at, summary)) = cached.get(&organisation_id)
            && at.elapsed() < PUBLIC_TTL
        {
            return Ok(Some(summary.clone()));
        }
        let (names, method) = with_conn(pool, move |conn| -> Result<_, AppError> {
            Ok((
                stats::organisation_names(conn)?,
                ledger::method_of(conn, organisation_id)?,
            ))
        })
        .await?;
        let scope = Scope {
            organisation_id,
            side: Side::Received,
            filter: Filter::default(),
        };
        let summary = summarise(pool, scope, names.clone()).await?;
        let organisation = names.get(&organisation_id).cloned().unwrap_or_default();
        let generated_at = Utc::now().naive_utc();
        let about = About {
            organisation: organisation.clone(),
            generated_at,
            filter_text: String::new(),
            method,
        };
        let public = Arc::new(PublicSummary {
            organisation,
            totals: (&summary.totals).into(),
            by_year: by_year(&summary.by_month),
            by_category: summary
                .by_category
                .iter()
                .map(|group| PublicCategory {
                    category: group.label.clone(),
                    totals: (&group.totals).into(),
                })
                .collect(),
            method: export::method_lines(language, &about),
            generated_at: generated_at.and_utc().to_rfc3339(),
        });
        if let Ok(mut cached) = self.cached.lock() {
            cached.insert(organisation_id, (Instant::now(), public.clone()));
        }
        Ok(Some(public))
    }
}

/// `/public/{slug}` is the page, `/public/{slug}.json` the same figures for a website.
#[get("/public/{name}")]
pub async fn public_summary(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<String>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    summaries: web::Data<PublicSummaries>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let (slug, as_json) = match name.strip_suffix(".json") {
        Some(slug) => (slug.to_string(), true),
        None => (name, false),
    };
    let summary = summaries
        .get(&pool, lang.0, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if as_json {
        return Ok(HttpResponse::Ok()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .json(summary.as_ref()));
    }
    let language = lang.0;
    let mut context = views.page_context(&req, lang)?;
    let row = |label: String, totals: &export::TotalsJson| {
        figures(language, label, &Totals::from(totals))
    };
    context.insert("organisation", &summary.organisation);
    context.insert("totals", &row(String::new(), &summary.totals));
    let years: Vec<FigureRow> = summary
        .by_year
        .iter()
        .map(|y| row(y.year.clone(), &y.totals))
        .collect();
    let categories: Vec<FigureRow> = summary
        .by_category
        .iter()
        .map(|c| row(c.category.clone(), &c.totals))
        .collect();
    context.insert("years", &years);
    context.insert("categories_table", &categories);
    context.insert("method_lines", &summary.method);
    context.insert("json_path", &format!("{}.json", req.path()));
    Ok(views.page(StatusCode::OK, "public_summary.html", &context)?)
}
