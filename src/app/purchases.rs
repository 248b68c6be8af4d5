//! Reuse-before-you-buy receipts and the purchases integrations report after them.

use chrono::Utc;

use super::listings::browse_in;
use super::{App, Failure};
use crate::access::Viewer;
use crate::categories::Category;
use crate::i18n::local_date;
use crate::items::browse::{Filter, Sort};
use crate::purchases::{self, NewPurchase, PurchaseError, Receipt, RecordedPurchase, Shown};

/// Keeps a check the API answered (what was asked and the listings it showed) as a receipt.
pub async fn keep_check(
    app: &App,
    viewer: Viewer,
    (category, query): (String, String),
    count: i64,
    shown: Vec<Shown>,
) -> Result<Receipt, Failure<diesel::result::Error>> {
    let keys = app.sign_in.keys.clone();
    app.read(move |conn| {
        purchases::record_check(
            conn,
            &keys,
            (viewer.organisation_id, viewer.user_id),
            (&category, &query),
            count,
            shown,
        )
    })
    .await
}

/// The listings the viewer may see in `category` now (what a check would have shown).
fn available_in(
    conn: &mut crate::db::AnyConnection,
    app: (
        &super::catalog::Catalog,
        &crate::items::browse::RankedSearches,
    ),
    viewer: &Viewer,
    category: &Category,
) -> diesel::QueryResult<i64> {
    let filter = Filter {
        query: None,
        category_slug: Some(category.slug.clone()),
        condition: None,
        site: None,
        unit_id: None,
        organisation_id: None,
        sort: Sort::default_for(None),
        page: 1,
    };
    Ok(browse_in(conn, app.0, app.1, viewer, &filter)?
        .results
        .total)
}

/// Checks and keeps a purchase an integration reports.
pub async fn record(
    app: &App,
    viewer: Viewer,
    purchase: NewPurchase,
) -> Result<RecordedPurchase, Failure<PurchaseError>> {
    let catalog = app.catalog.clone();
    let searches = app.searches.clone();
    // A write use case: an Idempotency-Key is recorded with the purchase.
    app.write(move |tx| {
        let conn = &mut *tx.conn;
        let categories: Vec<Category> = catalog
            .categories(conn)?
            .iter()
            .filter(|c| c.is_for(viewer.organisation_id))
            .cloned()
            .collect();
        let today = local_date(Utc::now().naive_utc());
        let checked = purchase
            .check(&categories, today)
            .map_err(PurchaseError::Invalid)?;
        let available = match &checked.receipt_id {
            Some(_) => 0,
            None => available_in(conn, (&catalog, &searches), &viewer, &checked.category)?,
        };
        purchases::record_purchase(
            conn,
            (viewer.organisation_id, viewer.user_id),
            &checked,
            available,
        )
    })
    .await
}
