//! Page rendering: the compiled-in tera templates and what every page's context holds.

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rust_embed::Embed;
use serde::Serialize;
use tera::{Context, Tera};

use super::Lang;
use super::assets;
use super::auth::Signed;
use super::cards::{self, CardView};
use super::csrf::CsrfToken;
use super::fragments::Fragments;
use super::items::{self as item_pages, FilterForm};
use crate::i18n::{self, Language};

#[derive(Embed)]
#[folder = "templates/"]
struct TemplateFiles;

pub struct Views {
    tera: Tera,
    cards: Fragments<CardView>,
    browse_filters: Fragments<FilterForm>,
    site_headers: Fragments<SiteHeader>,
    site_footers: Fragments<SiteFooter>,
    css_url: String,
    js_url: String,
    icon_url: Arc<str>,
    cookies_secure: bool,
}

/// Where the header's logout forms (in the row and in the menu) take the person's CSRF
/// token. Kept headers are shared by everyone with the same name on the same page, so the
/// token is put in afterwards. The marker cannot come from a variable: tera escapes every
/// `<` in them.
const CSRF_TOKEN_SLOT: &str = "<!--csrf-token-->";

/// Distinct headers kept per instance (about 3 KB each): one per page address and person.
const KEPT_HEADERS: usize = 4096;

#[derive(Serialize, PartialEq, Eq, Hash)]
struct SignedInView {
    name: String,
    is_admin: bool,
    keeps_ledger: bool,
    unread: i32,
    /// The store whose work list the menu leads to.
    store: Option<crate::ids::UnitId>,
}

/// Everything `site_header.html` shows except the CSRF token.
#[derive(Serialize, PartialEq, Eq, Hash)]
struct SiteHeader {
    lang: &'static str,
    icon_url: Arc<str>,
    languages: Vec<LanguageLink>,
    current_path: String,
    signed_in: Option<SignedInView>,
}

#[derive(Serialize, PartialEq, Eq, Hash)]
struct SiteFooter {
    lang: &'static str,
}

#[derive(Serialize, PartialEq, Eq, Hash)]
struct LanguageLink {
    code: &'static str,
    name: &'static str,
    url: String,
    active: bool,
}

impl Views {
    pub fn new(cookies_secure: bool) -> Result<Self, tera::Error> {
        Ok(Self {
            tera: i18n::compiled_templates::<TemplateFiles>()?,
            cards: Fragments::new("items/card.html", cards::KEPT_CARDS),
            browse_filters: Fragments::new("items/filters.html", item_pages::KEPT_FILTER_FORMS),
            site_headers: Fragments::new("site_header.html", KEPT_HEADERS),
            site_footers: Fragments::new("site_footer.html", Language::ALL.len()),
            css_url: assets::versioned_url("bruka.css"),
            js_url: assets::versioned_url("bruka.js"),
            icon_url: assets::versioned_url("icon.svg").into(),
            cookies_secure,
        })
    }

    pub fn cookies_secure(&self) -> bool {
        self.cookies_secure
    }

    /// Whether this request's cookies are secure (and so `__Host-` named).
    pub fn cookies_secure_for(req: &actix_web::HttpRequest) -> bool {
        req.app_data::<actix_web::web::Data<Self>>()
            .is_some_and(|views| views.cookies_secure())
    }

    /// What the layout needs on every page: language, asset addresses, the header and
    /// footer, and the signed-in person's CSRF token for the page's own forms.
    pub fn page_context(
        &self,
        req: &HttpRequest,
        Lang(language): Lang,
    ) -> Result<Context, tera::Error> {
        let back = utf8_percent_encode(&super::auth::here(req), NON_ALPHANUMERIC).to_string();
        let languages: Vec<LanguageLink> = Language::ALL
            .into_iter()
            .map(|l| LanguageLink {
                code: l.code(),
                name: l.native_name(),
                url: format!("/language/{}?next={back}", l.code()),
                active: l == language,
            })
            .collect();
        let extensions = req.extensions();
        let csrf_token = extensions.get::<CsrfToken>().map(|CsrfToken(token)| token);
        let signed_in = extensions.get::<Signed>().map(|signed| {
            let user = &signed.user;
            SignedInView {
                name: user.display_name(),
                is_admin: user.is_admin(),
                keeps_ledger: user.may(crate::accounts::Capability::KeepLedger),
                unread: user.unread_messages,
                store: user.unit_id.filter(|_| signed.works_in_store),
            }
        });
        let header = SiteHeader {
            lang: language.code(),
            icon_url: self.icon_url.clone(),
            languages,
            current_path: req.path().to_string(),
            signed_in,
        };
        let mut header_html = self.site_headers.render(&self.tera, header)?;
        if let Some(token) = csrf_token {
            // Tokens are 64 hex digits (checked when read from the cookie): nothing to escape.
            header_html = header_html.replace(CSRF_TOKEN_SLOT, token);
        }
        let footer = SiteFooter {
            lang: language.code(),
        };
        let footer_html = self.site_footers.render(&self.tera, footer)?;

        let mut context = Context::new();
        context.insert("lang", language.code());
        context.insert("css_url", &self.css_url);
        context.insert("js_url", &self.js_url);
        context.insert("icon_url", &*self.icon_url);
        context.insert("site_header", &header_html);
        context.insert("site_footer", &footer_html);
        if let Some(token) = csrf_token {
            context.insert("csrf_token", token);
        }
        Ok(context)
    }

    pub fn render(&self, template: &str, context: &Context) -> Result<String, tera::Error> {
        self.tera.render(template, context)
    }

    /// The HTML of a grid's cards, one after the other.
    pub fn cards(&self, cards: Vec<CardView>) -> Result<String, tera::Error> {
        let mut html = String::with_capacity(cards.len() * 1024);
        for card in cards {
            self.cards.render_into(&self.tera, card, &mut html)?;
        }
        Ok(html)
    }

    /// The HTML of the browse page's filters.
    pub fn browse_filters(&self, form: FilterForm) -> Result<String, tera::Error> {
        let mut html = String::new();
        self.browse_filters
            .render_into(&self.tera, form, &mut html)?;
        Ok(html)
    }

    /// A rendered page with the given status.
    pub fn page(
        &self,
        status: actix_web::http::StatusCode,
        template: &str,
        context: &Context,
    ) -> Result<HttpResponse, tera::Error> {
        let body = self.render(template, context)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(body))
    }
}
