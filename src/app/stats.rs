//! The savings report use cases: what the dashboard, the exports and the API's statistics
//! share (the organisation's setting, the parsed filter, the sums), and the public summary
//! an organisation may publish.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{App, Failure};
use crate::categories::Category;
use crate::db::schema::organisations;
use crate::i18n::Language;
use crate::ids::{OrganisationId, UnitId};
use crate::ledger::{self, savings::Method};
use crate::organisations::{self as orgs, Unit};
use crate::refusal::{FieldError, Refusal, Refuses};
use crate::stats::export::{self, About, TotalsJson};
use crate::stats::period::Period;
use crate::stats::{self, Filter, Group, RawFilter, Scope, Side, Summary, Totals};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no such organisation")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
}

impl Refuses for ReportError {
    fn refusal(self) -> Refusal {
        match self {
            ReportError::NotFound => Refusal::NotFound,
            ReportError::Db(error) => Refusal::Failed(Box::new(error)),
            ReportError::Pool(error) => Refusal::Unavailable(Box::new(error)),
        }
    }
}

/// What a report needs to know about the organisation.
pub struct Setting {
    pub organisation_name: String,
    pub organisation_slug: String,
    pub units: Vec<Unit>,
    pub categories: Arc<Vec<Category>>,
    pub organisation_names: BTreeMap<OrganisationId, String>,
    pub method: Method,
}

impl Setting {
    /// What an export or the method section says about itself, now; `filter_text` is the
    /// filter in the reader's words.
    pub fn about(&self, filter_text: String) -> About {
        About {
            organisation: self.organisation_name.clone(),
            generated_at: Utc::now().naive_utc(),
            filter_text,
            method: self.method,
        }
    }
}

/// The setting and the filter as asked for: parsed, or what is wrong with it.
pub struct Report {
    pub setting: Setting,
    pub filter: Result<Filter, Vec<FieldError>>,
}

/// What the organisation received in the filter's scope, and what it gave to others
/// (counted there, so shown apart and never added).
pub struct Figures {
    pub received: Summary,
    /// The same filter over the period before and the same period a year earlier (when the
    /// filter has a period).
    pub comparisons: Vec<Compared>,
    pub given: Totals,
    /// What was given, per receiving organisation (network partners).
    pub given_to: Vec<stats::Group>,
    /// Purchases reported in the period, and the missed reuse among them.
    pub purchases: crate::purchases::PurchaseFigures,
    /// How the organisation's listings ended, days to reuse, the stores.
    pub programme: stats::programme::Programme,
}

/// Which earlier period a comparison is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    Previous,
    YearEarlier,
}

/// The totals of an earlier period, to set beside the chosen one.
pub struct Compared {
    pub against: Against,
    pub period: Period,
    pub totals: Totals,
}

/// Loads the organisation's setting and checks the filter against its units and categories.
pub async fn prepare(
    app: &App,
    organisation_id: OrganisationId,
    raw: RawFilter,
) -> Result<Report, Failure<ReportError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| {
        let organisation = orgs::find(conn, organisation_id)?.ok_or(ReportError::NotFound)?;
        let setting = Setting {
            organisation_name: organisation.name,
            organisation_slug: organisation.slug,
            organisation_names: stats::organisation_names(conn)?,
            units: orgs::units_of(conn, organisation_id)?,
            categories: catalog.categories(conn)?,
            method: ledger::method_of(conn, organisation_id)?,
        };
        let unit_ids: Vec<UnitId> = setting.units.iter().map(|u| u.id).collect();
        let filter = raw.parse(&unit_ids, &setting.categories);
        Ok(Report { setting, filter })
    })
    .await
}

/// Sums the scope's records on a blocking thread.
pub async fn summarise(
    app: &App,
    scope: Scope,
    organisation_names: BTreeMap<OrganisationId, String>,
) -> Result<Summary, Failure<ReportError>> {
    app.read(move |conn| {
        stats::summarise(conn, &scope, &organisation_names).map_err(ReportError::from)
    })
    .await
}

