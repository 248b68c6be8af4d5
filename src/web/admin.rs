//! The organisation admin page: units, sign-in domains and people's roles.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use super::auth::AdminUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page};
use crate::accounts::{self, Member, Role};
use crate::app::{App, Failure, domains};
use crate::audit::{self, Note, Subject};
use crate::db::AnyConnection;
use crate::directory::{self, GroupRole};
use crate::i18n::parse_decimal;
use crate::ids::{DomainId, OrganisationId, UnitId, UserId};
use crate::items::ending::{EndPolicy, EndStep, PolicyError};
use crate::ledger::{self, savings::Method};
use crate::organisations::{self, Domain, EmailDomain, Organisation, Unit};
use crate::refusal::{Refusal, Refuses};
use crate::stores::{self, StoreSetting};

#[derive(Serialize)]
struct AdminData {
    organisation: Organisation,
    domains: Vec<Domain>,
    units: Vec<Unit>,
    members: Vec<Member>,
    method: Method,
    directory: Option<DirectoryView>,
    directory_groups: Vec<GroupRole>,
    ending: EndingView,
    recipients: Vec<super::recipients::RecipientView>,
    recipient_terms: String,
    recipient_kinds: [&'static str; crate::recipients::RecipientKind::ALL.len()],
}

/// The end-of-listing policy as the admin page's form shows it.
#[derive(Serialize)]
struct EndingView {
    reminder_days: i32,
    step_days: i32,
    /// One choice per step there is, each a step's name or empty.
    steps: [&'static str; EndStep::ALL.len()],
    choices: [&'static str; EndStep::ALL.len()],
}

impl EndingView {
    fn of(policy: &EndPolicy) -> Self {
        let mut steps = [""; EndStep::ALL.len()];
        for (slot, step) in steps.iter_mut().zip(&policy.steps) {
            *slot = step.as_str();
        }
        Self {
            reminder_days: policy.reminder_days,
            step_days: policy.step_days,
            steps,
            choices: EndStep::ALL.map(EndStep::as_str),
        }
    }
}

/// The directory as the admin page shows it: never the secret.
#[derive(Serialize)]
struct DirectoryView {
    issuer: String,
    client_id: String,
    tenant_id: String,
    links_enabled: bool,
    verified: bool,
}

fn load(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Option<AdminData>> {
    let Some(organisation) = organisations::find(conn, organisation_id)? else {
        return Ok(None);
    };
    Ok(Some(AdminData {
        organisation,
        domains: organisations::domains_of(conn, organisation_id)?,
        units: organisations::units_of(conn, organisation_id)?,
        members: accounts::list_in_organisation(conn, organisation_id)?,
        method: ledger::method_of(conn, organisation_id)?,
        directory: directory::find(conn, organisation_id)?.map(|found| DirectoryView {
            issuer: found.issuer,
            client_id: found.client_id,
            tenant_id: found.tenant_id,
            links_enabled: found.links_enabled,
            verified: found.verified,
        }),
        directory_groups: directory::group_roles(conn, organisation_id)?,
        ending: EndingView::of(&organisations::end_policy(conn, organisation_id)?),
        recipients: super::recipients::recipient_views(&crate::recipients::of_organisation(
            conn,
            organisation_id,
        )?),
        recipient_terms: crate::recipients::terms_of(conn, organisation_id)?,
        recipient_kinds: crate::recipients::RecipientKind::ALL
            .map(crate::recipients::RecipientKind::as_str),
    }))
}

/// `admin.html`.
#[derive(Serialize)]
struct AdminPage<'a> {
    admin: AdminData,
    roles: [&'static str; Role::ALL.len()],
    own_user_id: UserId,
    error_key: Option<&'static str>,
    saved: bool,
    /// The redirect URI to register at the directory.
    directory_callback: &'a str,
}

async fn render(
    page: &Page,
    app: &App,
    admin: &AdminUser,
    status: StatusCode,
    error_key: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = admin.0.organisation_id;
    let data = app
        .read(move |conn| load(conn, organisation_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let view = AdminPage {
        admin: data,
        roles: Role::ALL.map(Role::as_str),
        own_user_id: admin.0.id,
        error_key,
        saved: page.query_has("saved=1") && error_key.is_none(),
        directory_callback: &app.directory_callback,
    };
    page.show(status, "admin.html", &view)
}

#[get("/admin")]
pub async fn admin_page(
    page: Page,
    admin: AdminUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    render(&page, &app, &admin, StatusCode::OK, None).await
}

/// Runs one change for the admin's organisation, with its audit entry naming the admin,
/// and answers with a redirect, or the page again saying why not (in the words and with
/// the status of the error policy's table).
async fn apply<E>(
    page: Page,
    admin: AdminUser,
    app: web::Data<App>,
    change: impl FnOnce(&mut AnyConnection, OrganisationId) -> Result<Note, E> + Send + 'static,
) -> Result<HttpResponse, AppError>
where
    E: Refuses + From<diesel::result::Error> + Send + 'static,
{
    let organisation_id = admin.0.organisation_id;
    let actor = Some(admin.0.id);
    let done = app
        .read(move |conn| {
            audit::audited(conn, organisation_id, actor, |conn| {
                change(conn, organisation_id).map(|note| ((), note))
            })
        })
        .await;
    let refused = match done {
        Ok(()) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/admin?saved=1"))
                .finish());
        }
        Err(Failure::Refused(error)) => AppError::Refused(error.refusal()),
        Err(Failure::Pool(error)) => return Err(AppError::Pool(error)),
        Err(Failure::Stopped(error)) => return Err(AppError::Stopped(error)),
    };
    let key = match &refused {
        AppError::Refused(Refusal::Invalid(fields)) => fields.first().map(|f| f.message_key),
        AppError::Refused(Refusal::Conflict { message, .. }) => Some(message.key),
        _ => None,
    };
    match key {
        Some(key) => render(&page, &app, &admin, refused.answer().status, Some(key)).await,
        None => Err(refused),
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

#[post("/admin/units")]
pub async fn add_unit(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<NameForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let name = form.0.name;
    apply(page, admin, app, move |conn, org| {
        let unit = organisations::create_unit(conn, org, &name)?;
        Ok::<_, organisations::OrganisationError>(Note::new(
            Subject::Unit(unit.id),
            "unit_added",
            unit.name,
        ))
    })
    .await
}

#[post("/admin/units/{id}")]
pub async fn rename_unit(
    page: Page,
    admin: AdminUser,
    path: web::Path<UnitId>,
    form: CsrfForm<NameForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (unit_id, name) = (path.into_inner(), form.0.name);
    apply(page, admin, app, move |conn, org| {
        organisations::rename_unit(conn, org, unit_id, &name)?;
        Ok::<_, organisations::OrganisationError>(Note::new(
            Subject::Unit(unit_id),
            "unit_renamed",
            name,
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct StoreForm {
    #[serde(default)]
    is_store: Option<String>,
    #[serde(default)]
    store_address: String,
    #[serde(default)]
    store_instructions: String,
}

/// Makes a unit a reuse store (its people become the store's staff) or ordinary again.
#[post("/admin/units/{id}/store")]
pub async fn set_store(
    page: Page,
    admin: AdminUser,
    path: web::Path<UnitId>,
    form: CsrfForm<StoreForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let setting = if form.is_store.is_some() {
        StoreSetting::Store {
            address: form.store_address,
            instructions: form.store_instructions,
        }
    } else {
        StoreSetting::NotAStore
    };
    let unit = path.into_inner();
    apply(page, admin, app, move |conn, org| {
        stores::set_store(conn, org, unit, &setting)?;
        let (action, detail) = match setting {
            StoreSetting::Store { address, .. } => ("store_set", address.trim().to_string()),
            StoreSetting::NotAStore => ("store_unset", String::new()),
        };
        Ok::<_, stores::StoreError>(Note::new(Subject::Unit(unit), action, detail))
    })
    .await
}

#[derive(Deserialize)]
pub struct DomainForm {
    domain: String,
    /// An address at the domain, where the confirmation link goes.
    #[serde(default)]
    proof_address: String,
}

/// Adds a sign-in domain that signs nobody in until the link mailed to an address at it is
/// followed; public mail services are refused.
#[post("/admin/domains")]
pub async fn add_domain(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<DomainForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let Ok(domain) = EmailDomain::parse(&form.0.domain) else {
        let status = StatusCode::BAD_REQUEST;
        return render(
            &page,
            &app,
            &admin,
            status,
            Some("admin-error-domain-invalid"),
        )
        .await;
    };
    let language = page.language();
    let proof = domains::proof(
        &app,
        admin.0.organisation_id,
        &domain,
        &form.0.proof_address,
    );
    let answer = apply(page, admin, app.clone(), move |conn, org| {
        domains::claim(conn, org, &domain, proof, language)
    })
    .await;
    app.mail.wake_worker();
    answer
}

#[post("/admin/domains/{id}/delete")]
pub async fn remove_domain(
    page: Page,
    admin: AdminUser,
    path: web::Path<DomainId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let domain_id = path.into_inner();
    apply(page, admin, app, move |conn, org| {
        let removed = organisations::remove_domain(conn, org, domain_id)?;
        Ok::<_, organisations::OrganisationError>(Note::new(
            Subject::Domain(domain_id),
            "domain_removed",
            removed.domain,
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

#[post("/admin/users/{id}/role")]
pub async fn set_role(
    page: Page,
    admin: AdminUser,
    path: web::Path<UserId>,
    form: CsrfForm<RoleForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let role = Role::parse(&form.0.role).ok_or(AppError::BadRequest)?;
    apply(page, admin, app, move |conn, org| {
        accounts::set_role(conn, org, user_id, role)?;
        Ok::<_, accounts::AccountError>(Note::new(
            Subject::User(user_id),
            "role_changed",
            role.as_str(),
        ))
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
    page: Page,
    admin: AdminUser,
    form: CsrfForm<MethodForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let Some(method) = form.0.method() else {
        let status = StatusCode::BAD_REQUEST;
        return render(&page, &app, &admin, status, Some("admin-error-method")).await;
    };
    apply(page, admin, app, move |conn, org| {
        ledger::set_method(conn, org, &method)?;
        Ok::<_, diesel::result::Error>(Note::new(
            Subject::Organisation(org),
            "method_changed",
            format!(
                "counts yes {}, unsure {}, no {}; deducts {} kg refurbishment, {} kg transport per item",
                method.displacement_yes,
                method.displacement_unsure,
                method.displacement_no,
                method.refurbishment_kg_co2e,
                method.transport_kg_co2e
            ),
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct EndingForm {
    reminder_days: String,
    step_days: String,
    #[serde(default)]
    step_1: String,
    #[serde(default)]
    step_2: String,
    #[serde(default)]
    step_3: String,
    #[serde(default)]
    step_4: String,
}

impl EndingForm {
    /// The policy, or the message key of what is wrong with it.
    fn policy(&self) -> Result<EndPolicy, &'static str> {
        let days = |text: &str| {
            text.trim()
                .parse::<i32>()
                .map_err(|_| "admin-error-ending-days")
        };
        let mut steps = Vec::new();
        for text in [&self.step_1, &self.step_2, &self.step_3, &self.step_4] {
            match text.trim() {
                "" => {}
                text => steps.push(EndStep::parse(text).ok_or("admin-error-ending-step")?),
            }
        }
        EndPolicy::new(days(&self.reminder_days)?, steps, days(&self.step_days)?).map_err(|error| {
            match error {
                PolicyError::Repeated => "admin-error-ending-repeated",
                PolicyError::RecycleNotLast => "admin-error-ending-recycle-last",
                PolicyError::Days => "admin-error-ending-days",
            }
        })
    }
}

/// What happens to listings nobody claims: the reminder, the steps and their length.
#[post("/admin/ending")]
pub async fn set_ending(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<EndingForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let policy = match form.0.policy() {
        Ok(policy) => policy,
        Err(key) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&page, &app, &admin, status, Some(key)).await;
        }
    };
    apply(page, admin, app, move |conn, org| {
        organisations::set_end_policy(conn, org, &policy)?;
        Ok::<_, diesel::result::Error>(Note::new(
            Subject::Organisation(org),
            "ending_changed",
            format!(
                "remind {} days before; steps [{}] of {} days",
                policy.reminder_days,
                policy.steps_text(),
                policy.step_days
            ),
        ))
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
    page: Page,
    admin: AdminUser,
    form: CsrfForm<PublishForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let publish = form.0.publish.is_some();
    apply(page, admin, app, move |conn, org| {
        organisations::set_public_summary(conn, org, publish)?;
        let action = if publish {
            "public_summary_published"
        } else {
            "public_summary_withdrawn"
        };
        Ok::<_, diesel::result::Error>(Note::new(Subject::Organisation(org), action, ""))
    })
    .await
}

#[derive(Deserialize)]
pub struct DirectoryForm {
    issuer: String,
    client_id: String,
    /// Empty keeps the stored secret (it is never shown again).
    client_secret: String,
    tenant_id: String,
}

/// Sets up or changes the organisation's directory (OpenID Connect provider).
#[post("/admin/directory")]
pub async fn set_directory(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<DirectoryForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let typed_secret = form.client_secret.trim();
    let sealed = (!typed_secret.is_empty()).then(|| app.sealer.seal(typed_secret));
    apply(page, admin, app, move |conn, org| {
        let sealed = match sealed {
            Some(sealed) => sealed,
            None => directory::find(conn, org)?
                .map(|found| found.client_secret_sealed)
                .unwrap_or_default(),
        };
        directory::save(
            conn,
            org,
            &form.issuer,
            &form.client_id,
            &sealed,
            &form.tenant_id,
        )?;
        Ok::<_, directory::SettingsError>(Note::new(
            Subject::Organisation(org),
            "directory_set",
            format!(
                "issuer {}, client {}",
                form.issuer.trim(),
                form.client_id.trim()
            ),
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct LinksForm {
    /// A checkbox: present when ticked.
    links: Option<String>,
}

/// Whether the mailed link (and its code) still signs the organisation's people in.
#[post("/admin/directory/links")]
pub async fn set_directory_links(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<LinksForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let enabled = form.0.links.is_some();
    apply(page, admin, app, move |conn, org| {
        directory::set_links_enabled(conn, org, enabled)?;
        Ok::<_, directory::SettingsError>(Note::new(
            Subject::Organisation(org),
            "directory_links",
            if enabled { "on" } else { "off" },
        ))
    })
    .await
}

/// Ends directory sign-in; the mailed link works again.
#[post("/admin/directory/delete")]
pub async fn remove_directory(
    page: Page,
    admin: AdminUser,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    apply(page, admin, app, move |conn, org| {
        directory::remove(conn, org)?;
        Ok::<_, diesel::result::Error>(Note::new(
            Subject::Organisation(org),
            "directory_removed",
            "",
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct GroupForm {
    group_id: String,
    role: String,
    unit_id: Option<String>,
}

/// Members of a directory group get a role (and a unit) when they sign in.
#[post("/admin/directory/groups")]
pub async fn map_directory_group(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<GroupForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let role = Role::parse(&form.role).ok_or(AppError::BadRequest)?;
    let unit_id = match form.unit_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<UnitId>().map_err(|_| AppError::BadRequest)?),
    };
    let group = GroupRole {
        group_id: form.group_id.trim().to_string(),
        role,
        unit_id,
    };
    apply(page, admin, app, move |conn, org| {
        directory::map_group(conn, org, &group)?;
        Ok::<_, directory::GroupError>(Note::new(
            Subject::Organisation(org),
            "directory_group",
            format!("{} -> {}", group.group_id, group.role.as_str()),
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct UnmapForm {
    group_id: String,
}

#[post("/admin/directory/groups/delete")]
pub async fn unmap_directory_group(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<UnmapForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let group_id = form.0.group_id;
    apply(page, admin, app, move |conn, org| {
        directory::unmap_group(conn, org, &group_id)?;
        Ok::<_, diesel::result::Error>(Note::new(
            Subject::Organisation(org),
            "directory_group_removed",
            group_id,
        ))
    })
    .await
}
