//! `bruka demo`: a living example marketplace for newcomers and for benchmarks: the example
//! organisation with colleagues and listings in every category, each with a generated photo
//! that went through the real photo pipeline.

mod network;
mod photos;

pub use network::{NETWORK_LISTINGS, NETWORK_NAME, NETWORK_ORGANISATIONS, NetworkReport};

use chrono::{Duration, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::app::{Delivery, write};
use crate::ids::{ItemId, ReservationId, UnitId, UserId};
use crate::ledger::savings::WouldBuyNew;
use crate::reservations;

use crate::access::Viewer;
use crate::accounts::{self, Email, Role};
use crate::bootstrap::{self, DEMO_DOMAIN};
use crate::categories::{self, Category};
use crate::db::schema::items;
use crate::db::{AnyConnection, Backend, write_transaction};
use crate::items::{Condition, ItemFields, ItemInput, NewPhoto, Visibility};
use crate::organisations;
use crate::photos::{PhotoLimits, PhotoStore, ProcessedPhoto, process};

/// Every example listing's description begins with this, so nobody takes it for a real offer.
pub const EXAMPLE_MARK: &str = "Exempelannons, påhittad för att visa hur Bruka fungerar.";

const COLLEAGUES: [(&str, &str); 6] = [
    ("anna.lindqvist", "Anna Lindqvist"),
    ("johan.berg", "Johan Berg"),
    ("fatima.hassan", "Fatima Hassan"),
    ("erik.nilsson", "Erik Nilsson"),
    ("maria.karlsson", "Maria Karlsson"),
    ("ali.mohammed", "Ali Mohammed"),
];

const SITES: [(&str, &str); 8] = [
    (
        "Stadshuset, Storgatan 1",
        "Lastkajen på baksidan, vardagar 8–15.",
    ),
    (
        "Kulturhuset Fyren",
        "Ring vaktmästaren på 010-123 45 67 när du är på plats.",
    ),
    (
        "Sjöängsskolan",
        "Hämtas i förrådet vid idrottshallen efter 15.00.",
    ),
    ("Vårdcentralen Norr", "Fråga i receptionen, ta med vagn."),
    (
        "Tekniska förvaltningens förråd, Verkstadsvägen 4",
        "Öppet tisdagar och torsdagar 7–11.",
    ),
    ("Stadsbiblioteket", "Personalingången, ring på klockan."),
    (
        "Äldreboendet Solgården",
        "Kontakta enhetschefen innan hämtning.",
    ),
    ("Ekbackens förskola", "Hämtas före kl 9 eller efter kl 16."),
];

/// Listing titles per category slug; categories without their own list use the generic one.
fn titles(slug: &str) -> &'static [&'static str] {
    match slug {
        "mobler/kontorsstol" => &[
            "Kontorsstol med armstöd",
            "Ergonomisk kontorsstol",
            "Kontorsstol, svart tyg",
            "Hög kontorsstol med nackstöd",
        ],
        "mobler/besoksstol-och-skolstol" => &[
            "Stapelbar besöksstol",
            "Skolstol i björk",
            "Konferensstol med krom",
            "Elevstol, justerbar",
        ],
        "mobler/skrivbord" => &[
            "Höj- och sänkbart skrivbord",
            "Skrivbord 160 × 80",
            "Hörnskrivbord",
            "Elevbord för två",
        ],
        "mobler/bord" => &[
            "Konferensbord för åtta",
            "Runt cafébord",
            "Matsalsbord i ek",
            "Fällbart bord",
        ],
        "mobler/hurts-och-forvaring" => &[
            "Låsbar hurts",
            "Hurts på hjul",
            "Förvaringsbox med lock",
            "Arkivhurts",
        ],
        "mobler/skap" => &[
            "Dokumentskåp i stål",
            "Bokhylla, vit",
            "Garderobsskåp",
            "Jalusiskåp",
        ],
        "mobler/soffa" => &[
            "Tresitssoffa i grått tyg",
            "Soffa för väntrum",
            "Tvåsitssoffa i skinn",
            "Modulsoffa",
        ],
        "it/barbar-dator" => &[
            "Bärbar dator 14 tum",
            "Laptop med laddare",
            "Bärbar dator för skolbruk",
        ],
        "it/skarm" => &[
            "Skärm 24 tum",
            "Bildskärm 27 tum",
            "Skärm med höj- och sänkbar fot",
        ],
        "it/stationar-dator" => &["Stationär dator", "Kontorsdator med tangentbord"],
        "it/surfplatta" => &["Surfplatta 10 tum", "Surfplatta med fodral"],
        "it/mobiltelefon" => &["Mobiltelefon med laddare", "Tjänstetelefon"],
        "it/skrivare" => &["Laserskrivare", "Färgskrivare", "Multifunktionsskrivare"],
        "vitvaror/kylskap" => &["Kylskåp för personalrum", "Kyl och frys", "Minikyl"],
        "vitvaror/diskmaskin" => &["Diskmaskin 60 cm", "Integrerad diskmaskin"],
        "vitvaror/tvattmaskin" => &["Tvättmaskin 7 kg", "Tvättmaskin för förskola"],
        "vitvaror/spis-och-ugn" => &["Spis med ugn", "Inbyggnadsugn"],
        "elektronik/sma-elapparater" => &[
            "Vattenkokare",
            "Kaffebryggare",
            "Skrivbordslampa",
            "Mikrovågsugn",
        ],
        "elektronik/stora-elapparater" => &["Projektor", "Luftrenare", "Golvdammsugare"],
        _ => &[
            "Whiteboardtavla",
            "Anslagstavla",
            "Blomkruka, stor",
            "Skärmvägg",
        ],
    }
}

