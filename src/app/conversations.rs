//! Asking the lister and answering, for pages: each write is one transaction whose notices
//! go out after the commit.

use super::{App, Failure};
use crate::access::Viewer;
use crate::conversations::{self, ConversationError, Thread};
use crate::ids::{ConversationId, ItemId};

/// The viewer asks about a listing; answers with the thread the question went into.
pub async fn ask(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
    body: String,
) -> Result<ConversationId, Failure<ConversationError>> {
    app.write(move |tx| conversations::ask(tx, &viewer, item_id, &body))
        .await
}

/// The viewer writes in a thread they take part in.
pub async fn reply(
    app: &App,
    viewer: Viewer,
    id: ConversationId,
    body: String,
) -> Result<(), Failure<ConversationError>> {
    app.write(move |tx| conversations::reply(tx, &viewer, id, &body).map(|_| ()))
        .await
}

/// Opens a thread: read for a member, audited for a moderator.
pub async fn open(
    app: &App,
    viewer: Viewer,
    id: ConversationId,
) -> Result<Thread, Failure<ConversationError>> {
    app.write(move |tx| conversations::read(tx, &viewer, id))
        .await
}
