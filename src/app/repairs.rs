//! Repair use cases for pages: send a listing to repair, work through the queue. Each write
//! is one transaction whose notices go out after the commit.

use super::{App, Failure};
use crate::access::Viewer;
use crate::ids::{ItemId, RepairId};
use crate::ledger::Ore;
use crate::repairs::{self, Outcome, QueueLine, RepairError, RepairRequest};

pub async fn open(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
    request: RepairRequest,
) -> Result<RepairId, Failure<RepairError>> {
    app.write(move |tx| repairs::open(tx, &viewer, item_id, &request))
        .await
}

/// What someone working on a repair does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    Start { estimate: Option<Ore> },
    Finish(Outcome),
    Cancel,
}

/// Takes the step and answers with the repair's listing, to go back to.
pub async fn work(
    app: &App,
    viewer: Viewer,
    id: RepairId,
    work: Work,
) -> Result<ItemId, Failure<RepairError>> {
    app.write(move |tx| {
        match &work {
            Work::Start { estimate } => repairs::start(tx, &viewer, id, *estimate)?,
            Work::Finish(outcome) => repairs::finish(tx, &viewer, id, outcome)?,
            Work::Cancel => repairs::cancel(tx, &viewer, id)?,
        }
        let repair = repairs::find(tx.conn, id)?.ok_or(RepairError::NotFound)?;
        Ok(repair.item_id)
    })
    .await
}

/// The organisation's repair queue and its last finished repairs.
pub struct Queue {
    pub open: Vec<QueueLine>,
    pub finished: Vec<QueueLine>,
}

pub async fn queue(app: &App, viewer: Viewer) -> Result<Queue, Failure<RepairError>> {
    app.read(move |conn| {
        Ok(Queue {
            open: repairs::queue(conn, &viewer, true)?,
            finished: repairs::queue(conn, &viewer, false)?,
        })
    })
    .await
}
