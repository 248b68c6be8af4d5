//! HTTP: routes, extractors, pages and the mapping of errors to responses.

mod admin;
mod alerts;
pub mod api;
mod assets;
pub mod auth;
pub mod cards;
mod client;
mod conversations;
pub mod csrf;
mod deliveries;
pub mod directory;
mod domains;
mod error;
mod factors;
mod favourites;
mod fragments;
mod health;
pub(crate) mod home;
pub mod items;
mod ledger;
mod locale;
mod login;
mod multipart;
mod network;
mod notifications;
mod page;
mod print;
mod profile;
mod queue;
mod recipients;
mod repairs;
pub mod reservations;
mod security;
pub mod stats;
mod stores;
mod views;

pub use error::AppError;
pub use locale::Lang;
pub use page::Page;
pub use views::Views;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(api::openapi_json)
        .service(api::scope())
        .service(health::healthz)
        .service(health::readyz)
        .service(assets::serve)
        .service(locale::switch_language)
        .service(home::start_page)
        .service(factors::factors_page)
        .service(network::network_page)
        .service(network::create)
        .service(network::invite)
        .service(network::accept)
        .service(network::decline)
        .service(network::leave)
        .service(factors::import_page)
        .service(factors::upload_table)
        .service(factors::apply_table)
        .service(factors::add_subcategory)
        .service(factors::category_page)
        .service(factors::change_figures)
        .service(domains::confirm_page)
        .service(domains::confirm)
        .service(login::login_page)
        .service(login::request_link)
        .service(login::confirm_page)
        .service(login::confirm)
        .service(login::confirm_code)
        .service(directory::callback)
        .service(login::logout)
        .service(login::welcome_page)
        .service(login::save_welcome)
        .service(admin::admin_page)
        .service(admin::add_unit)
        .service(admin::set_store)
        .service(admin::rename_unit)
        .service(admin::add_domain)
        .service(admin::remove_domain)
        .service(admin::set_role)
        .service(admin::set_method)
        .service(admin::set_ending)
        .service(items::browse_page)
        .service(items::new_form)
        .service(items::send_photos_ahead)
        .service(items::create)
        .service(items::edit_form)
        .service(items::show)
        .service(items::update)
        .service(items::change_status)
        .service(favourites::favour)
        .service(print::print_sheet)
        .service(items::my_items)
        .service(items::serve_photo)
        .service(reservations::reserve)
        .service(reservations::show)
        .service(reservations::act)
        .service(reservations::my_page)
        .service(profile::set_notify)
        .service(notifications::stop_page)
        .service(notifications::stop)
        .service(conversations::ask)
        .service(conversations::show)
        .service(conversations::reply)
        .service(stores::hand_in)
        .service(stores::withdraw)
        .service(stores::receive)
        .service(stores::answer)
        .service(stores::work_list)
        .service(recipients::invite)
        .service(recipients::remove)
        .service(recipients::set_terms)
        .service(recipients::gate)
        .service(recipients::accept)
        .service(recipients::take)
        .service(recipients::offer_outside)
        .service(recipients::settle)
        .service(repairs::open)
        .service(repairs::take_step)
        .service(repairs::queue)
        .service(deliveries::planning)
        .service(deliveries::plan_run)
        .service(deliveries::load)
        .service(deliveries::picking_list)
        .service(deliveries::run_sheet)
        .service(deliveries::change_run)
        .service(deliveries::put_on_run)
        .service(deliveries::deliver)
        .service(queue::join)
        .service(queue::answer)
        .service(stats::dashboard)
        .service(stats::report_pdf)
        .service(stats::export_file)
        .service(stats::public_summary)
        .service(admin::set_public_summary)
        .service(admin::set_directory)
        .service(admin::set_directory_links)
        .service(admin::remove_directory)
        .service(admin::map_directory_group)
        .service(admin::unmap_directory_group)
        .service(profile::profile_page)
        .service(profile::create_token)
        .service(profile::revoke_token)
        .service(ledger::ledger_page)
        .service(ledger::reverse)
        .service(ledger::verify)
        .service(ledger::audit_page)
        .service(alerts::save_search)
        .service(alerts::wanted_page)
        .service(alerts::post_wanted)
        .service(alerts::stop_own)
        .service(alerts::stop_page)
        .service(alerts::stop_by_token)
        .default_service(web::to(error::not_found));
}

pub use auth::load_session;
pub use csrf::csrf_cookie;
pub use error::error_pages;
pub use security::{request_id_header, security_headers};

/// The answer to a form that worked: go to `location` (post, redirect, get).
fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.to_string()))
        .finish()
}
