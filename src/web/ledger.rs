//! The savings ledger for the sustainability unit and admins: recent records with their
//! snapshots, and corrections as reversing records. The audit log for admins.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::{AdminUser, LedgerKeeper};
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page};
use crate::app::ledger as app_ledger;
use crate::app::{App, Failure};
use crate::audit;
use crate::i18n::{Language, format_decimal, local_time};
use crate::ids::{ItemId, OrganisationId, RecordId};
use crate::ledger::chain::Link;
use crate::ledger::{self, Corrector, FactorKind, Grams, LedgerError, ReuseRecord};

const SHOWN: i64 = 200;
/// A correction must say why; this long at most.
const MAX_NOTE_CHARS: usize = 500;

#[derive(Serialize)]
struct RecordView {
    id: RecordId,
    recorded: String,
    item_id: ItemId,
    item_title: String,
    category: String,
    quantity: i32,
    from_unit: String,
    to_unit: String,
    kg_co2e: String,
    money_sek: String,
    kg_material: String,
    displacement: String,
    factor: String,
    reverses: Option<RecordId>,
    reversed: bool,
    note: String,
    /// The repairs' share taken off the money saved, when there was one.
    costs_sek: Option<String>,
    /// Where a measured deduction came from (a repair, a run), else empty.
    deduction_source: String,
}

fn record_view(language: Language, record: &ReuseRecord, reversed: bool) -> RecordView {
    let kg = |grams: Grams| format_decimal(language, grams.kg(), 1);
    let factor = match (record.factor_kind, record.factor_kg_co2e) {
        (FactorKind::PerItem, Some(kg)) => language.text_with(
            "ledger-factor-per-item",
            &[("kg", format_decimal(language, kg, 2).into())],
        ),
        (FactorKind::PerKg, Some(kg)) => language.text_with(
            "ledger-factor-per-kg",
            &[("kg", format_decimal(language, kg, 2).into())],
        ),
        _ => language.text("ledger-factor-none"),
    };
    RecordView {
        id: record.id,
        recorded: local_time(record.recorded_at),
        item_id: record.item_id,
        item_title: record.item_title.clone(),
        category: record.category_name.clone(),
        quantity: record.quantity,
        from_unit: record.from_unit_name.clone(),
        to_unit: record.to_unit_name.clone(),
        kg_co2e: kg(record.co2e_grams),
        money_sek: format_decimal(language, record.money_saved_ore.kronor(), 0),
        kg_material: kg(record.material_grams),
        displacement: format_decimal(language, record.displacement, 2),
        factor: format!("{factor} ({})", record.factor_version),
        reverses: record.reverses_id,
        reversed,
        note: record.note.clone(),
        costs_sek: (record.costs_ore.0 != 0)
            .then(|| format_decimal(language, record.costs_ore.kronor(), 0)),
        deduction_source: record.deduction_source.clone(),
    }
}

/// The chain's state as the page writes it.
#[derive(Serialize)]
struct ChainView {
    /// `intact`, `broken` or `unchecked`.
    state: &'static str,
    checked: Option<String>,
    links: i64,
    head_seq: i64,
    head_hash: String,
    broken_seq: Option<i64>,
    broken_record: Option<RecordId>,
    /// The message key of what is wrong.
    problem: Option<String>,
}

fn chain_view(integrity: &app_ledger::Integrity) -> ChainView {
    let head = integrity.head.clone().unwrap_or_else(Link::genesis);
    match &integrity.last_check {
        None => ChainView {
            state: "unchecked",
            checked: None,
            links: head.seq,
            head_seq: head.seq,
            head_hash: head.hash,
            broken_seq: None,
            broken_record: None,
            problem: None,
        },
        Some(check) => ChainView {
            state: if check.is_intact() {
                "intact"
            } else {
                "broken"
            },
            checked: Some(local_time(check.checked_at)),
            links: check.links,
            head_seq: check.head.seq,
            head_hash: check.head.hash.clone(),
            broken_seq: check.broken.as_ref().map(|b| b.seq),
            broken_record: check.broken.as_ref().and_then(|b| b.record_id),
            problem: check
                .broken
                .as_ref()
                .map(|b| format!("ledger-chain-problem-{}", b.problem.as_str())),
        },
    }
}

