//! The start page. Signed in: a search box, what is waiting for the person, the newest
//! listings and a shortcut to post one. Signed out: what Bruka is for and how to sign in.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::auth::MaybeUser;
use super::cards::CardView;
use super::reservations::{Line, lines};
use super::{AppError, Page};
use crate::app::App;
use crate::app::start::{self, Overview};
use crate::i18n::format_decimal;
use crate::ids::ItemId;

/// One of the person's listings that ends soon.
#[derive(Serialize)]
struct EndingLine {
    id: ItemId,
    title: String,
    ends: String,
    days_left: i64,
}

/// `home.html` for a signed-in person.
#[derive(Serialize)]
struct StartPage {
    /// The signed-in half of `home.html`.
    overview: bool,
    name: String,
    to_collect: Vec<Line>,
    to_hand_over: Vec<Line>,
    ending: Vec<EndingLine>,
    nothing_to_do: bool,
    newest: String,
    newest_count: usize,
    total: i64,
    total_text: String,
}

impl StartPage {
    fn new(page: &Page, name: String, overview: Overview, app: &App) -> Result<Self, AppError> {
        let language = page.language();
        let nothing_to_do = overview.nothing_to_do();
        let Overview {
            newest,
            to_collect,
            to_hand_over,
            ending,
            today,
        } = overview;
        let texts = app.catalog.category_texts(&newest.categories, language);
        let cards: Vec<CardView> = newest
            .results
            .cards
            .into_iter()
            .map(|card| CardView::for_browse(language, card, &texts.names))
            .collect();
        Ok(StartPage {
            overview: true,
            name,
            to_collect: lines(language, to_collect).0,
            to_hand_over: lines(language, to_hand_over).0,
            ending: ending
                .into_iter()
                .map(|listing| EndingLine {
                    id: listing.id,
                    title: listing.title,
                    ends: listing.expires_on.to_string(),
                    days_left: (listing.expires_on - today).num_days(),
                })
                .collect(),
            nothing_to_do,
            newest_count: cards.len(),
            newest: page.views().cards(cards)?,
            total: newest.results.total,
            total_text: format_decimal(language, newest.results.total as f64, 0),
        })
    }
}

/// `home.html` for someone not signed in.
#[derive(Serialize)]
struct Welcome {
    overview: bool,
}

#[get("/")]
pub async fn start_page(
    page: Page,
    user: MaybeUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let Some(signed) = user.0 else {
        return page.show(StatusCode::OK, "home.html", &Welcome { overview: false });
    };
    if signed.user.needs_profile() {
        return Err(AppError::ProfileRequired {
            next: "/".to_string(),
        });
    }
    let overview = start::overview(&app, signed.viewer).await?;
    let view = StartPage::new(&page, signed.user.display_name(), overview, &app)?;
    page.show(StatusCode::OK, "home.html", &view)
}
