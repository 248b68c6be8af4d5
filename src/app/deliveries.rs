//! Delivery use cases for pages: the store plans runs and puts deliveries on them, the
//! driver loads the run and confirms each stop at the door. Each write is one transaction
//! whose notices go out after the commit.

use super::{App, Failure};
use crate::access::Viewer;
use crate::deliveries::{self, DeliveryError, Planning, RunPlan, RunSheet};
use crate::ids::{DeliveryId, RecordId, RunId, UnitId};

pub async fn planning(
    app: &App,
    viewer: Viewer,
    store: UnitId,
) -> Result<Planning, Failure<DeliveryError>> {
    app.read(move |conn| deliveries::planning(conn, &viewer, store))
        .await
}

pub async fn plan_run(
    app: &App,
    viewer: Viewer,
    store: UnitId,
    plan: RunPlan,
) -> Result<RunId, Failure<DeliveryError>> {
    app.write(move |tx| deliveries::plan_run(tx, &viewer, store, &plan))
        .await
}

pub async fn change_run(
    app: &App,
    viewer: Viewer,
    run: RunId,
    plan: RunPlan,
) -> Result<(), Failure<DeliveryError>> {
    app.write(move |tx| deliveries::change_run(tx, &viewer, run, &plan))
        .await
}

pub async fn put_on_run(
    app: &App,
    viewer: Viewer,
    delivery: DeliveryId,
    run: RunId,
) -> Result<(), Failure<DeliveryError>> {
    app.write(move |tx| deliveries::put_on_run(tx, &viewer, delivery, run))
        .await
}

pub async fn load(app: &App, viewer: Viewer, run: RunId) -> Result<(), Failure<DeliveryError>> {
    app.write(move |tx| deliveries::load(tx, &viewer, run))
        .await
}

/// Confirms a stop at the door; answers with its run, to go back to.
pub async fn deliver(
    app: &App,
    viewer: Viewer,
    delivery: DeliveryId,
    received_by: String,
) -> Result<(Option<RunId>, RecordId), Failure<DeliveryError>> {
    let rules = app.reservations;
    app.write(move |tx| {
        let record = deliveries::deliver(tx, &viewer, delivery, &received_by, &rules)?;
        let run = deliveries::find(tx.conn, delivery)?.and_then(|d| d.run_id);
        Ok((run, record))
    })
    .await
}

pub async fn run_sheet(
    app: &App,
    viewer: Viewer,
    run: RunId,
) -> Result<RunSheet, Failure<DeliveryError>> {
    app.read(move |conn| deliveries::run_sheet(conn, &viewer, run))
        .await
}
