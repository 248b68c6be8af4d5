//! Who may see a listing, stated once.
//!
//! A listing is seen by its own organisation (drafts and ended listings only by whoever may
//! change it) and, when it is shared with the network and on offer, by the organisations in
//! the same network. Three shapes of that one rule are needed: the check of one row
//! ([`Viewer::sees`]), the set of listings a page may show ([`Reach`] and [`Shown`], whose
//! SQL is [`visible_rows!`] for both the listings and their kept counts), and who may hear
//! of a new listing ([`audience_of`]).

use diesel::prelude::*;

use crate::accounts::User;
use crate::db::AnyConnection;
use crate::db::schema::organisations;
use crate::ids::{NetworkId, OrganisationId, UnitId, UserId};
use crate::items::{Item, Status, Visibility};

/// The person looking: what they may see and change follows from their organisation.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
    pub network_id: Option<NetworkId>,
    pub unit_id: Option<UnitId>,
    pub is_admin: bool,
}

impl Viewer {
    pub fn load(conn: &mut AnyConnection, user: &User) -> QueryResult<Self> {
        Ok(Self::of(user, network_of(conn, user.organisation_id)?))
    }

    /// The viewer `user` is, whose organisation is in `network_id`.
    pub fn of(user: &User, network_id: Option<NetworkId>) -> Self {
        Self {
            user_id: user.id,
            organisation_id: user.organisation_id,
            network_id,
            unit_id: user.unit_id,
            is_admin: user.is_admin(),
        }
    }

    /// Whoever listed it, and the admins of its organisation, may change a listing; a
    /// store's listing, its staff (the people of the store unit) instead of its lister.
    pub fn may_edit(&self, item: &Item) -> bool {
        let manages = match item.store_unit_id {
            Some(store) => self.unit_id == Some(store),
            None => item.created_by == self.user_id,
        };
        item.organisation_id == self.organisation_id && (manages || self.is_admin)
    }

    /// Whether the viewer may see `item`, whose organisation is in `owner_network`.
    pub fn sees(&self, item: &Item, owner_network: Option<NetworkId>) -> bool {
        // Drafts and ended listings are the lister's business until they are on offer again.
        let on_offer = !matches!(item.status, Status::Draft | Status::Expired);
        if item.organisation_id == self.organisation_id {
            on_offer || self.may_edit(item)
        } else {
            on_offer
                && item.fields.visibility == Visibility::Network
                && self.network_id.is_some()
                && owner_network == self.network_id
        }
    }
}

/// The organisations whose listings on offer a viewer may see: their own, every one, and
/// their network partners', those shared with the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub own: OrganisationId,
    pub partners: Vec<OrganisationId>,
}

impl Reach {
    pub fn load(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Self> {
        let partners = match viewer.network_id {
            Some(network) => partners_in(conn, network, viewer.organisation_id)?,
            None => Vec::new(),
        };
        Ok(Self {
            own: viewer.organisation_id,
            partners,
        })
    }

    /// The viewer's organisation first, then its partners.
    pub fn organisations(&self) -> Vec<OrganisationId> {
        let mut all = Vec::with_capacity(1 + self.partners.len());
        all.push(self.own);
        all.extend_from_slice(&self.partners);
        all
    }

    /// What a page may show, narrowed to one organisation if the viewer chose one (one
    /// outside the reach shows nothing).
    pub fn shown(&self, chosen: Option<OrganisationId>) -> Shown {
        match chosen {
            None => Shown {
                own: Some(self.own),
                partners: self.partners.clone(),
            },
            Some(chosen) if chosen == self.own => Shown {
                own: Some(self.own),
                partners: Vec::new(),
            },
            Some(chosen) => Shown {
                own: None,
                partners: self
                    .partners
                    .iter()
                    .copied()
                    .filter(|&p| p == chosen)
                    .collect(),
            },
        }
    }
}

/// Listings a page may show: all of `own`'s and those of `partners` shared with the network.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shown {
    pub own: Option<OrganisationId>,
    pub partners: Vec<OrganisationId>,
}

