//! The organisation admin page: units, sign-in domains and people's roles.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::AdminUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Lang, Views, with_conn};
use crate::accounts::{self, AccountError, Member, Role};
use crate::db::{AnyConnection, DbPool};
use crate::i18n::parse_decimal;
use crate::ledger::{self, savings::Method};
use crate::organisations::{self, Domain, EmailDomain, Organisation, OrganisationError, Unit};

#[derive(Serialize)]
struct AdminData {
    organisation: Organisation,
    domains: Vec<Domain>,
    units: Vec<Unit>,
    members: Vec<Member>,
    method: Method,
}

fn load(conn: &mut AnyConnection, organisation_id: i64) -> Result<AdminData, AppError> {
    Ok(AdminData {
        organisation: organisations::find(conn, organisation_id)?.ok_or(AppError::NotFound)?,
        domains: organisations::domains_of(conn, organisation_id)?,
        units: organisations::units_of(conn, organisation_id)?,
        members: accounts::list_in_organisation(conn, organisation_id)?,
        method: ledger::method_of(conn, organisation_id)?,
    })
}

async fn render(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    pool: &web::Data<DbPool>,
    admin: &AdminUser,
    status: StatusCode,
    error_key: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = admin.0.organisation_id;
    let data = with_conn(pool, move |conn| load(conn, organisation_id)).await?;
    let mut context = views.page_context(req, lang)?;
    context.insert("admin", &data);
    context.insert("roles", &Role::ALL.map(Role::as_str));
    context.insert("own_user_id", &admin.0.id);
    context.insert("error_key", &error_key);
    let saved = req.query_string().contains("saved=1") && error_key.is_none();
    context.insert("saved", &saved);
    Ok(views.page(status, "admin.html", &context)?)
}

#[get("/admin")]
pub async fn admin_page(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    render(&req, lang, &views, &pool, &admin, StatusCode::OK, None).await
}

/// The outcome of an admin change: back to the page, or the page again with the reason.
enum Refusal {
    Invalid(&'static str),
    Conflict(&'static str),
}

impl From<OrganisationError> for Result<Refusal, AppError> {
    fn from(error: OrganisationError) -> Self {
        match error {
            OrganisationError::DomainTaken(_) => Ok(Refusal::Conflict("admin-error-domain-taken")),
            OrganisationError::LastDomain => Ok(Refusal::Conflict("admin-error-last-domain")),
            OrganisationError::UnitNameTaken => Ok(Refusal::Conflict("admin-error-unit-taken")),
            OrganisationError::InvalidUnitName => Ok(Refusal::Invalid("admin-error-unit-name")),
            OrganisationError::NotFound => Err(AppError::NotFound),
            OrganisationError::Db(error) => Err(error.into()),
        }
    }
}

impl From<AppError> for Result<Refusal, AppError> {
    fn from(error: AppError) -> Self {
        Err(error)
    }
}

impl From<AccountError> for Result<Refusal, AppError> {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::LastAdmin => Ok(Refusal::Conflict("admin-error-last-admin")),
            AccountError::NotFound | AccountError::ForeignUnit => Err(AppError::NotFound),
            AccountError::InvalidName => Ok(Refusal::Invalid("welcome-error-name")),
            AccountError::Db(error) => Err(error.into()),
        }
    }
}

/// Runs one change for the admin's organisation and answers with a redirect or the page.
async fn apply<E>(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    change: impl FnOnce(&mut AnyConnection, i64) -> Result<(), E> + Send + 'static,
) -> Result<HttpResponse, AppError>
where
    E: Into<Result<Refusal, AppError>> + Send + 'static,
{
    let organisation_id = admin.0.organisation_id;
    let outcome = with_conn(&pool, move |conn| -> Result<_, AppError> {
        Ok(change(conn, organisation_id).map_err(Into::into))
    })
    .await?;
    let refusal = match outcome {
        Ok(()) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin?saved=1"))
                .finish());
        }
        Err(refusal) => refusal?,
    };
    let (status, key) = match refusal {
        Refusal::Invalid(key) => (StatusCode::BAD_REQUEST, key),
        Refusal::Conflict(key) => (StatusCode::CONFLICT, key),
    };
    render(&req, lang, &views, &pool, &admin, status, Some(key)).await
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

