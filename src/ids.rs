//! Ids, one type per table, so that a function taking an organisation and a unit cannot be
//! handed them the wrong way round. Each is a `BigInt` column value (see `int_newtype!`);
//! in JSON, templates and paths it is the plain number.

crate::int_newtype! {
    pub struct NetworkId;
}

crate::int_newtype! {
    pub struct OrganisationId;
}

crate::int_newtype! {
    pub struct DomainId;
}

crate::int_newtype! {
    pub struct UnitId;
}

crate::int_newtype! {
    pub struct UserId;
}

crate::int_newtype! {
    pub struct CategoryId;
}

crate::int_newtype! {
    /// One dated set of a category's figures (national, or an organisation's own).
    pub struct CategoryVersionId;
}

crate::int_newtype! {
    /// An organisation asked to join a network.
    pub struct InvitationId;
}

crate::int_newtype! {
    pub struct ItemId;
}

crate::int_newtype! {
    pub struct PhotoId;
}

crate::int_newtype! {
    pub struct ReservationId;
}

crate::int_newtype! {
    /// A row of the savings ledger.
    pub struct RecordId;
}

crate::int_newtype! {
    /// A saved search or wanted ad.
    pub struct AlertId;
}

crate::int_newtype! {
    /// A personal API token.
    pub struct TokenId;
}

crate::int_newtype! {
    /// A thread between an interested colleague and a listing's side.
    pub struct ConversationId;
}

crate::int_newtype! {
    /// One message in a conversation.
    pub struct MessageId;
}

crate::int_newtype! {
    /// A place in the queue for a fully reserved listing.
    pub struct QueueEntryId;
}

crate::int_newtype! {
    /// A lister's request that a store take a listing in.
    pub struct HandInId;
}

crate::int_newtype! {
    /// A listing's stay in the repair queue.
    pub struct RepairId;
}

crate::int_newtype! {
    /// A store's delivery run: one day, one vehicle.
    pub struct RunId;
}

crate::int_newtype! {
    /// A reservation's delivery to a building and room.
    pub struct DeliveryId;
}

crate::int_newtype! {
    /// A school, association or public body an organisation gives to.
    pub struct RecipientId;
}

crate::int_newtype! {
    /// What an external recipient took of a listing.
    pub struct ClaimId;
}