#[derive(Debug, Default)]
pub struct DemoReport {
    pub items_created: usize,
    /// Reservations made for the example, and how many of them were picked up.
    pub reservations: usize,
    pub handovers: usize,
    /// Handovers written to the ledger as history (spread over two years).
    pub past_handovers: usize,
    pub photos_stored: usize,
    pub admin: String,
    /// The example network: partners, their shared listings and handovers across it.
    pub network: NetworkReport,
}

struct Lister {
    viewer: Viewer,
}

fn ensure_colleagues(conn: &mut AnyConnection) -> anyhow::Result<Vec<Lister>> {
    bootstrap::ensure_demo_organisation(conn)?;
    let admin = Email::parse(bootstrap::DEMO_ADMIN)?;
    let organisation = organisations::find_by_email_domain(conn, admin.domain())?
        .ok_or_else(|| anyhow::anyhow!("the example organisation is missing"))?;
    let units = organisations::units_of(conn, organisation.id)?;
    COLLEAGUES
        .iter()
        .enumerate()
        .map(|(index, (local, name))| {
            let email = Email::parse(&format!("{local}@{DEMO_DOMAIN}"))?;
            colleague(
                conn,
                &units,
                index,
                (&email, name),
                organisation.id,
                Role::Member,
            )
        })
        .collect()
}

impl Lister {
    /// The viewer `user_id` is now (their organisation's network read afresh).
    fn load(conn: &mut AnyConnection, user_id: UserId) -> anyhow::Result<Self> {
        let user =
            accounts::find(conn, user_id)?.ok_or_else(|| anyhow::anyhow!("user vanished"))?;
        Ok(Lister {
            viewer: Viewer::load(conn, &user)?,
        })
    }
}

/// A colleague in the example data: created if new, given a name and the `index`th unit
/// (round the list) the first time.
fn colleague(
    conn: &mut AnyConnection,
    units: &[organisations::Unit],
    index: usize,
    (email, name): (&Email, &str),
    organisation: crate::ids::OrganisationId,
    role: Role,
) -> anyhow::Result<Lister> {
    let user = accounts::find_or_create(conn, email, organisation, role)?;
    if user.needs_profile() {
        let unit = units.get(index % units.len().max(1)).map(|u| u.id);
        accounts::set_profile(conn, &user, name, unit)
            .map_err(|e| anyhow::anyhow!("profile for {email}: {e}"))?;
    }
    Lister::load(conn, user.id)
}

/// How long the example's reservations hold and when they are reminded.
fn example_rules() -> reservations::Rules {
    reservations::Rules {
        pickup_within: Duration::days(7),
        remind_before: Duration::hours(24),
        offer_within: Duration::hours(48),
    }
}