#[post("/admin/units")]
pub async fn add_unit(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    form: CsrfForm<NameForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let name = form.0.name;
    apply(req, lang, admin, views, pool, move |conn, org| {
        organisations::create_unit(conn, org, &name).map(|_| ())
    })
    .await
}

#[post("/admin/units/{id}")]
pub async fn rename_unit(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    path: web::Path<i64>,
    form: CsrfForm<NameForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let (unit_id, name) = (path.into_inner(), form.0.name);
    apply(req, lang, admin, views, pool, move |conn, org| {
        organisations::rename_unit(conn, org, unit_id, &name)
    })
    .await
}

#[derive(Deserialize)]
pub struct DomainForm {
    domain: String,
}

#[post("/admin/domains")]
pub async fn add_domain(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    form: CsrfForm<DomainForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let Ok(domain) = EmailDomain::parse(&form.0.domain) else {
        return render(
            &req,
            lang,
            &views,
            &pool,
            &admin,
            StatusCode::BAD_REQUEST,
            Some("admin-error-domain-invalid"),
        )
        .await;
    };
    apply(req, lang, admin, views, pool, move |conn, org| {
        organisations::add_domain(conn, org, &domain)
    })
    .await
}

#[post("/admin/domains/{id}/delete")]
pub async fn remove_domain(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    path: web::Path<i64>,
    _form: CsrfForm<NoFields>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let domain_id = path.into_inner();
    apply(req, lang, admin, views, pool, move |conn, org| {
        organisations::remove_domain(conn, org, domain_id)
    })
    .await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

#[post("/admin/users/{id}/role")]
pub async fn set_role(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    path: web::Path<i64>,
    form: CsrfForm<RoleForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let role = Role::parse(&form.0.role).ok_or(AppError::BadRequest)?;
    apply(req, lang, admin, views, pool, move |conn, org| {
        accounts::set_role(conn, org, user_id, role)
    })
    .await
}

#[derive(Deserialize)]
pub struct MethodForm {
    displacement_yes: String,
    displacement_unsure: String,
    displacement_no: String,
    refurbishment_kg_co2e: String,
    transport_kg_co2e: String,
}

impl MethodForm {
    fn method(&self) -> Option<Method> {
        let number = |raw: &str| parse_decimal(raw).and_then(Result::ok);
        let method = Method {
            displacement_yes: number(&self.displacement_yes)?,
            displacement_unsure: number(&self.displacement_unsure)?,
            displacement_no: number(&self.displacement_no)?,
            refurbishment_kg_co2e: number(&self.refurbishment_kg_co2e)?,
            transport_kg_co2e: number(&self.transport_kg_co2e)?,
        };
        method.is_valid().then_some(method)
    }
}

/// The savings method: how much each answer counts, and deductions per item. Applies to
/// handovers recorded from now on; recorded ones keep their snapshot.
#[post("/admin/method")]
pub async fn set_method(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    form: CsrfForm<MethodForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let Some(method) = form.0.method() else {
        let status = StatusCode::BAD_REQUEST;
        return render(
            &req,
            lang,
            &views,
            &pool,
            &admin,
            status,
            Some("admin-error-method"),
        )
        .await;
    };
    apply(req, lang, admin, views, pool, move |conn, org| {
        ledger::set_method(conn, org, &method).map_err(AppError::from)
    })
    .await
}

#[derive(Deserialize)]
pub struct PublishForm {
    /// A checkbox: present when ticked.
    publish: Option<String>,
}

/// Opting in (or out) of the public summary page and JSON at `/public/<slug>`.
#[post("/admin/public-summary")]
pub async fn set_public_summary(
    req: HttpRequest,
    lang: Lang,
    admin: AdminUser,
    form: CsrfForm<PublishForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let publish = form.0.publish.is_some();
    apply(req, lang, admin, views, pool, move |conn, org| {
        organisations::set_public_summary(conn, org, publish).map_err(AppError::from)
    })
    .await
}