/// The dashboard's and the API's sums for a parsed filter.
pub async fn figures(
    app: &App,
    organisation_id: OrganisationId,
    filter: &Filter,
    organisation_names: BTreeMap<OrganisationId, String>,
) -> Result<Figures, Failure<ReportError>> {
    let scope = |side| Scope {
        organisation_id,
        side,
        filter: filter.clone(),
    };
    let received = summarise(app, scope(Side::Received), organisation_names.clone()).await?;
    let given = summarise(app, scope(Side::GivenToOthers), organisation_names).await?;
    let comparisons = match filter.period() {
        Some(period) => {
            let earlier = [
                (Against::Previous, period.previous()),
                (Against::YearEarlier, period.year_earlier()),
            ];
            let scopes: Vec<Scope> = earlier
                .iter()
                .map(|(_, other)| Scope {
                    organisation_id,
                    side: Side::Received,
                    filter: filter.over(*other),
                })
                .collect();
            let sums = app
                .read(move |conn| {
                    scopes
                        .iter()
                        .map(|scope| stats::totals(conn, scope))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(ReportError::from)
                })
                .await?;
            earlier
                .into_iter()
                .zip(sums)
                .map(|((against, period), totals)| Compared {
                    against,
                    period,
                    totals,
                })
                .collect()
        }
        None => Vec::new(),
    };
    let categories = filter.category_ids.clone();
    let (from, to) = (filter.from, filter.to);
    let (purchases, programme) = app
        .read(move |conn| {
            let purchases = crate::purchases::figures(
                conn,
                organisation_id,
                (from, to),
                categories.as_deref(),
            )?;
            let programme = stats::programme::figures(conn, organisation_id, from, to)?;
            Ok::<_, ReportError>((purchases, programme))
        })
        .await?;
    Ok(Figures {
        received,
        purchases,
        programme,
        comparisons,
        given: given.totals,
        given_to: given.by_receiving_organisation,
    })
}

/// What only the printed report adds: the factor sources counted with and the chain head.
pub struct ReportExtras {
    pub sources: Vec<(String, String, String)>,
    pub head: Option<crate::ledger::chain::Link>,
}

/// Sources listed in the report at most (the XLSX method sheet lists them all).
const REPORT_SOURCES: i64 = 8;

pub async fn report_extras(
    app: &App,
    organisation_id: OrganisationId,
    filter: &Filter,
) -> Result<ReportExtras, Failure<ReportError>> {
    let scope = Scope {
        organisation_id,
        side: Side::Received,
        filter: filter.clone(),
    };
    app.read(move |conn| {
        Ok(ReportExtras {
            sources: stats::sources(conn, &scope, REPORT_SOURCES)?,
            head: crate::ledger::chain::head(conn, organisation_id)?,
        })
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Public summary

/// Public pages may be embedded on a municipality's website; their figures are summed at
/// most this often per organisation, language and instance.
const PUBLIC_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicYear {
    pub year: String,
    pub totals: TotalsJson,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCategory {
    pub category: String,
    pub totals: TotalsJson,
}

/// An organisation's published totals: all time, per year and per category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicSummary {
    pub organisation: String,
    pub totals: TotalsJson,
    pub by_year: Vec<PublicYear>,
    pub by_category: Vec<PublicCategory>,
    /// How the figures are computed, in the reader's language.
    pub method: Vec<String>,
    pub generated_at: String,
}

/// Public summaries by organisation and language (the method is written in the reader's
/// language), with the time they were summed.
#[derive(Default)]
pub struct PublicSummaries {
    cached: Mutex<HashMap<(OrganisationId, Language), Summed>>,
}

/// A summary and when it was summed.
type Summed = (Instant, Arc<PublicSummary>);

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

fn public_summary_of(
    summary: &Summary,
    organisation: String,
    method: Method,
    language: Language,
    generated_at: NaiveDateTime,
) -> PublicSummary {
    let about = About {
        organisation: organisation.clone(),
        generated_at,
        filter_text: String::new(),
        method,
    };
    PublicSummary {
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
    }
}

/// The summary of the organisation published under `slug`; `None` unless it opted in.
pub async fn public_summary(
    app: &App,
    language: Language,
    slug: String,
) -> Result<Option<Arc<PublicSummary>>, Failure<ReportError>> {
    let found = app
        .read(move |conn| {
            organisations::table
                .filter(organisations::slug.eq(slug))
                .filter(organisations::public_summary.eq(true))
                .select(organisations::id)
                .first::<OrganisationId>(conn)
                .optional()
                .map_err(ReportError::from)
        })
        .await?;
    let Some(organisation_id) = found else {
        return Ok(None);
    };
    let key = (organisation_id, language);
    if let Ok(cached) = app.public_summaries.cached.lock()
        && let Some((at, summary)) = cached.get(&key)
        && at.elapsed() < PUBLIC_TTL
    {
        return Ok(Some(summary.clone()));
    }
    let (names, method) = app
        .read(move |conn| -> Result<_, ReportError> {
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
    let summary = summarise(app, scope, names.clone()).await?;
    let organisation = names.get(&organisation_id).cloned().unwrap_or_default();
    let public = Arc::new(public_summary_of(
        &summary,
        organisation,
        method,
        language,
        Utc::now().naive_utc(),
    ));
    if let Ok(mut cached) = app.public_summaries.cached.lock() {
        cached.insert(key, (Instant::now(), public.clone()));
    }
    Ok(Some(public))
}
