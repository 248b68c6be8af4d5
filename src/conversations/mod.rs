//! Conversations: one thread per listing and interested colleague, between that colleague
//! (the asker) and the listing's side: the lister, and colleagues of the lister's unit, who
//! may answer for it. A reservation continues the asker's thread. Admins of either
//! organisation may read a thread to moderate it; each such reading is audited.
//!
//! Unread counts are kept per member (`conversation_members.unread`) and summed per person
//! (`users.unread_messages`) in the same transaction as the message, so the header shows the
//! count without another query. Rate limits count the author's messages in the database, so
//! they hold across instances.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::access::Viewer;
use crate::db::AnyConnection;
use crate::db::schema::{conversation_members, conversations, items, messages, users};
use crate::events::{Event, Tx};
use crate::ids::{ConversationId, ItemId, MessageId, OrganisationId, UserId};
use crate::items::{self as listings, FieldError, Item, ItemError, Status};
use crate::refusal::{Arg, Message, Refusal, Refuses};

/// Longest message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// At most this many messages per person in `BURST_WINDOW`, and per day.
pub const BURST_MESSAGES: i64 = 10;
pub const BURST_WINDOW: Duration = Duration::minutes(10);
pub const DAILY_MESSAGES: i64 = 100;
/// At most this many new threads per person and day: asking is easy, spamming is not.
pub const DAILY_THREADS: i64 = 20;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = conversations)]
pub struct Conversation {
    pub id: ConversationId,
    pub item_id: ItemId,
    pub asker_id: UserId,
    pub asker_organisation_id: OrganisationId,
    pub created_at: NaiveDateTime,
    pub last_message_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = messages)]
pub struct Posted {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// Who someone is to a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The colleague who asked.
    Asker,
    /// Whoever listed the item.
    Lister,
    /// A colleague of the lister's unit, answering for it.
    ListerUnit,
    /// An admin of either organisation, reading to moderate.
    Moderator,
}

impl Side {
    pub fn may_write(self) -> bool {
        self != Side::Moderator
    }
}