/// `ledger.html`.
#[derive(Serialize)]
struct LedgerPage {
    records: Vec<RecordView>,
    chain: ChainView,
    error: Option<&'static str>,
}

async fn render(
    page: &Page,
    app: &App,
    organisation_id: OrganisationId,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let records = app
        .read(move |conn| ledger::recent(conn, organisation_id, SHOWN))
        .await?;
    let reversed: Vec<RecordId> = records.iter().filter_map(|r| r.reverses_id).collect();
    let integrity = app_ledger::integrity(app, organisation_id).await?;
    let view = LedgerPage {
        chain: chain_view(&integrity),
        records: records
            .iter()
            .map(|record| record_view(page.language(), record, reversed.contains(&record.id)))
            .collect(),
        error,
    };
    page.show(status, "ledger.html", &view)
}

#[get("/ledger")]
pub async fn ledger_page(
    page: Page,
    keeper: LedgerKeeper,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = keeper.0.organisation_id;
    render(&page, &app, organisation_id, StatusCode::OK, None).await
}

/// Recomputes the organisation's chain now; the page shows the outcome.
#[post("/ledger/verify")]
pub async fn verify(
    keeper: LedgerKeeper,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    app_ledger::verify(&app, keeper.0.organisation_id).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/ledger#chain"))
        .finish())
}

#[derive(Deserialize)]
pub struct ReverseForm {
    #[serde(default)]
    note: String,
}

#[post("/ledger/{id}/reverse")]
pub async fn reverse(
    page: Page,
    keeper: LedgerKeeper,
    path: web::Path<RecordId>,
    form: CsrfForm<ReverseForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = keeper.0.organisation_id;
    let note = form.0.note.trim().to_string();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(
            &page,
            &app,
            organisation_id,
            status,
            Some("ledger-error-note"),
        )
        .await;
    }
    let corrector = Corrector {
        user_id: keeper.0.id,
        organisation_id,
    };
    let record_id = path.into_inner();
    let reversed = app
        .write(move |tx| ledger::reverse(tx, &corrector, record_id, &note))
        .await;
    match reversed {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/ledger"))
            .finish()),
        Err(Failure::Refused(LedgerError::AlreadyReversed)) => {
            let status = StatusCode::CONFLICT;
            render(
                &page,
                &app,
                organisation_id,
                status,
                Some("ledger-error-reversed"),
            )
            .await
        }
        Err(failure) => Err(failure.into()),
    }
}

#[derive(Serialize)]
struct AuditLine {
    when: String,
    who: String,
    subject: String,
    link: Option<String>,
    action: String,
    detail: String,
}

/// `admin_audit.html`.
#[derive(Serialize)]
struct AuditPage {
    lines: Vec<AuditLine>,
}

#[get("/admin/audit")]
pub async fn audit_page(
    page: Page,
    admin: AdminUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = admin.0.organisation_id;
    let entries = app
        .read(move |conn| audit::recent(conn, organisation_id, SHOWN))
        .await?;
    let language = page.language();
    let lines: Vec<AuditLine> = entries
        .into_iter()
        .map(|entry| AuditLine {
            when: local_time(entry.created_at),
            who: entry
                .actor_email
                .unwrap_or_else(|| language.text("audit-system")),
            subject: format!(
                "{} #{}",
                language.text(&format!("audit-subject-{}", entry.subject)),
                entry.subject_id
            ),
            link: match entry.subject.as_str() {
                "item" => Some(format!("/items/{}", entry.subject_id)),
                "reservation" => Some(format!("/reservations/{}", entry.subject_id)),
                _ => None,
            },
            action: language.text(&format!("audit-action-{}", entry.action)),
            detail: entry.detail,
        })
        .collect();
    page.show(StatusCode::OK, "admin_audit.html", &AuditPage { lines })
}
