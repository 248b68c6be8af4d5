//! Store use cases for pages: a lister hands a listing in, the store's staff answer,
//! receive it onto a shelf and work through their list. Each write is one transaction
//! whose notices go out after the commit. (Which units are stores is the admin page's.)

use super::{App, Failure};
use crate::access::Viewer;
use crate::ids::{HandInId, ItemId, UnitId, UserId};
use crate::stores::{self, Answer, HandIn, HandInLine, HandInRequest, Store, StoreError, WorkList};

pub async fn request(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
    request: HandInRequest,
) -> Result<HandInId, Failure<StoreError>> {
    app.write(move |tx| stores::request(tx, &viewer, item_id, &request))
        .await
}

pub async fn answer(
    app: &App,
    viewer: Viewer,
    id: HandInId,
    answer: Answer,
) -> Result<HandIn, Failure<StoreError>> {
    app.write(move |tx| {
        stores::answer(tx, &viewer, id, &answer)?;
        stores::find(tx.conn, id)?.ok_or(StoreError::NotFound)
    })
    .await
}

pub async fn withdraw(app: &App, viewer: Viewer, id: HandInId) -> Result<(), Failure<StoreError>> {
    app.write(move |tx| stores::withdraw(tx, &viewer, id)).await
}

pub async fn receive(
    app: &App,
    viewer: Viewer,
    id: HandInId,
    shelf: String,
) -> Result<ItemId, Failure<StoreError>> {
    app.write(move |tx| stores::receive(tx, &viewer, id, &shelf))
        .await
}

pub async fn work_list(
    app: &App,
    viewer: Viewer,
    store: UnitId,
) -> Result<WorkList, Failure<StoreError>> {
    app.read(move |conn| stores::work_list(conn, &viewer, store))
        .await
}

/// The store the viewer works in, for the menu.
pub async fn staffed_by(app: &App, viewer: Viewer) -> Result<Option<Store>, Failure<StoreError>> {
    app.read(move |conn| Ok(stores::staffed_by(conn, &viewer)?))
        .await
}

/// The viewer's hand-ins, for their own page.
pub async fn asked_by(app: &App, user: UserId) -> Result<Vec<HandInLine>, Failure<StoreError>> {
    app.read(move |conn| Ok(stores::asked_by(conn, user)?))
        .await
}
