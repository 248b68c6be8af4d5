//! Networks as an organisation's admins run them: what the network page shows, creating
//! one, inviting an organisation (with a mail to its admin), answering an invitation and
//! leaving. Each change is audited for every organisation it concerns, in its transaction.

use super::{App, Failure};
use crate::accounts::{self, User};
use crate::audit::{self, Change, Subject};
use crate::db::AnyConnection;
use crate::ids::{InvitationId, NetworkId, OrganisationId, UserId};
use crate::mail::notices::{self, Notice, Recipient};
use crate::networks::{self, Answer, Invitation, Network, NetworkError};
use crate::organisations;

/// What the network page shows an organisation.
pub struct Overview {
    pub network: Option<Network>,
    pub members: Vec<(OrganisationId, String)>,
    /// Invitations to this organisation, waiting for an admin's answer.
    pub invitations_to: Vec<Invitation>,
    /// Invitations the network sent that are not answered yet.
    pub invitations_from: Vec<Invitation>,
}

pub async fn overview(
    app: &App,
    organisation: OrganisationId,
) -> Result<Overview, Failure<NetworkError>> {
    app.read(move |conn| -> Result<_, NetworkError> {
        let network = networks::of(conn, organisation)?;
        let (members, invitations_from) = match &network {
            Some(network) => (
                networks::members(conn, network.id)?,
                networks::invitations_from(conn, network.id)?,
            ),
            None => (Vec::new(), Vec::new()),
        };
        Ok(Overview {
            invitations_to: networks::invitations_to(conn, organisation)?,
            network,
            members,
            invitations_from,
        })
    })
    .await
}

/// Who does it: an admin (`user` `None` for the command line) of `organisation`.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub organisation: OrganisationId,
    pub user: Option<UserId>,
}

impl Actor {
    pub fn admin(user: &User) -> Self {
        Self {
            organisation: user.organisation_id,
            user: Some(user.id),
        }
    }
}

/// Runs `change` in one transaction with its audit entry in each organisation's log.
fn audited<T>(
    conn: &mut AnyConnection,
    actor: Actor,
    change: impl FnOnce(&mut AnyConnection) -> Result<(T, Entry), NetworkError>,
) -> Result<T, NetworkError> {
    crate::db::write_transaction(conn, |conn| {
        let (value, entry) = change(conn)?;
        audit::record(
            conn,
            Change {
                organisations: &entry.organisations,
                actor: actor.user,
                subject: Subject::Network(entry.network),
                action: entry.action,
                detail: entry.detail,
            },
        )?;
        Ok(value)
    })
}

struct Entry {
    network: NetworkId,
    organisations: Vec<OrganisationId>,
    action: &'static str,
    detail: String,
}

fn name_of(conn: &mut AnyConnection, organisation: OrganisationId) -> Result<String, NetworkError> {
    Ok(organisations::find(conn, organisation)?
        .map(|o| o.name)
        .unwrap_or_default())
}

pub fn create_in(
    conn: &mut AnyConnection,
    actor: Actor,
    name: &str,
) -> Result<Network, NetworkError> {
    audited(conn, actor, |conn| {
        let network = networks::create(conn, actor.organisation, name)?;
        let entry = Entry {
            network: network.id,
            organisations: vec![actor.organisation],
            action: "network_created",
            detail: network.name.clone(),
        };
        Ok((network, entry))
    })
}

pub async fn create(
    app: &App,
    actor: Actor,
    name: String,
) -> Result<Network, Failure<NetworkError>> {
    app.read(move |conn| create_in(conn, actor, &name)).await
}

/// Invites the organisation of the admin at `email` and mails that admin the link to the
/// network page. Both organisations' logs say so.
pub fn invite_in(
    conn: &mut AnyConnection,
    site: &str,
    actor: Actor,
    email: &str,
) -> Result<InvitationId, NetworkError> {
    audited(conn, actor, |conn| {
        let (network, invited) = networks::invite(conn, actor.organisation, actor.user, email)?;
        let inviting = name_of(conn, actor.organisation)?;
        if let Some(user) = accounts::find(conn, invited.user)? {
            let notice = Notice::NetworkInvitation {
                link: format!("{site}/network"),
                network: network.name.clone(),
                organisation: inviting.clone(),
            };
            notices::queue(conn, &Recipient::person(&user), &notice)?;
        }
        let entry = Entry {
            network: network.id,
            organisations: vec![actor.organisation, invited.organisation],
            action: "network_invited",
            detail: format!(
                "{} ({}) invited into {} by {inviting}",
                invited.organisation_name, invited.email, network.name
            ),
        };
        Ok((invited.invitation, entry))
    })
}

pub async fn invite(
    app: &App,
    actor: Actor,
    email: String,
) -> Result<InvitationId, Failure<NetworkError>> {
    let site = app.site.0.clone();
    let done = app
        .read(move |conn| invite_in(conn, &site, actor, &email))
        .await;
    if done.is_ok() {
        app.mail.wake_worker();
    }
    done
}

/// The invited organisation's admin accepts or declines.
pub fn answer_in(
    conn: &mut AnyConnection,
    actor: Actor,
    invitation: InvitationId,
    answer: Answer,
) -> Result<NetworkId, NetworkError> {
    audited(conn, actor, |conn| {
        let answered = networks::answer(conn, actor.organisation, invitation, answer)?;
        let mut concerned = vec![answered.organisation];
        if let Some(inviter) = answered
            .inviter
            .and_then(|id| accounts::find(conn, id).ok().flatten())
        {
            concerned.push(inviter.organisation_id);
        }
        let name = name_of(conn, answered.organisation)?;
        let entry = Entry {
            network: answered.network,
            organisations: concerned,
            action: match answer {
                Answer::Accepted => "network_joined",
                Answer::Declined => "network_declined",
            },
            detail: format!("{name}: {} {}", answer.as_str(), answered.network_name),
        };
        Ok((answered.network, entry))
    })
}

pub async fn answer(
    app: &App,
    actor: Actor,
    invitation: InvitationId,
    answer: Answer,
) -> Result<NetworkId, Failure<NetworkError>> {
    app.read(move |conn| answer_in(conn, actor, invitation, answer))
        .await
}

/// The organisation leaves its network at once; the remaining members' logs say so too.
pub fn leave_in(conn: &mut AnyConnection, actor: Actor) -> Result<Network, NetworkError> {
    audited(conn, actor, |conn| {
        let network = networks::leave(conn, actor.organisation)?;
        let mut concerned = vec![actor.organisation];
        concerned.extend(
            networks::members(conn, network.id)?
                .into_iter()
                .map(|(id, _)| id),
        );
        let name = name_of(conn, actor.organisation)?;
        let entry = Entry {
            network: network.id,
            organisations: concerned,
            action: "network_left",
            detail: format!("{name} left {}", network.name),
        };
        Ok((network, entry))
    })
}

pub async fn leave(app: &App, actor: Actor) -> Result<Network, Failure<NetworkError>> {
    app.read(move |conn| leave_in(conn, actor)).await
}
