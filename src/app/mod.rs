//! The application layer: the use cases that pages, the JSON API, the command line and the
//! background jobs share, on top of the domain modules. Write use cases run through
//! [`dispatch::write`], which owns the transaction and turns the domain's events into their
//! consequences (audit, alerts, outbox) before it commits.

pub mod dispatch;
pub mod jobs;

pub use dispatch::{Delivery, write};