/// What a first start with `demo_bootstrap` makes: what `bruka demo` makes by default.
pub const FIRST_RUN_LISTINGS: usize = 240;
pub const FIRST_RUN_HISTORY: usize = 400;
/// The default random seed, so every first start shows the same example.
pub const SEED: u64 = 2026;

/// Photos per category; listings of a category share them (they are content-addressed).
const PHOTO_VARIANTS: u32 = 3;

async fn store_photos(
    store: &PhotoStore,
    leaves: &[Category],
) -> anyhow::Result<Vec<Vec<ProcessedPhoto>>> {
    let mut all = Vec::new();
    for category in leaves {
        let mut variants = Vec::new();
        for variant in 0..PHOTO_VARIANTS {
            let processed = process(
                &photos::photo(&category.slug, variant),
                &PhotoLimits::default(),
            )
            .map_err(|e| anyhow::anyhow!("demo photo: {e}"))?;
            store.save(&processed).await?;
            variants.push(processed);
        }
        all.push(variants);
    }
    Ok(all)
}

/// Creates `count` listings (in batches, one transaction each) spread over the categories,
/// colleagues and sites. Runs again add more.
/// What `bruka demo` adds: `count` listings and `history` past handovers in the ledger.
pub struct DemoSize {
    pub count: usize,
    pub history: usize,
}

pub async fn seed(
    pool: &crate::db::DbPool,
    store: &PhotoStore,
    size: DemoSize,
    seed: u64,
) -> anyhow::Result<DemoReport> {
    let DemoSize { count, history } = size;
    let worker_pool = pool.clone();
    let (listers, leaves, book) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut conn = worker_pool.get()?;
        let listers = ensure_colleagues(&mut conn)?;
        let leaves: Vec<Category> = categories::list_all(&mut conn)?
            .into_iter()
            .filter(|c| c.parent_id.is_some() && c.organisation_id.is_none())
            .collect();
        let book = categories::versions::load_book(&mut conn)?;
        Ok((listers, leaves, book))
    })
    .await??;
    anyhow::ensure!(
        !leaves.is_empty() && !listers.is_empty(),
        "no categories or people to list with"
    );
    let photos = store_photos(store, &leaves).await?;
    let photos_stored = photos.iter().map(Vec::len).sum();

    let worker_pool = pool.clone();
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<DemoReport> {
        let mut conn = worker_pool.get()?;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut created = 0;
        let mut created_ids = Vec::with_capacity(count);
        let mut created_listings = Vec::with_capacity(count);
        let now = Utc::now().naive_utc();
        let today = crate::i18n::local_date(now);
        while created < count {
            let batch = (count - created).min(500);
            write_transaction(&mut conn, |conn| -> anyhow::Result<()> {
                for _ in 0..batch {
                    let leaf = rng.random_range(0..leaves.len());
                    let category = &leaves[leaf];
                    let choices = titles(&category.slug);
                    let title = choices[rng.random_range(0..choices.len())];
                    let (site, pickup) = SITES[rng.random_range(0..SITES.len())];
                    let lister = &listers[rng.random_range(0..listers.len())];
                    let typical_weight = book
                        .figures(category, lister.viewer.organisation_id, today)
                        .typical_weight_kg;
                    let condition = Condition::ALL[rng.random_range(0..Condition::ALL.len())];
                    let quantity = if rng.random_bool(0.6) { 1 } else { rng.random_range(2..=12) };
                    let fields = ItemFields {
                        title: title.to_string(),
                        description: format!(
                            "{EXAMPLE_MARK} {title} som {unit} inte längre behöver. Fungerar som den ska; se bilden.",
                            unit = "enheten"
                        ),
                        category_id: category.id,
                        condition,
                        width_cm: None,
                        depth_cm: None,
                        height_cm: None,
                        weight_kg: typical_weight,
                        new_price_sek: None,
                        site: site.to_string(),
                        room: format!("Rum {}", rng.random_range(100..450)),
                        pickup_instructions: pickup.to_string(),
                        available_from: None,
                        expires_on: None,
                        visibility: if rng.random_bool(0.3) { Visibility::Network } else { Visibility::Organisation },
                    };
                    let input = ItemInput {
                        fields,
                        quantity,
                        publish: true,
                    };
                    let photo = &photos[leaf][rng.random_range(0..photos[leaf].len())];
                    let id = list_example(conn, lister, &input, photo)?;
                    created_ids.push(id);
                    created_listings.push(PastListing {
                        id,
                        title,
                        leaf,
                        created_by: lister.viewer.user_id,
                    });
                    // Spread the listings over the last three months so sorting means something.
                    let age = Duration::minutes(rng.random_range(0..60 * 24 * 90));
                    diesel::update(items::table.find(id))
                        .set((items::created_at.eq(now - age), items::updated_at.eq(now - age)))
                        .execute(conn)?;
                }
                Ok(())
            })?;
            created += batch;
        }
        let (reservations, handovers) =
            seed_handovers(&mut conn, &mut rng, &listers, &created_ids)?;
        let past_handovers =
            seed_history(&mut conn, &mut rng, &listers, (&leaves, &book), &created_listings, history)?;
        let network = network::seed(&mut conn, &mut rng, &listers, (&leaves, &book, &photos))?;
        refresh_planner_statistics(&mut conn)?;
        Ok(DemoReport {
            network,
            items_created: created,
            reservations,
            handovers,
            past_handovers,
            photos_stored,
            admin: bootstrap::DEMO_ADMIN.to_string(),
        })
    })
    .await??;
    Ok(report)
}

