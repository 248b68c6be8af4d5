//! The page a handler answers with: the request, the visitor's language and the templates,
//! as one extractor, so a handler names what it needs of the application and not the
//! plumbing of rendering.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Serialize;
use tera::Context;

use super::error::explained_page;
use super::{AppError, Lang, Views};
use crate::i18n::Language;

pub struct Page {
    req: HttpRequest,
    lang: Lang,
    views: web::Data<Views>,
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<Views>>() {
            Some(views) => Ok(Page {
                req: req.clone(),
                lang: Lang::of(req),
                views: views.clone(),
            }),
            None => Err(AppError::Template(tera::Error::msg(
                "the templates are not registered",
            ))),
        })
    }
}

impl Page {
    pub fn language(&self) -> Language {
        self.lang.0
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn req(&self) -> &HttpRequest {
        &self.req
    }

    pub fn views(&self) -> &Views {
        &self.views
    }

    /// A query parameter of this request, if it is there.
    pub fn query_has(&self, pair: &str) -> bool {
        self.req.query_string().split('&').any(|p| p == pair)
    }

    /// What the layout needs (language, header, footer, CSRF token), to add a page's own
    /// values to.
    pub fn context(&self) -> Result<Context, AppError> {
        Ok(self.views.page_context(&self.req, self.lang)?)
    }

    /// `template` with the layout and `view`'s fields.
    pub fn show<V: Serialize>(
        &self,
        status: StatusCode,
        template: &str,
        view: &V,
    ) -> Result<HttpResponse, AppError> {
        let mut context = self.context()?;
        context.extend(Context::from_serialize(view)?);
        self.render(status, template, &context)
    }

    /// The page that says why `error` refused, with a link back to `back`. Errors that are
    /// not the person's doing are passed on, to be logged and answered as they are.
    pub fn explain(&self, error: AppError, back: &str) -> Result<HttpResponse, AppError> {
        let answer = error.answer();
        if answer.status.is_server_error() {
            return Err(error);
        }
        Ok(explained_page(
            &self.req,
            self.lang,
            &self.views,
            &answer,
            Some(back),
        ))
    }

    pub fn render(
        &self,
        status: StatusCode,
        template: &str,
        context: &Context,
    ) -> Result<HttpResponse, AppError> {
        Ok(self.views.page(status, template, context)?)
    }
}
