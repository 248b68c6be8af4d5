//! The savings ledger for the sustainability unit and admins: recent records with their
//! snapshots, and corrections as reversing records. The audit log for admins.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::{AdminUser, LedgerKeeper};
use super::csrf::CsrfForm;
use super::{AppError, Lang, Views, with_conn};
use crate::app::{Delivery, write};
use crate::audit;
use crate::db::DbPool;
use crate::i18n::{Language, format_decimal, local_time};
use crate::ledger::{self, Corrector, FactorKind, LedgerError, ReuseRecord};

const SHOWN: i64 = 200;
/// A correction must say why; this long at most.
const MAX_NOTE_CHARS: usize = 500;

#[derive(Serialize)]
struct RecordView {
    id: i64,
    recorded: String,
    item_id: i64,
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
    reverses: Option<i64>,
    reversed: bool,
    note: String,
}

fn record_view(language: Language, record: &ReuseRecord, reversed: bool) -> RecordView {
    let grams = |g: i64| format_decimal(language, g as f64 / 1000.0, 1);
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
        kg_co2e: grams(record.co2e_grams),
        money_sek: format_decimal(language, record.money_saved_ore as f64 / 100.0, 0),
        kg_material: grams(record.material_grams),
        displacement: format_decimal(language, record.displacement, 2),
        factor: format!("{factor} ({})", record.factor_version),
        reverses: record.reverses_id,
        reversed,
        note: record.note.clone(),
    }
}

async fn render(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    pool: &web::Data<DbPool>,
    organisation_id: i64,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let records = with_conn(pool, move |conn| {
        ledger::recent(conn, organisation_id, SHOWN)
    })
    .await?;
    let reversed: Vec<i64> = records.iter().filter_map(|r| r.reverses_id).collect();
    let views_of: Vec<RecordView> = records
        .iter()
        .map(|record| record_view(lang.0, record, reversed.contains(&record.id)))
        .collect();
    let mut context = views.page_context(req, lang)?;
    context.insert("records", &views_of);
    context.insert("error", &error);
    Ok(views.page(status, "ledger.html", &context)?)
}

#[get("/ledger")]
pub async fn ledger_page(
    req: HttpRequest,
    lang: Lang,
    keeper: LedgerKeeper,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = keeper.0.organisation_id;
    render(
        &req,
        lang,
        &views,
        &pool,
        organisation_id,
        StatusCode::OK,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct ReverseForm {
    #[serde(default)]
    note: String,
}

#[post("/ledger/{id}/reverse")]
pub async fn reverse(
    req: HttpRequest,
    lang: Lang,
    keeper: LedgerKeeper,
    path: web::Path<i64>,
    form: CsrfForm<ReverseForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = keeper.0.organisation_id;
    let note = form.0.note.trim().to_string();
    if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(
            &req,
            lang,
            &views,
            &pool,
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
    // A reversal is audited but mails nobody, so there is no worker to wake.
    let outcome = match with_conn(&pool, move |conn| {
        Ok::<_, AppError>(write(conn, Delivery::Mail, |tx| {
            ledger::reverse(tx, &corrector, record_id, &note)
        }))
    })
    .await?
    {
        Ok(_) => None,
        Err(LedgerError::AlreadyReversed) => Some("ledger-error-reversed"),
        Err(LedgerError::NotFound) => return Err(AppError::NotFound),
        Err(LedgerError::Db(error)) => return Err(error.into()),
    };
    match outcome {
        None => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/ledger"))
            .finish()),
        Some(key) => {
            render(
                &req,
                lang,
                &views,
                &pool,
                organisation_id,
                StatusCode::CONFLICT,
                Some(key),
            )
            .await
        }
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

#[get("/admin/audit")]
pub async fn audit_page(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = admin.0.organisation_id;
    let entries = with_conn(&pool, move |conn| {
        audit::recent(conn, organisation_id, SHOWN)
    })
    .await?;
    let language = lang.0;
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
    let mut context = views.page_context(&req, lang)?;
    context.insert("lines", &lines);
    Ok(views.page(StatusCode::OK, "admin_audit.html", &context)?)
}