/// A bulk seed grows the tables far faster than PostgreSQL's autovacuum notices. Until its
/// next round, queries would be planned as if the listings table were still nearly empty,
/// and the browse indexes would still lead to each listing's first version (left behind
/// when its creation time was moved into the past), making a page read twice the rows.
/// SQLite keeps no statistics here (its plans follow from the indexes' shapes).
fn refresh_planner_statistics(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    match conn.backend() {
        Backend::Postgres => diesel::sql_query("VACUUM ANALYZE")
            .execute(conn)
            .map(|_| ()),
        Backend::Sqlite => Ok(()),
    }
}

/// Lists one example item with one of its category's photos, through the same code as
/// the listing form, without mail.
fn list_example(
    conn: &mut AnyConnection,
    lister: &Lister,
    input: &ItemInput,
    photo: &ProcessedPhoto,
) -> anyhow::Result<ItemId> {
    let new_photo = NewPhoto {
        key: photo.key.clone(),
        alt_text: format!("Bild på {}", input.fields.title.to_lowercase()),
        width: i32::try_from(photo.width).unwrap_or(i32::MAX),
        height: i32::try_from(photo.height).unwrap_or(i32::MAX),
    };
    write(conn, Delivery::Quiet, |tx| {
        crate::items::create(tx, &lister.viewer, input, &[new_photo])
    })
    .map_err(|e| anyhow::anyhow!("example listing: {e}"))
}

/// Most handovers are picked up (so the savings ledger has rows), some wait for pickup.
const HANDOVERS_PER_LISTINGS: usize = 4;
const MAX_HANDOVERS: usize = 80;

/// Colleagues reserve some of the new listings for their units and pick most of them up,
/// through the same code as the web pages, without mail.
fn seed_handovers(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    listers: &[Lister],
    item_ids: &[ItemId],
) -> anyhow::Result<(usize, usize)> {
    let wanted = (item_ids.len() / HANDOVERS_PER_LISTINGS).min(MAX_HANDOVERS);
    let rules = example_rules();
    let (mut reserved, mut picked_up) = (0, 0);
    for &item_id in item_ids.iter().take(wanted) {
        let (created_by, available): (UserId, i32) = items::table
            .find(item_id)
            .select((items::created_by, items::quantity_available))
            .first(conn)?;
        let Some(requester) = listers
            .iter()
            .cycle()
            .skip(rng.random_range(0..listers.len()))
            .take(listers.len())
            .find(|l| l.viewer.user_id != created_by)
        else {
            continue;
        };
        let answer = match rng.random_range(0..10) {
            0..5 => WouldBuyNew::Yes,
            5..8 => WouldBuyNew::Unsure,
            _ => WouldBuyNew::No,
        };
        let request = reservations::ReserveRequest {
            delivery: None,
            quantity: rng.random_range(1..=available.clamp(1, 3)),
            receiving_unit_id: None,
            message: String::new(),
            answer,
        };
        let reservation = write(conn, Delivery::Quiet, |tx| {
            reservations::reserve(tx, &requester.viewer, item_id, &request, &rules)
        })
        .map_err(|e| anyhow::anyhow!("demo reservation: {e}"))?;
        reserved += 1;
        if rng.random_bool(0.75) {
            write(conn, Delivery::Quiet, |tx| {
                reservations::pick_up(
                    tx,
                    &requester.viewer,
                    reservation.id,
                    Default::default(),
                    &rules,
                )
            })
            .map_err(|e| anyhow::anyhow!("demo pickup: {e}"))?;
            picked_up += 1;
        }
    }
    Ok((reserved, picked_up))
}

