//! Saving a listing to look at again ("Sparade"), from the listing's page.

use actix_web::http::header;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::AppError;
use super::auth::CurrentUser;
use super::csrf::CsrfForm;
use crate::app::App;
use crate::app::listings;
use crate::ids::ItemId;

#[derive(Deserialize)]
pub struct FavouriteForm {
    /// "yes" saves it, "no" takes it off the list.
    keep: String,
}

#[post("/items/{id}/favourite")]
pub async fn favour(
    user: CurrentUser,
    path: web::Path<ItemId>,
    form: CsrfForm<FavouriteForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let keep = match form.0.keep.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::BadRequest),
    };
    listings::favour(&app, user.0.viewer, item_id, keep).await?;
    let done = if keep { "favourite" } else { "unfavourite" };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/items/{item_id}?done={done}")))
        .finish())
}
