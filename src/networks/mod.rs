//! Networks of organisations that share listings (a procurement centre's municipalities, a
//! "kommunesamarbeid"). An organisation is in at most one network. An admin creates one,
//! invites other organisations by an admin's address, and the invited admin accepts or
//! declines; an organisation can leave at any time. Who sees what follows at once, since
//! every request reads the organisation's network afresh (see `access`).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::{Email, Role};
use crate::db::AnyConnection;
use crate::db::schema::{network_invitations, networks, organisations, users};
use crate::ids::{InvitationId, NetworkId, OrganisationId, UserId};
use crate::refusal::{FieldError, Message, Refusal, Refuses};

crate::text_enum! {
    /// How an invitation ended.
    pub enum Answer ("answer to an invitation") {
        Accepted = "accepted",
        Declined = "declined",
    }
}

/// The longest name of a network.
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = networks)]
pub struct Network {
    pub id: NetworkId,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// An open invitation as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub network_id: NetworkId,
    pub network_name: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub invited_email: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("no such network or invitation for this organisation")]
    NotFound,
    #[error("the organisation is already in a network")]
    AlreadyInNetwork,
    #[error("the organisation is not in a network")]
    NotInNetwork,
    #[error("a network needs a name of at most 100 characters")]
    Name,
    #[error("no admin of another organisation has that address")]
    NotAnAdmin,
    #[error("that organisation is already a member")]
    AlreadyMember,
    #[error("that organisation is already invited")]
    AlreadyInvited,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for NetworkError {
    fn refusal(self) -> Refusal {
        let conflict = |code, key| Refusal::Conflict {
            code,
            message: Message::new(key),
        };
        match self {
            NetworkError::NotFound => Refusal::NotFound,
            NetworkError::AlreadyInNetwork => {
                conflict("already_in_network", "network-error-already-in")
            }
            NetworkError::NotInNetwork => conflict("not_in_network", "network-error-not-in"),
            NetworkError::Name => {
                Refusal::Invalid(vec![FieldError::new("name", "network-error-name")])
            }
            NetworkError::NotAnAdmin => {
                Refusal::Invalid(vec![FieldError::new("email", "network-error-not-admin")])
            }
            NetworkError::AlreadyMember => conflict("already_member", "network-error-member"),
            NetworkError::AlreadyInvited => conflict("already_invited", "network-error-invited"),
            NetworkError::Db(error) => error.refusal(),
        }
    }
}

/// The network `organisation` is in.
pub fn of(conn: &mut AnyConnection, organisation: OrganisationId) -> QueryResult<Option<Network>> {
    organisations::table
        .inner_join(networks::table)
        .filter(organisations::id.eq(organisation))
        .select(Network::as_select())
        .first(conn)
        .optional()
}

/// A network's organisations and their names.
pub type Members = Vec<(OrganisationId, String)>;

/// The member organisations of a network, by name.
pub fn members(conn: &mut AnyConnection, network: NetworkId) -> QueryResult<Members> {
    organisations::table
        .filter(organisations::network_id.eq(network))
        .order(organisations::name)
        .select((organisations::id, organisations::name))
        .load(conn)
}

/// Creates a network with `organisation` as its first member.
pub fn create(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    name: &str,
) -> Result<Network, NetworkError> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(NetworkError::Name);
    }
    let now = Utc::now().naive_utc();
    let id: NetworkId = diesel::insert_into(networks::table)
        .values((networks::name.eq(&name), networks::created_at.eq(now)))
        .returning(networks::id)
        .get_result(conn)?;
    join(conn, organisation, id)?;
    Ok(Network {
        id,
        name,
        created_at: now,
    })
}

/// Puts `organisation` into `network`, if it is in none (checked in the update itself, so
/// two acceptances at once cannot both succeed). Pages go through [`answer`]; the example
/// data puts its partners in directly.
pub fn join(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    network: NetworkId,
) -> Result<(), NetworkError> {
    let joined = diesel::update(
        organisations::table
            .find(organisation)
            .filter(organisations::network_id.is_null()),
    )
    .set(organisations::network_id.eq(network))
    .execute(conn)?;
    if joined == 1 {
        Ok(())
    } else {
        Err(NetworkError::AlreadyInNetwork)
    }
}

/// Whom an invitation went to.
pub struct Invited {
    pub invitation: InvitationId,
    pub user: UserId,
    pub email: String,
    pub organisation: OrganisationId,
    pub organisation_name: String,
}