impl Shown {
    pub fn is_nothing(&self) -> bool {
        self.own.is_none() && self.partners.is_empty()
    }

    /// Every organisation whose listings may appear, own first.
    pub fn organisations(&self) -> Vec<OrganisationId> {
        self.own.iter().chain(&self.partners).copied().collect()
    }
}

/// Narrows a boxed query on `$table` (a table with `organisation_id` and `visibility`
/// columns) to the rows a [`Shown`] allows. A macro because the listings and their kept
/// counts are different tables with the same two columns.
#[macro_export]
macro_rules! visible_rows {
    ($query:expr, $table:ident, $shown:expr) => {{
        use diesel::prelude::*;
        let shown: &$crate::access::Shown = $shown;
        let network = $crate::items::Visibility::Network;
        match (shown.own, shown.partners.as_slice()) {
            (None, []) => $query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0")),
            // An equality (not a one-element IN, which PostgreSQL turns into `= ANY` and
            // then sorts every match) lets both databases read the rows in index order.
            (Some(own), []) => $query.filter($table::organisation_id.eq(own)),
            (None, [only]) => $query
                .filter($table::organisation_id.eq(*only))
                .filter($table::visibility.eq(network)),
            // The IN list lets the (status, organisation_id, …) indexes find the rows; the
            // second condition then only drops partners' listings that are not shared.
            (None, _) => $query
                .filter($table::organisation_id.eq_any(shown.organisations()))
                .filter($table::visibility.eq(network)),
            (Some(own), _) => $query
                .filter($table::organisation_id.eq_any(shown.organisations()))
                .filter(
                    $table::organisation_id
                        .eq(own)
                        .or($table::visibility.eq(network)),
                ),
        }
    }};
}

/// The organisations whose people may see `item` once it is on offer (for alerts).
pub fn audience_of(conn: &mut AnyConnection, item: &Item) -> QueryResult<Vec<OrganisationId>> {
    let mut audience = vec![item.organisation_id];
    if item.fields.visibility == Visibility::Network
        && let Some(network) = network_of(conn, item.organisation_id)?
    {
        audience.extend(partners_in(conn, network, item.organisation_id)?);
    }
    Ok(audience)
}