/// Who `viewer` is to a thread about `item`, or `None`: then it does not exist for them.
pub fn side_of(viewer: &Viewer, conversation: &Conversation, item: &Item) -> Option<Side> {
    if conversation.asker_id == viewer.user_id {
        Some(Side::Asker)
    } else if item.created_by == viewer.user_id {
        Some(Side::Lister)
    } else if viewer.organisation_id == item.organisation_id
        && item.owner_unit_id.is_some()
        && viewer.unit_id == item.owner_unit_id
    {
        Some(Side::ListerUnit)
    } else if viewer.is_admin
        && (viewer.organisation_id == item.organisation_id
            || viewer.organisation_id == conversation.asker_organisation_id)
    {
        Some(Side::Moderator)
    } else {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("no such conversation or listing for this person")]
    NotFound,
    #[error("the message has errors")]
    Invalid(Vec<FieldError>),
    #[error("the listing is not on offer: nothing can be written about it")]
    ListingClosed,
    #[error("that is your own listing")]
    OwnListing,
    #[error("admins read threads they take no part in, and do not write in them")]
    ReadOnly,
    #[error("too many messages in a short time")]
    TooMany { minutes: i64 },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for ConversationError {
    fn refusal(self) -> Refusal {
        match self {
            ConversationError::NotFound => Refusal::NotFound,
            ConversationError::Invalid(errors) => Refusal::Invalid(errors),
            ConversationError::ListingClosed => Refusal::Conflict {
                code: "listing_closed",
                message: Message::new("conversation-error-listing-closed"),
            },
            ConversationError::OwnListing => {
                Refusal::Inapplicable(Message::new("conversation-error-own"))
            }
            ConversationError::ReadOnly => {
                Refusal::NotAllowed(Message::new("conversation-error-read-only"))
            }
            ConversationError::TooMany { minutes } => Refusal::TooMany(
                Message::new("conversation-error-too-many").with("minutes", Arg::Number(minutes)),
            ),
            ConversationError::Db(error) => error.refusal(),
        }
    }
}

impl From<ItemError> for ConversationError {
    fn from(error: ItemError) -> Self {
        match error {
            ItemError::Db(error) => ConversationError::Db(error),
            _ => ConversationError::NotFound,
        }
    }
}

/// The text of a message as it is kept: trimmed, 1 to `MAX_MESSAGE_CHARS` characters.
pub fn checked_body(body: &str) -> Result<&str, ConversationError> {
    let body = body.trim();
    let key = if body.is_empty() {
        "conversation-error-empty"
    } else if body.chars().count() > MAX_MESSAGE_CHARS {
        "conversation-error-long"
    } else {
        return Ok(body);
    };
    Err(ConversationError::Invalid(vec![FieldError::new(
        "body", key,
    )]))
}

pub fn find(conn: &mut AnyConnection, id: ConversationId) -> QueryResult<Option<Conversation>> {
    conversations::table
        .find(id)
        .select(Conversation::as_select())
        .first(conn)
        .optional()
}

/// The asker's thread about a listing, if there is one.
pub fn of_asker(
    conn: &mut AnyConnection,
    item_id: ItemId,
    asker_id: UserId,
) -> QueryResult<Option<Conversation>> {
    conversations::table
        .filter(conversations::item_id.eq(item_id))
        .filter(conversations::asker_id.eq(asker_id))
        .select(Conversation::as_select())
        .first(conn)
        .optional()
}

fn find_item(conn: &mut AnyConnection, item_id: ItemId) -> Result<Item, ConversationError> {
    listings::find(conn, item_id)?.ok_or(ConversationError::NotFound)
}

/// A thread and its listing, for someone who may see it.
fn visible(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: ConversationId,
) -> Result<(Conversation, Item, Side), ConversationError> {
    let conversation = find(conn, id)?.ok_or(ConversationError::NotFound)?;
    let item = find_item(conn, conversation.item_id)?;
    let side = side_of(viewer, &conversation, &item).ok_or(ConversationError::NotFound)?;
    Ok((conversation, item, side))
}

/// Refuses a person who wrote too much lately. Counted in the database, over all instances.
fn check_rate(conn: &mut AnyConnection, author: UserId) -> Result<(), ConversationError> {
    let now = Utc::now().naive_utc();
    let since = |conn: &mut AnyConnection, from: NaiveDateTime| -> QueryResult<i64> {
        messages::table
            .filter(messages::author_id.eq(author))
            .filter(messages::created_at.gt(from))
            .count()
            .get_result(conn)
    };
    if since(conn, now - BURST_WINDOW)? >= BURST_MESSAGES {
        return Err(ConversationError::TooMany {
            minutes: BURST_WINDOW.num_minutes(),
        });
    }
    if since(conn, now - Duration::days(1))? >= DAILY_MESSAGES {
        return Err(ConversationError::TooMany { minutes: 24 * 60 });
    }
    Ok(())
}

/// Whether a thread about a listing in `status` can still be written in. Starting one needs
/// a listing on offer or fully reserved; a thread that exists goes on after the handover.
fn open_for(status: Status, existing: bool) -> bool {
    match status {
        Status::Available | Status::Reserved => true,
        Status::Gone => existing,
        Status::Draft | Status::Withdrawn | Status::Expired => false,
    }
}

/// The asker's thread about a listing, started if there is none. The listing must be one
/// the asker can see and is not theirs.
pub fn thread_for(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
) -> Result<(Conversation, Item), ConversationError> {
    let item = listings::find_visible(tx.conn, viewer, item_id)?;
    if item.created_by == viewer.user_id {
        return Err(ConversationError::OwnListing);
    }
    if let Some(conversation) = of_asker(tx.conn, item_id, viewer.user_id)? {
        return Ok((conversation, item));
    }
    if !open_for(item.status, false) {
        return Err(ConversationError::ListingClosed);
    }
    let today = Utc::now().naive_utc() - Duration::days(1);
    let started: i64 = conversations::table
        .filter(conversations::asker_id.eq(viewer.user_id))
        .filter(conversations::created_at.gt(today))
        .count()
        .get_result(tx.conn)?;
    if started >= DAILY_THREADS {
        return Err(ConversationError::TooMany { minutes: 24 * 60 });
    }
    let now = Utc::now().naive_utc();
    // A savepoint, because the same first question may arrive at two instances at once:
    // the unique (item, asker) index lets one thread in, and the other joins it.
    let inserted = tx.conn.transaction(|conn| {
        diesel::insert_into(conversations::table)
            .values((
                conversations::item_id.eq(item_id),
                conversations::asker_id.eq(viewer.user_id),
                conversations::asker_organisation_id.eq(viewer.organisation_id),
                conversations::created_at.eq(now),
                conversations::last_message_at.eq(now),
            ))
            .returning(conversations::id)
            .get_result::<ConversationId>(conn)
    });
    let conversation = match inserted {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => of_asker(tx.conn, item_id, viewer.user_id)?,
        other => find(tx.conn, other?)?,
    }
    .ok_or(ConversationError::NotFound)?;
    join(tx.conn, conversation.id, viewer.user_id)?;
    join(tx.conn, conversation.id, item.created_by)?;
    Ok((conversation, item))
}

fn join(conn: &mut AnyConnection, id: ConversationId, user: UserId) -> QueryResult<()> {
    let member: i64 = conversation_members::table
        .filter(conversation_members::conversation_id.eq(id))
        .filter(conversation_members::user_id.eq(user))
        .count()
        .get_result(conn)?;
    if member == 0 {
        diesel::insert_into(conversation_members::table)
            .values((
                conversation_members::conversation_id.eq(id),
                conversation_members::user_id.eq(user),
                conversation_members::joined_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Asks the lister about a listing: the asker's thread gets the message.
pub fn ask(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    body: &str,
) -> Result<ConversationId, ConversationError> {
    let body = checked_body(body)?;
    let (conversation, item) = thread_for(tx, viewer, item_id)?;
    write(
        tx,
        viewer,
        &conversation,
        &item,
        Side::Asker,
        body,
        Notify::Members,
    )?;
    Ok(conversation.id)
}

/// The message a reservation came with opens (or continues) the requester's thread. The
/// lister hears of it in the reservation's own mail, so it sends none of its own.
pub fn note_reservation(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    body: &str,
) -> Result<(), ConversationError> {
    let body = body.trim();
    if body.is_empty() {
        return Ok(());
    }
    let (conversation, item) = thread_for(tx, viewer, item_id)?;
    write(
        tx,
        viewer,
        &conversation,
        &item,
        Side::Asker,
        body,
        Notify::Nobody,
    )?;
    Ok(())
}

/// Whether a message causes a notice of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notify {
    Members,
    /// Another notice already carries it; counted as unread all the same.
    Nobody,
}

/// Writes in a thread the viewer takes part in.
pub fn reply(
    tx: &mut Tx,
    viewer: &Viewer,
    id: ConversationId,
    body: &str,
) -> Result<MessageId, ConversationError> {
    let body = checked_body(body)?;
    let (conversation, item, side) = visible(tx.conn, viewer, id)?;
    write(
        tx,
        viewer,
        &conversation,
        &item,
        side,
        body,
        Notify::Members,
    )
}

fn write(
    tx: &mut Tx,
    viewer: &Viewer,
    conversation: &Conversation,
    item: &Item,
    side: Side,
    body: &str,
    notify: Notify,
) -> Result<MessageId, ConversationError> {
    if !side.may_write() {
        return Err(ConversationError::ReadOnly);
    }
    if !open_for(item.status, true) {
        return Err(ConversationError::ListingClosed);
    }
    if notify == Notify::Members {
        check_rate(tx.conn, viewer.user_id)?;
    }
    let now = Utc::now().naive_utc();
    let message: MessageId = diesel::insert_into(messages::table)
        .values((
            messages::conversation_id.eq(conversation.id),
            messages::author_id.eq(viewer.user_id),
            messages::body.eq(body),
            messages::created_at.eq(now),
        ))
        .returning(messages::id)
        .get_result(tx.conn)?;
    diesel::update(conversations::table.find(conversation.id))
        .set(conversations::last_message_at.eq(now))
        .execute(tx.conn)?;
    // A unit colleague who answers takes part from now on.
    join(tx.conn, conversation.id, viewer.user_id)?;
    let others: Vec<UserId> = conversation_members::table
        .filter(conversation_members::conversation_id.eq(conversation.id))
        .filter(conversation_members::user_id.ne(viewer.user_id))
        .select(conversation_members::user_id)
        .load(tx.conn)?;
    diesel::update(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(conversation.id))
            .filter(conversation_members::user_id.ne(viewer.user_id)),
    )
    .set(conversation_members::unread.eq(conversation_members::unread + 1))
    .execute(tx.conn)?;
    diesel::update(users::table.filter(users::id.eq_any(&others)))
        .set(users::unread_messages.eq(users::unread_messages + 1))
        .execute(tx.conn)?;
    tx.emit(Event::MessagePosted {
        conversation: conversation.id,
        message,
        organisations: [item.organisation_id, conversation.asker_organisation_id],
        by: viewer.user_id,
        to: match notify {
            Notify::Members => others,
            Notify::Nobody => Vec::new(),
        },
    });
    Ok(message)
}

/// A thread as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Thread {
    pub conversation: Conversation,
    pub item: Item,
    pub side: Side,
    pub messages: Vec<Line>,
    pub asker_name: String,
    /// Whether the viewer can write in it now.
    pub open: bool,
}

/// A message with its author's name.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub id: MessageId,
    pub author_id: UserId,
    pub author: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub mine: bool,
}

/// Longest thread a page shows, newest messages kept.
const THREAD_LIMIT: i64 = 500;

/// Reads a thread: marks it read for a member, audits a moderator's reading.
pub fn read(tx: &mut Tx, viewer: &Viewer, id: ConversationId) -> Result<Thread, ConversationError> {
    let (conversation, item, side) = visible(tx.conn, viewer, id)?;
    if side == Side::Moderator {
        tx.emit(Event::ConversationModerated {
            conversation: id,
            organisation: viewer.organisation_id,
            by: viewer.user_id,
        });
    } else {
        mark_read(tx.conn, id, viewer.user_id)?;
    }
    thread(tx.conn, viewer, conversation, item, side)
}

fn thread(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    conversation: Conversation,
    item: Item,
    side: Side,
) -> Result<Thread, ConversationError> {
    let mut rows: Vec<(Posted, String, Option<String>)> = messages::table
        .inner_join(users::table.on(users::id.eq(messages::author_id)))
        .filter(messages::conversation_id.eq(conversation.id))
        .order(messages::id.desc())
        .limit(THREAD_LIMIT)
        .select((Posted::as_select(), users::email, users::name))
        .load(conn)?;
    rows.reverse();
    let messages = rows
        .into_iter()
        .map(|(posted, email, name)| Line {
            mine: posted.author_id == viewer.user_id,
            id: posted.id,
            author_id: posted.author_id,
            author: name.filter(|name| !name.trim().is_empty()).unwrap_or(email),
            body: posted.body,
            created_at: posted.created_at,
        })
        .collect();
    let asker_name: (String, Option<String>) = users::table
        .find(conversation.asker_id)
        .select((users::email, users::name))
        .first(conn)?;
    Ok(Thread {
        open: side.may_write() && open_for(item.status, true),
        asker_name: asker_name.1.unwrap_or(asker_name.0),
        conversation,
        item,
        side,
        messages,
    })
}

/// Sets a member's unread count of a thread to zero and takes it off their total. The
/// condition on the count read keeps two readings at once from subtracting it twice.
fn mark_read(conn: &mut AnyConnection, id: ConversationId, user: UserId) -> QueryResult<()> {
    let unread: Option<i32> = conversation_members::table
        .filter(conversation_members::conversation_id.eq(id))
        .filter(conversation_members::user_id.eq(user))
        .select(conversation_members::unread)
        .first(conn)
        .optional()?;
    let Some(unread) = unread.filter(|&unread| unread > 0) else {
        return Ok(());
    };
    let cleared = diesel::update(
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(id))
            .filter(conversation_members::user_id.eq(user))
            .filter(conversation_members::unread.eq(unread)),
    )
    .set(conversation_members::unread.eq(0))
    .execute(conn)?;
    if cleared == 1 {
        diesel::update(users::table.find(user))
            .filter(users::unread_messages.ge(unread))
            .set(users::unread_messages.eq(users::unread_messages - unread))
            .execute(conn)?;
    }
    Ok(())
}

