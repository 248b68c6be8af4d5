//! Savings statistics over the API: the same sums as the dashboard, for the sustainability
//! unit's own reporting tools.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::caller::ApiCaller;
use super::problem::Problem;
use crate::app::App;
use crate::app::stats as report;
use crate::refusal::Refusal;
use crate::stats::export::TotalsJson;
use crate::stats::{self, RawFilter};
use crate::web::AppError;

/// Period, unit and category, as on the dashboard.
#[derive(Debug, Clone, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// A calendar period instead of `from` and `to`: `m2026-11` (month), `q2026-4`
    /// (quarter), `t2026-3` (tertial, four months), `y2026` (year).
    #[param(pattern = "^(m[0-9]{4}-(1[0-2]|[1-9])|q[0-9]{4}-[1-4]|t[0-9]{4}-[1-3]|y[0-9]{4})$")]
    pub period: Option<String>,
    /// First day included, `YYYY-MM-DD` (local time).
    pub from: Option<String>,
    /// Last day included, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// A unit of the caller's organisation (giving or receiving).
    pub unit: Option<String>,
    /// A category slug (subcategories included).
    pub category: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsGroup {
    pub label: String,
    pub totals: TotalsJson,
}

/// Sums of the ledger rows of handovers the caller's organisation received.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub totals: TotalsJson,
    /// Purchases reported in the period (`POST /api/v1/purchases`), how many followed a
    /// reuse check, and those made while listings were available ("missed reuse").
    pub purchases: crate::purchases::PurchaseFigures,
    /// What the organisation gave to other organisations (counted there, not here).
    pub given_to_others: TotalsJson,
    pub by_month: Vec<StatsGroup>,
    pub by_category: Vec<StatsGroup>,
    pub by_giving_unit: Vec<StatsGroup>,
    pub by_receiving_unit: Vec<StatsGroup>,
    pub by_giving_organisation: Vec<StatsGroup>,
}

fn groups(groups: &[stats::Group]) -> Vec<StatsGroup> {
    groups
        .iter()
        .map(|group| StatsGroup {
            label: group.label.clone(),
            totals: (&group.totals).into(),
        })
        .collect()
}

/// Savings statistics (sustainability and admin tokens only).
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    operation_id = "get_stats",
    tag = "stats",
    params(StatsQuery),
    responses(
        (status = 200, description = "Totals and breakdowns", body = Stats),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "The token's owner does not see statistics", body = Problem),
        (status = 422, description = "A filter is wrong", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/stats")]
pub async fn get_stats(
    caller: ApiCaller,
    query: web::Query<StatsQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    if !caller.may_see_stats() {
        return Err(AppError::Forbidden);
    }
    let organisation_id = caller.user.organisation_id;
    let raw = RawFilter {
        period: query.period.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        unit: query.unit.clone().unwrap_or_default(),
        category: query.category.clone().unwrap_or_default(),
    };
    let report = report::prepare(&app, organisation_id, raw).await?;
    let filter = report
        .filter
        .map_err(|errors| AppError::Refused(Refusal::Invalid(errors)))?;
    let names = report.setting.organisation_names;
    let sums = report::figures(&app, organisation_id, &filter, names).await?;
    let received = sums.received;
    Ok(HttpResponse::Ok().json(Stats {
        purchases: sums.purchases,
        totals: (&received.totals).into(),
        given_to_others: (&sums.given).into(),
        by_month: groups(&received.by_month),
        by_category: groups(&received.by_category),
        by_giving_unit: groups(&received.by_giving_unit),
        by_receiving_unit: groups(&received.by_receiving_unit),
        by_giving_organisation: groups(&received.by_giving_organisation),
    }))
}