/// The network an organisation belongs to, if any.
pub fn network_of(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> QueryResult<Option<NetworkId>> {
    organisations::table
        .find(organisation)
        .select(organisations::network_id)
        .first(conn)
}

fn partners_in(
    conn: &mut AnyConnection,
    network: NetworkId,
    organisation: OrganisationId,
) -> QueryResult<Vec<OrganisationId>> {
    organisations::table
        .filter(organisations::network_id.eq(network))
        .filter(organisations::id.ne(organisation))
        .select(organisations::id)
        .order(organisations::id)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CategoryId, ItemId};
    use crate::items::{Condition, ItemFields};

    const OWN: OrganisationId = OrganisationId(1);
    const PARTNER: OrganisationId = OrganisationId(2);
    const STRANGER: OrganisationId = OrganisationId(3);
    const NETWORK: NetworkId = NetworkId(7);
    const LISTER: UserId = UserId(10);
    const COLLEAGUE: UserId = UserId(11);

    fn viewer(user: UserId, network: Option<NetworkId>, is_admin: bool) -> Viewer {
        Viewer {
            user_id: user,
            organisation_id: OWN,
            network_id: network,
            unit_id: None,
            is_admin,
        }
    }

    fn item(organisation: OrganisationId, status: Status, visibility: Visibility) -> Item {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        Item {
            id: ItemId(1),
            organisation_id: organisation,
            owner_unit_id: None,
            created_by: if organisation == OWN {
                LISTER
            } else {
                UserId(99)
            },
            fields: ItemFields {
                title: "Kontorsstol".into(),
                description: String::new(),
                category_id: CategoryId(1),
                condition: Condition::Good,
                width_cm: None,
                depth_cm: None,
                height_cm: None,
                weight_kg: None,
                new_price_sek: None,
                site: "Stadshuset".into(),
                room: String::new(),
                pickup_instructions: String::new(),
                available_from: None,
                expires_on: None,
                visibility,
            },
            quantity_total: 1,
            quantity_available: 1,
            status,
            created_at: now,
            updated_at: now,
            store_unit_id: None,
            shelf: String::new(),
            end_step: 0,
            end_reminded_for: None,
            ended_as: None,
            offered_outside: false,
        }
    }

    #[test]
    fn a_store_listing_is_managed_by_the_store_not_its_lister() {
        let store = UnitId(5);
        let mut listing = item(OWN, Status::Draft, Visibility::Organisation);
        listing.store_unit_id = Some(store);
        let staff = Viewer {
            unit_id: Some(store),
            ..viewer(COLLEAGUE, None, false)
        };
        assert!(staff.may_edit(&listing) && staff.sees(&listing, None));
        assert!(!viewer(LISTER, None, false).may_edit(&listing));
        assert!(viewer(COLLEAGUE, None, true).may_edit(&listing), "admins");
        let elsewhere = Viewer {
            unit_id: Some(UnitId(6)),
            ..viewer(COLLEAGUE, None, false)
        };
        assert!(!elsewhere.may_edit(&listing));
    }

    #[test]
    fn own_listings_on_offer_are_seen_by_everyone_in_the_organisation() {
        let colleague = viewer(COLLEAGUE, None, false);
        for status in Status::ALL {
            for visibility in [Visibility::Organisation, Visibility::Network] {
                let hidden = matches!(status, Status::Draft | Status::Expired);
                assert_eq!(
                    colleague.sees(&item(OWN, status, visibility), None),
                    !hidden,
                    "{status:?} {visibility:?}"
                );
            }
        }
    }

    #[test]
    fn drafts_and_expired_listings_are_seen_by_who_may_change_them() {
        for status in [Status::Draft, Status::Expired] {
            let listing = item(OWN, status, Visibility::Organisation);
            assert!(viewer(LISTER, None, false).sees(&listing, None));
            assert!(viewer(COLLEAGUE, None, true).sees(&listing, None));
            assert!(!viewer(COLLEAGUE, None, false).sees(&listing, None));
        }
    }

    #[test]
    fn partners_see_only_shared_listings_on_offer() {
        let member = viewer(COLLEAGUE, Some(NETWORK), true);
        for status in Status::ALL {
            let hidden = matches!(status, Status::Draft | Status::Expired);
            let shared = item(PARTNER, status, Visibility::Network);
            assert_eq!(member.sees(&shared, Some(NETWORK)), !hidden, "{status:?}");
            let own_only = item(PARTNER, status, Visibility::Organisation);
            assert!(!member.sees(&own_only, Some(NETWORK)), "{status:?}");
        }
    }

    #[test]
    fn no_network_is_not_a_shared_network() {
        let shared = item(STRANGER, Status::Available, Visibility::Network);
        assert!(!viewer(COLLEAGUE, None, false).sees(&shared, None));
        assert!(!viewer(COLLEAGUE, Some(NETWORK), false).sees(&shared, None));
        assert!(!viewer(COLLEAGUE, Some(NETWORK), false).sees(&shared, Some(NetworkId(8))));
    }

    #[test]
    fn a_chosen_organisation_narrows_what_is_shown() {
        let reach = Reach {
            own: OWN,
            partners: vec![PARTNER],
        };
        assert_eq!(
            reach.shown(None).organisations(),
            vec![OWN, PARTNER],
            "everything in reach"
        );
        assert_eq!(
            reach.shown(Some(OWN)),
            Shown {
                own: Some(OWN),
                partners: vec![]
            }
        );
        assert_eq!(
            reach.shown(Some(PARTNER)),
            Shown {
                own: None,
                partners: vec![PARTNER]
            }
        );
        assert!(reach.shown(Some(STRANGER)).is_nothing());
        assert!(!reach.shown(None).is_nothing());
    }
}