/// A listing made by this run, remembered for the example history.
struct PastListing {
    id: ItemId,
    title: &'static str,
    leaf: usize,
    created_by: UserId,
}

/// Example history is spread over this many days back from today.
const HISTORY_DAYS: i64 = 730;

/// Past handovers between colleagues' units over the last two years, computed with the
/// same method as real ones, so the statistics page has months and trends to show.
fn seed_history(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    listers: &[Lister],
    (leaves, book): (&[Category], &categories::FactorBook),
    listings: &[PastListing],
    count: usize,
) -> anyhow::Result<usize> {
    if listings.is_empty() || count == 0 {
        return Ok(0);
    }
    let Some(first) = listers.first() else {
        return Ok(0);
    };
    let organisation_id = first.viewer.organisation_id;
    let units: Vec<(UnitId, String)> = organisations::units_of(conn, organisation_id)?
        .into_iter()
        .map(|unit| (unit.id, unit.name))
        .collect();
    let unit_of = |user_id: UserId, units: &[(UnitId, String)]| {
        let viewer = listers.iter().find(|l| l.viewer.user_id == user_id)?;
        units
            .iter()
            .find(|(id, _)| Some(*id) == viewer.viewer.unit_id)
            .cloned()
    };
    let method = crate::ledger::method_of(conn, organisation_id)?;
    let now = Utc::now().naive_utc();
    let mut written = 0;
    while written < count {
        let batch = (count - written).min(2_000);
        write_transaction(conn, |conn| -> anyhow::Result<()> {
            let mut chain = crate::ledger::chain::Appender::open(conn, organisation_id)?;
            for _ in 0..batch {
                let listing = &listings[rng.random_range(0..listings.len())];
                let category = &leaves[listing.leaf];
                let requester = &listers[rng.random_range(0..listers.len())];
                let to_unit = if units.is_empty() {
                    None
                } else {
                    Some(units[rng.random_range(0..units.len())].clone())
                };
                let answer = match rng.random_range(0..10) {
                    0..5 => WouldBuyNew::Yes,
                    5..8 => WouldBuyNew::Unsure,
                    _ => WouldBuyNew::No,
                };
                // Drawn in the order the example has always used, so a seed gives the same data.
                let quantity = rng.random_range(1..=3);
                let at = now - Duration::minutes(rng.random_range(0..60 * 24 * HISTORY_DAYS));
                let figures = book.figures(category, organisation_id, crate::i18n::local_date(at));
                let facts = crate::ledger::HandoverFacts {
                    measured: &Default::default(),
                    reservation_id: ReservationId(0),
                    item_id: listing.id,
                    item_title: listing.title,
                    giving_organisation_id: organisation_id,
                    receiving_organisation_id: organisation_id,
                    from_unit: unit_of(listing.created_by, &units),
                    to_unit,
                    category,
                    figures: &figures,
                    quantity,
                    weight_kg: figures.typical_weight_kg,
                    new_price_sek: None,
                    answer,
                    recorded_by: Some(requester.viewer.user_id),
                };
                crate::ledger::record_past_handover(
                    conn,
                    &mut chain,
                    &facts,
                    &method,
                    at,
                    "Exempeldata",
                )?;
            }
            chain.close(conn)?;
            Ok(())
        })?;
        written += batch;
    }
    Ok(written)
}
