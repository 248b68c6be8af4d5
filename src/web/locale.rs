//! Which language a visitor sees: their choice (a cookie), else their browser's
//! Accept-Language, else Swedish.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header::{self, AcceptLanguage, Header, LOCATION};
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

use crate::i18n::Language;

const LANGUAGE_COOKIE: &str = "bruka_lang";
const LANGUAGE_COOKIE_HOST: &str = "__Host-bruka_lang";

fn language_cookie_name(secure: bool) -> &'static str {
    if secure {
        LANGUAGE_COOKIE_HOST
    } else {
        LANGUAGE_COOKIE
    }
}

/// The visitor's language, as an extractor argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(pub Language);

impl Lang {
    pub fn of(req: &HttpRequest) -> Self {
        let from_cookie = req
            .cookie(language_cookie_name(super::Views::cookies_secure_for(req)))
            .and_then(|cookie| Language::from_tag(cookie.value()));
        let from_browser = || {
            AcceptLanguage::parse(req).ok().and_then(|accepted| {
                accepted
                    .ranked()
                    .iter()
                    .find_map(|tag| Language::from_tag(&tag.to_string()))
            })
        };
        Lang(
            from_cookie
                .or_else(from_browser)
                .unwrap_or(Language::DEFAULT),
        )
    }
}

impl FromRequest for Lang {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(Lang::of(req)))
    }
}

#[derive(Deserialize)]
struct SwitchQuery {
    next: Option<String>,
}

/// Only paths on this site are followed, so the switcher cannot be used as an open redirect.
pub fn safe_return_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// Plain links (no JavaScript needed): remember the choice for a year and go back.
#[get("/language/{code}")]
pub async fn switch_language(
    code: web::Path<String>,
    query: web::Query<SwitchQuery>,
    lang: Lang,
    req: HttpRequest,
    views: web::Data<super::Views>,
) -> HttpResponse {
    let Some(language) = Language::ALL
        .into_iter()
        .find(|l| l.code() == code.as_str())
    else {
        return super::error::not_found(req, lang, views).await;
    };
    let cookie = Cookie::build(
        language_cookie_name(views.cookies_secure()),
        language.code(),
    )
    .path("/")
    .max_age(Duration::days(365))
    .same_site(SameSite::Lax)
    .http_only(true)
    .secure(views.cookies_secure())
    .finish();
    HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((LOCATION, safe_return_path(query.next.as_deref())))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_return_path(Some("/items?q=stol")), "/items?q=stol");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "x",
        ] {
            assert_eq!(safe_return_path(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(safe_return_path(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_return_path(None), "/");
    }
}
