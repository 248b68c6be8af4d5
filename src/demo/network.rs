//! The example network: two fictional partner municipalities in one network with the
//! example organisation, listings shared across it, and handovers between them, so a
//! newcomer sees what a network does (partner listings, what came from and went to each
//! partner).

use chrono::{Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use super::{EXAMPLE_MARK, Lister, SITES, colleague, titles};
use crate::accounts::{Email, Role};
use crate::app::{Delivery, write};
use crate::categories::{Category, FactorBook};
use crate::db::AnyConnection;
use crate::ids::{ItemId, ReservationId};
use crate::items::{Condition, ItemFields, ItemInput, Visibility};
use crate::ledger::savings::WouldBuyNew;
use crate::networks;
use crate::organisations::{self, Country, EmailDomain, Organisation};
use crate::photos::ProcessedPhoto;
use crate::reservations;

pub const NETWORK_NAME: &str = "Exempelnätverket";

/// A fictional partner on an example domain.
#[derive(Clone, Copy)]
struct Partner {
    name: &'static str,
    domain: &'static str,
    units: [&'static str; 2],
    /// Address before the @ and full name; the first is the partner's admin.
    people: [(&'static str, &'static str); 2],
}

const PARTNERS: [Partner; 2] = [
    Partner {
        name: "Norrdals kommun",
        domain: "norrdal.example",
        units: [
            "Kommunledningskontoret",
            "Barn- och utbildningsförvaltningen",
        ],
        people: [("sara.holm", "Sara Holm"), ("oskar.lund", "Oskar Lund")],
    },
    Partner {
        name: "Västerå kommun",
        domain: "vastera.example",
        units: ["Samhällsbyggnad", "Vård och omsorg"],
        people: [("lina.ek", "Lina Ek"), ("mats.strand", "Mats Strand")],
    },
];

/// Listings each partner shares with the network per run.
const PARTNER_LISTINGS: usize = 6;
/// Listings the partners share per run, all together.
pub const NETWORK_LISTINGS: usize = PARTNER_LISTINGS * PARTNERS.len();
/// Organisations in the example network.
pub const NETWORK_ORGANISATIONS: usize = 1 + PARTNERS.len();
/// Past handovers from partners to the example organisation and back, per partner.
const PARTNER_HISTORY: usize = 12;

/// What the example network added.
#[derive(Debug, Default, Clone, Copy)]
pub struct NetworkReport {
    pub partners: usize,
    pub shared_listings: usize,
    /// Reservations across organisations picked up now, and past ones in the ledger.
    pub handovers: usize,
    pub past_handovers: usize,
}

/// The partner's organisation, created with its units the first time.
fn organisation_of(conn: &mut AnyConnection, partner: Partner) -> anyhow::Result<Organisation> {
    let domain = EmailDomain::parse(partner.domain)?;
    if let Some(found) = organisations::find_by_email_domain(conn, &domain)? {
        return Ok(found);
    }
    let created = organisations::create(
        conn,
        partner.name,
        Country::Sweden,
        std::slice::from_ref(&domain),
    )?;
    for unit in partner.units {
        organisations::add_unit(conn, created.id, unit, None)?;
    }
    Ok(created)
}

/// The partner's people (the first its admin), as viewers of its organisation now.
fn people_of(
    conn: &mut AnyConnection,
    partner: Partner,
    organisation: &Organisation,
) -> anyhow::Result<Vec<Lister>> {
    let units = organisations::units_of(conn, organisation.id)?;
    partner
        .people
        .iter()
        .enumerate()
        .map(|(index, (local, name))| {
            let email = Email::parse(&format!("{local}@{}", partner.domain))?;
            let role = if index == 0 {
                Role::Admin
            } else {
                Role::Member
            };
            colleague(conn, &units, index, (&email, name), organisation.id, role)
        })
        .collect()
}

/// Puts the example organisation and its partners into one network (once), lists some of
/// the partners' things for the network and hands some over across organisations.
pub(super) fn seed(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    home: &[Lister],
    (leaves, book, photos): (&[Category], &FactorBook, &[Vec<ProcessedPhoto>]),
) -> anyhow::Result<NetworkReport> {
    let Some(first) = home.first() else {
        return Ok(NetworkReport::default());
    };
    let home_organisation = first.viewer.organisation_id;
    let network = match networks::of(conn, home_organisation)? {
        Some(network) => network,
        None => networks::create(conn, home_organisation, NETWORK_NAME)
            .map_err(|e| anyhow::anyhow!("example network: {e}"))?,
    };
    let mut report = NetworkReport::default();
    let mut partners = Vec::new();
    for entry in PARTNERS {
        let organisation = organisation_of(conn, entry)?;
        let in_network = match organisation.network_id {
            None => networks::join(conn, organisation.id, network.id)
                .map(|()| true)
                .map_err(|e| anyhow::anyhow!("example network: {e}"))?,
            Some(id) => id == network.id,
        };
        if in_network {
            // Loaded after joining: their viewers must see the network.
            partners.push(people_of(conn, entry, &organisation)?);
            report.partners += 1;
        }
    }
    // Home's viewers were loaded before the network existed on a first run.
    let home: Vec<Lister> = home
        .iter()
        .map(|l| Lister::load(conn, l.viewer.user_id))
        .collect::<anyhow::Result<_>>()?;
    let today = crate::i18n::local_date(Utc::now().naive_utc());
    let rules = super::example_rules();
    for listers in &partners {
        let mut shared = Vec::new();
        for _ in 0..PARTNER_LISTINGS {
            let leaf = rng.random_range(0..leaves.len());
            let category = &leaves[leaf];
            let lister = &listers[rng.random_range(0..listers.len())];
            let choices = titles(&category.slug);
            let title = choices[rng.random_range(0..choices.len())];
            let (site, pickup) = SITES[rng.random_range(0..SITES.len())];
            let fields = ItemFields {
                title: title.to_string(),
                description: format!("{EXAMPLE_MARK} {title} som en partner i nätverket erbjuder."),
                category_id: category.id,
                condition: Condition::ALL[rng.random_range(0..Condition::ALL.len())],
                width_cm: None,
                depth_cm: None,
                height_cm: None,
                weight_kg: book
                    .figures(category, lister.viewer.organisation_id, today)
                    .typical_weight_kg,
                new_price_sek: None,
                site: site.to_string(),
                room: format!("Rum {}", rng.random_range(100..450)),
                pickup_instructions: pickup.to_string(),
                available_from: None,
                expires_on: None,
                visibility: Visibility::Network,
            };
            let input = ItemInput {
                fields,
                quantity: rng.random_range(1..=4),
                publish: true,
            };
            let photo = &photos[leaf][rng.random_range(0..photos[leaf].len())];
            let id = super::list_example(conn, lister, &input, photo)?;
            shared.push((id, leaf, title));
            report.shared_listings += 1;
        }
        // Someone at the example organisation fetches a third of them now.
        for &(item_id, _, _) in shared.iter().step_by(3) {
            let requester = &home[rng.random_range(0..home.len())];
            let request = reservations::ReserveRequest {
                delivery: None,
                quantity: 1,
                receiving_unit_id: None,
                message: String::new(),
                answer: WouldBuyNew::Yes,
            };
            let reservation = write(conn, Delivery::Quiet, |tx| {
                reservations::reserve(tx, &requester.viewer, item_id, &request, &rules)
            })
            .map_err(|e| anyhow::anyhow!("example partner reservation: {e}"))?;
            write(conn, Delivery::Quiet, |tx| {
                reservations::pick_up(
                    tx,
                    &requester.viewer,
                    reservation.id,
                    Default::default(),
                    &rules,
                )
            })
            .map_err(|e| anyhow::anyhow!("example partner pickup: {e}"))?;
            report.handovers += 1;
        }
        report.past_handovers +=
            past_handovers(conn, rng, &home, listers, (leaves, book), &shared)?;
    }
    Ok(report)
}

/// Handovers between the example organisation and one partner over the last year, both
/// ways, computed with the receiving organisation's method and figures.
fn past_handovers(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    home: &[Lister],
    partner: &[Lister],
    (leaves, book): (&[Category], &FactorBook),
    shared: &[(ItemId, usize, &str)],
) -> anyhow::Result<usize> {
    let Some(&(item_id, _, _)) = shared.first() else {
        return Ok(0);
    };
    let now = Utc::now().naive_utc();
    for index in 0..PARTNER_HISTORY {
        let (giving, receiving) = if index % 3 == 0 {
            (home, partner)
        } else {
            (partner, home)
        };
        let from = &giving[rng.random_range(0..giving.len())];
        let to = &receiving[rng.random_range(0..receiving.len())];
        let (_, leaf, title) = shared[rng.random_range(0..shared.len())];
        let category = &leaves[leaf];
        let at = now - Duration::minutes(rng.random_range(60 * 24..60 * 24 * 365));
        let receiving_organisation = to.viewer.organisation_id;
        let figures = book.figures(
            category,
            receiving_organisation,
            crate::i18n::local_date(at),
        );
        let method = crate::ledger::method_of(conn, receiving_organisation)?;
        let facts = crate::ledger::HandoverFacts {
            measured: &Default::default(),
            reservation_id: ReservationId(0),
            item_id,
            item_title: title,
            giving_organisation_id: from.viewer.organisation_id,
            receiving_organisation_id: receiving_organisation,
            from_unit: None,
            to_unit: None,
            category,
            figures: &figures,
            quantity: rng.random_range(1..=2),
            weight_kg: figures.typical_weight_kg,
            new_price_sek: None,
            answer: WouldBuyNew::Yes,
            recorded_by: Some(to.viewer.user_id),
        };
        let mut chain = crate::ledger::chain::Appender::open(conn, receiving_organisation)?;
        crate::ledger::record_past_handover(
            conn,
            &mut chain,
            &facts,
            &method,
            at,
            "Exempeldata i nätverket",
        )?;
        chain.close(conn)?;
    }
    Ok(PARTNER_HISTORY)
}