/// Invites the organisation of the admin with address `email` into `by`'s network.
pub fn invite(
    conn: &mut AnyConnection,
    by_organisation: OrganisationId,
    by: Option<UserId>,
    email: &str,
) -> Result<(Network, Invited), NetworkError> {
    let network = of(conn, by_organisation)?.ok_or(NetworkError::NotInNetwork)?;
    let email = Email::parse(email).map_err(|_| NetworkError::NotAnAdmin)?;
    let found: Option<(UserId, OrganisationId, Role, Option<NetworkId>, String)> = users::table
        .inner_join(organisations::table)
        .filter(users::email.eq(email.as_str()))
        .select((
            users::id,
            users::organisation_id,
            users::role,
            organisations::network_id,
            organisations::name,
        ))
        .first(conn)
        .optional()?;
    let Some((user, organisation, role, their_network, organisation_name)) = found else {
        return Err(NetworkError::NotAnAdmin);
    };
    if role != Role::Admin || organisation == by_organisation {
        return Err(NetworkError::NotAnAdmin);
    }
    if their_network == Some(network.id) {
        return Err(NetworkError::AlreadyMember);
    }
    // Asked first: on PostgreSQL a refused insert would end the transaction.
    let open: i64 = network_invitations::table
        .filter(network_invitations::network_id.eq(network.id))
        .filter(network_invitations::organisation_id.eq(organisation))
        .filter(network_invitations::answered_at.is_null())
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Err(NetworkError::AlreadyInvited);
    }
    let invitation = diesel::insert_into(network_invitations::table)
        .values((
            network_invitations::network_id.eq(network.id),
            network_invitations::organisation_id.eq(organisation),
            network_invitations::invited_user_id.eq(user),
            network_invitations::invited_by.eq(by),
            network_invitations::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(network_invitations::id)
        .get_result(conn)?;
    Ok((
        network,
        Invited {
            invitation,
            user,
            email: email.to_string(),
            organisation,
            organisation_name,
        },
    ))
}

fn open_invitations(
    conn: &mut AnyConnection,
    filter: impl FnOnce(
        network_invitations::BoxedQuery<'static, crate::db::MultiBackend>,
    ) -> network_invitations::BoxedQuery<'static, crate::db::MultiBackend>,
) -> QueryResult<Vec<Invitation>> {
    let rows: Vec<(
        InvitationId,
        NetworkId,
        OrganisationId,
        UserId,
        NaiveDateTime,
    )> = filter(network_invitations::table.into_boxed())
        .filter(network_invitations::answered_at.is_null())
        .order(network_invitations::id)
        .select((
            network_invitations::id,
            network_invitations::network_id,
            network_invitations::organisation_id,
            network_invitations::invited_user_id,
            network_invitations::created_at,
        ))
        .load(conn)?;
    let mut invitations = Vec::with_capacity(rows.len());
    for (id, network_id, organisation_id, user, created_at) in rows {
        let network_name = networks::table
            .find(network_id)
            .select(networks::name)
            .first(conn)?;
        let organisation_name = organisations::table
            .find(organisation_id)
            .select(organisations::name)
            .first(conn)?;
        let invited_email = users::table.find(user).select(users::email).first(conn)?;
        invitations.push(Invitation {
            id,
            network_id,
            network_name,
            organisation_id,
            organisation_name,
            invited_email,
            created_at,
        });
    }
    Ok(invitations)
}

/// Invitations waiting for `organisation`'s answer.
pub fn invitations_to(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> QueryResult<Vec<Invitation>> {
    open_invitations(conn, |q| {
        q.filter(network_invitations::organisation_id.eq(organisation))
    })
}

/// Invitations `network` sent that are not answered yet.
pub fn invitations_from(
    conn: &mut AnyConnection,
    network: NetworkId,
) -> QueryResult<Vec<Invitation>> {
    open_invitations(conn, |q| {
        q.filter(network_invitations::network_id.eq(network))
    })
}

/// What answering did, for the audit entry and the mail.
pub struct Answered {
    pub network: NetworkId,
    pub network_name: String,
    pub organisation: OrganisationId,
    /// Who sent it, and their organisation.
    pub inviter: Option<UserId>,
}

/// `organisation` answers an invitation to it; accepting puts it into the network (if it
/// is in none). Someone else's invitation is not found.
pub fn answer(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    invitation: InvitationId,
    answer: Answer,
) -> Result<Answered, NetworkError> {
    let found: Option<(NetworkId, Option<UserId>)> = network_invitations::table
        .find(invitation)
        .filter(network_invitations::organisation_id.eq(organisation))
        .filter(network_invitations::answered_at.is_null())
        .select((
            network_invitations::network_id,
            network_invitations::invited_by,
        ))
        .first(conn)
        .optional()?;
    let (network, inviter) = found.ok_or(NetworkError::NotFound)?;
    let closed = diesel::update(
        network_invitations::table
            .find(invitation)
            .filter(network_invitations::answered_at.is_null()),
    )
    .set((
        network_invitations::answered_at.eq(Utc::now().naive_utc()),
        network_invitations::answer.eq(answer.as_str()),
    ))
    .execute(conn)?;
    if closed == 0 {
        return Err(NetworkError::NotFound);
    }
    if answer == Answer::Accepted {
        join(conn, organisation, network)?;
    }
    let network_name = networks::table
        .find(network)
        .select(networks::name)
        .first(conn)?;
    Ok(Answered {
        network,
        network_name,
        organisation,
        inviter,
    })
}

/// Takes `organisation` out of its network at once. Listings stop being shared both ways;
/// reservations already made across the boundary stay and are finished as usual.
pub fn leave(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> Result<Network, NetworkError> {
    let network = of(conn, organisation)?.ok_or(NetworkError::NotInNetwork)?;
    let left = diesel::update(
        organisations::table
            .find(organisation)
            .filter(organisations::network_id.eq(network.id)),
    )
    .set(organisations::network_id.eq(None::<NetworkId>))
    .execute(conn)?;
    if left == 0 {
        return Err(NetworkError::NotInNetwork);
    }
    Ok(network)
}

/// Every network with its members, for the command line.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<(Network, Members)>> {
    let list: Vec<Network> = networks::table
        .order(networks::id)
        .select(Network::as_select())
        .load(conn)?;
    let mut all = Vec::with_capacity(list.len());
    for network in list {
        let members = members(conn, network.id)?;
        all.push((network, members));
    }
    Ok(all)
}