/// A thread in a person's list.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Summary {
    pub id: ConversationId,
    pub item_id: ItemId,
    pub item_title: String,
    pub asker_id: UserId,
    pub asker_email: String,
    pub asker_name: Option<String>,
    pub last_message_at: NaiveDateTime,
    pub unread: i32,
}

/// The threads a person takes part in, latest message first.
pub fn list_for(conn: &mut AnyConnection, user: UserId) -> QueryResult<Vec<Summary>> {
    conversation_members::table
        .inner_join(
            conversations::table
                .inner_join(items::table)
                .inner_join(users::table.on(users::id.eq(conversations::asker_id))),
        )
        .filter(conversation_members::user_id.eq(user))
        .order(conversations::last_message_at.desc())
        .limit(100)
        .select((
            conversations::id,
            conversations::item_id,
            items::title,
            conversations::asker_id,
            users::email,
            users::name,
            conversations::last_message_at,
            conversation_members::unread,
        ))
        .load(conn)
}

/// The threads about one listing, for its side; `unread` is left at zero.
pub fn about(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Vec<Summary>> {
    conversations::table
        .inner_join(items::table)
        .inner_join(users::table.on(users::id.eq(conversations::asker_id)))
        .filter(conversations::item_id.eq(item_id))
        .order(conversations::last_message_at.desc())
        .limit(100)
        .select((
            conversations::id,
            conversations::item_id,
            items::title,
            conversations::asker_id,
            users::email,
            users::name,
            conversations::last_message_at,
            0.into_sql::<diesel::sql_types::Integer>(),
        ))
        .load(conn)
}

/// The thread for a reservation's page, read by a member. An admin who takes no part sees
/// it on its own page, where the reading is audited.
pub fn for_reservation(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: ItemId,
    asker_id: UserId,
) -> Result<Option<Thread>, ConversationError> {
    let Some(conversation) = of_asker(conn, item_id, asker_id)? else {
        return Ok(None);
    };
    let item = find_item(conn, item_id)?;
    let Some(side) = side_of(viewer, &conversation, &item).filter(|side| side.may_write()) else {
        return Ok(None);
    };
    mark_read(conn, conversation.id, viewer.user_id)?;
    thread(conn, viewer, conversation, item, side).map(Some)
}

/// A message's text, for its notice.
pub fn body_of(conn: &mut AnyConnection, id: MessageId) -> QueryResult<String> {
    messages::table.find(id).select(messages::body).first(conn)
}

/// The start of a message, for a mail: enough to answer from the phone's lock screen, not
/// so much that the thread moves into the mailbox.
pub fn excerpt(body: &str) -> String {
    const LONGEST: usize = 300;
    if body.chars().count() <= LONGEST {
        return body.to_string();
    }
    let cut: String = body.chars().take(LONGEST).collect();
    format!("{}…", cut.trim_end())
}
