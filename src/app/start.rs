//! What a signed-in person's start page shows: the newest listings they may see and what is
//! waiting for them (pickups to make, reservations to hand over, listings about to end).

use chrono::{Duration, NaiveDate, Utc};
use diesel::QueryResult;

use super::listings::{Browse, browse_in};
use super::{App, Failure};
use crate::access::Viewer;
use crate::i18n::local_date;
use crate::items::browse::Filter;
use crate::items::{self, Ending, ItemError};
use crate::reservations::{self, ListOf, Summary};

/// How many of the newest listings the start page shows.
pub const NEWEST_SHOWN: usize = 8;

/// A listing ending within this many days is on the to-do list, early enough to extend it.
pub const ENDING_WITHIN_DAYS: i64 = 7;

pub struct Overview {
    /// The newest listings the viewer may see (own organisation and network), at most
    /// [`NEWEST_SHOWN`], with the total to link to all of them.
    pub newest: Browse,
    /// The viewer's open reservations, earliest pickup deadline first.
    pub to_collect: Vec<Summary>,
    /// Open reservations of the viewer's listings, earliest pickup deadline first.
    pub to_hand_over: Vec<Summary>,
    /// The viewer's listings on offer that end within [`ENDING_WITHIN_DAYS`].
    pub ending: Vec<Ending>,
    pub today: NaiveDate,
}

impl Overview {
    pub fn nothing_to_do(&self) -> bool {
        self.to_collect.is_empty() && self.to_hand_over.is_empty() && self.ending.is_empty()
    }
}

pub async fn overview(app: &App, viewer: Viewer) -> Result<Overview, Failure<ItemError>> {
    let catalog = app.catalog.clone();
    let searches = app.searches.clone();
    let today = local_date(Utc::now().naive_utc());
    app.read(move |conn| -> QueryResult<Overview> {
        let newest_first = Filter {
            page: 1,
            ..Filter::default()
        };
        let mut newest = browse_in(conn, &catalog, &searches, &viewer, &newest_first)?;
        newest.results.cards.truncate(NEWEST_SHOWN);
        let by_deadline = |mut open: Vec<Summary>| {
            open.sort_by_key(|summary| (summary.pickup_deadline, summary.id));
            open
        };
        Ok(Overview {
            newest,
            to_collect: by_deadline(reservations::list_open(
                conn,
                ListOf::MadeBy(viewer.user_id),
            )?),
            to_hand_over: by_deadline(reservations::list_open(
                conn,
                ListOf::ListedBy(viewer.user_id),
            )?),
            ending: items::ending_by(conn, &viewer, today + Duration::days(ENDING_WITHIN_DAYS))?,
            today,
        })
    })
    .await
    .map_err(|failure| failure.map_refused(ItemError::Db))
}
