//! The relevance set: queries written the way colleagues search (plurals, definite forms,
//! compound parts in both directions, Norwegian spellings, several words), against a small
//! catalogue posted through the real form, each with what must come back and what must
//! come first. Run on both backends, which must agree.

use std::collections::HashMap;

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends;

/// (key, title, category slug, description)
const CATALOGUE: &[(&str, &str, &str, &str)] = &[
    (
        "kontorsstol",
        "Kontorsstol med armstöd",
        "mobler/kontorsstol",
        "Svart, justerbar sitthöjd.",
    ),
    (
        "kontorsstolar",
        "Tre kontorsstolar",
        "mobler/kontorsstol",
        "",
    ),
    (
        "skolstol",
        "Skolstol i björk",
        "mobler/besoksstol-och-skolstol",
        "",
    ),
    (
        "besoksstol",
        "Stapelbar besöksstol",
        "mobler/besoksstol-och-skolstol",
        "",
    ),
    (
        "konferensstol",
        "Konferensstol med krom",
        "mobler/besoksstol-och-skolstol",
        "",
    ),
    (
        "skrivbord",
        "Skrivbord",
        "mobler/skrivbord",
        "160 × 80 cm, ek.",
    ),
    ("hornskrivbord", "Hörnskrivbord", "mobler/skrivbord", ""),
    (
        "hojsank",
        "Höj- och sänkbart skrivbord",
        "mobler/skrivbord",
        "",
    ),
    (
        "lampa",
        "Skrivbordslampa",
        "elektronik/sma-elapparater",
        "LED, passar på ett skrivbord.",
    ),
    ("konferensbord", "Konferensbord för åtta", "mobler/bord", ""),
    ("cafebord", "Runt cafébord", "mobler/bord", ""),
    ("matsalsbord", "Matsalsbord i ek", "mobler/bord", ""),
    ("bokhylla", "Bokhylla, vit", "mobler/skap", ""),
    ("vagghylla", "Vägghylla i furu", "mobler/skap", ""),
    ("dokumentskap", "Dokumentskåp i stål", "mobler/skap", ""),
    ("kyl", "Kyl och frys", "vitvaror/kylskap", ""),
    (
        "minikyl",
        "Minikyl till personalrum",
        "vitvaror/kylskap",
        "",
    ),
    ("soffa", "Tresitssoffa i grått tyg", "mobler/soffa", ""),
    ("soffbord", "Soffbord i glas", "mobler/bord", ""),
    ("skarm", "Bildskärm 24 tum", "it/skarm", ""),
    ("dator", "Bärbar dator", "it/barbar-dator", ""),
    ("skrivare", "Laserskrivare", "it/skrivare", ""),
    (
        "diskmaskin",
        "Diskmaskin, inbyggd",
        "vitvaror/diskmaskin",
        "",
    ),
    ("mikro", "Mikrovågsugn", "vitvaror/spis-och-ugn", ""),
    ("motebord", "Møtebord i eik", "mobler/bord", ""),
    (
        "kontorstol",
        "Kontorstol med nakkestøtte",
        "mobler/kontorsstol",
        "",
    ),
    (
        "skrivebord",
        "Hev- og senk skrivebord",
        "mobler/skrivbord",
        "",
    ),
    (
        "skolestoler",
        "Skolestoler, stablebare",
        "mobler/besoksstol-och-skolstol",
        "",
    ),
    ("bokhylle", "Bokhylle i bjørk", "mobler/skap", ""),
    ("kjoleskap", "Kjøleskap med fryser", "vitvaror/kylskap", ""),
    ("whiteboard", "Whiteboardtavla på hjul", "ovrigt/ovrigt", ""),
];

/// What a query must give.
enum Expect {
    /// All of these are among the results.
    Finds(&'static [&'static str]),
    /// None of these is.
    Misses(&'static [&'static str]),
    /// This one is the first result.
    First(&'static str),
    /// The first is listed above the second (both found).
    Above(&'static str, &'static str),
}

use Expect::{Above, Finds, First, Misses};

const CHAIRS: &[&str] = &[
    "kontorsstol",
    "kontorsstolar",
    "skolstol",
    "besoksstol",
    "konferensstol",
    "kontorstol",
    "skolestoler",
];

const CASES: &[(&str, Expect)] = &[
    // Plurals and definite forms.
    ("stolar", Finds(CHAIRS)),
    ("stolen", Finds(&["kontorsstol", "skolstol"])),
    ("stol", Misses(&["skrivbord", "konferensbord"])),
    (
        "bord",
        Finds(&[
            "skrivbord",
            "hornskrivbord",
            "hojsank",
            "konferensbord",
            "cafebord",
            "matsalsbord",
            "soffbord",
            "motebord",
            "skrivebord",
        ]),
    ),
    ("bord", Misses(&["kontorsstol", "skolstol"])),
    (
        "borden",
        Finds(&["konferensbord", "cafebord", "matsalsbord"]),
    ),
    ("bordet", Finds(&["motebord", "skrivbord"])),
    ("skrivbordet", Finds(&["skrivbord", "hornskrivbord"])),
    ("skrivborden", Finds(&["skrivbord", "hojsank"])),
    ("hyllor", Finds(&["bokhylla", "vagghylla"])),
    ("soffor", Finds(&["soffa"])),
    ("skärmar", Finds(&["skarm"])),
    ("datorer", Finds(&["dator"])),
    ("skrivaren", Finds(&["skrivare"])),
    ("lampor", Finds(&["lampa"])),
    ("konferensborden", Finds(&["konferensbord"])),
    ("skolstolar", Finds(&["skolstol"])),
    // A word finds the compounds it is part of.
    ("hylla", Finds(&["bokhylla", "vagghylla"])),
    ("hylla", Misses(&["dokumentskap"])),
    ("skåp", Finds(&["dokumentskap", "kyl"])),
    ("kyl", Finds(&["kyl", "minikyl"])),
    ("frys", Finds(&["kyl"])),
    ("frys", Misses(&["bokhylla"])),
    ("skärm", Finds(&["skarm"])),
    ("maskin", Finds(&["diskmaskin"])),
    ("ugn", Finds(&["mikro"])),
    ("tavla", Finds(&["whiteboard"])),
    ("konferens", Finds(&["konferensstol", "konferensbord"])),
    ("møte", Finds(&["motebord"])),
    ("lampa", Finds(&["lampa"])),
    ("lampa", Misses(&["skrivbord"])),
    ("soffa", Finds(&["soffa", "soffbord"])),
    // A compound finds its own kind, also written another way or in the other language.
    (
        "kontorsstol",
        Finds(&["kontorsstol", "kontorsstolar", "kontorstol"]),
    ),
    ("kontorsstol", Misses(&["skolstol"])),
    (
        "kontorsstolar",
        Finds(&["kontorsstol", "kontorsstolar", "kontorstol"]),
    ),
    (
        "kontorstol",
        Finds(&["kontorsstol", "kontorsstolar", "kontorstol"]),
    ),
    ("skolstol", Finds(&["skolstol", "skolestoler"])),
    ("skolestol", Finds(&["skolestoler", "skolstol"])),
    ("skrivebord", Finds(&["skrivebord", "skrivbord"])),
    ("bokhylle", Finds(&["bokhylle", "bokhylla"])),
    ("bokhylla", Finds(&["bokhylla", "bokhylle"])),
    ("kylskåp", Finds(&["kyl", "minikyl", "kjoleskap"])),
    ("kjøleskap", Finds(&["kjoleskap", "kyl", "minikyl"])),
    ("oppvaskmaskin", Finds(&["diskmaskin"])),
    ("stekeovn", Finds(&["mikro"])),
    ("møtebordet", Finds(&["motebord"])),
    ("skrivbordslampa", Finds(&["lampa"])),
    // Best match first.
    ("skrivbord", First("skrivbord")),
    ("skrivbord", Above("hornskrivbord", "lampa")),
    ("skrivbord", Above("hojsank", "lampa")),
    ("kontorsstol", Above("kontorsstol", "kontorstol")),
    ("skolstol", First("skolstol")),
    ("besöksstol", First("besoksstol")),
    ("konferensstol", First("konferensstol")),
    ("konferensbord", First("konferensbord")),
    ("møtebord", First("motebord")),
    ("skrivebord", First("skrivebord")),
    ("bokhylla", First("bokhylla")),
    ("vägghylla", First("vagghylla")),
    ("dokumentskåp", First("dokumentskap")),
    ("skåp", First("dokumentskap")),
    ("kjøleskap", First("kjoleskap")),
    ("kyl", First("kyl")),
    ("soffa", Above("soffa", "soffbord")),
    ("soffbord", First("soffbord")),
    ("bildskärm", First("skarm")),
    ("laserskrivare", First("skrivare")),
    ("diskmaskin", First("diskmaskin")),
    ("mikrovågsugn", First("mikro")),
    ("whiteboard", First("whiteboard")),
    ("skrivbordslampa", First("lampa")),
    // Several words: every one must be there.
    ("svart kontorsstol", Finds(&["kontorsstol"])),
    (
        "svart kontorsstol",
        Misses(&["kontorsstolar", "kontorstol"]),
    ),
    ("bord ek", Finds(&["matsalsbord", "skrivbord"])),
    ("bord ek", Misses(&["konferensbord"])),
    ("vit bokhylla", Finds(&["bokhylla"])),
    ("vit bokhylla", Misses(&["bokhylle"])),
    ("grått tyg", Finds(&["soffa"])),
    ("björk", Finds(&["skolstol"])),
    ("bjørk", Finds(&["bokhylle"])),
    // Misspellings: one slip in a word of five letters or more, found below what matches
    // as typed.
    (
        "skrifbord",
        Finds(&["skrivbord", "hornskrivbord", "hojsank"]),
    ),
    ("skrifbord", First("skrivbord")),
    ("skrivbrod", First("skrivbord")),
    ("bokhyla", Finds(&["bokhylla"])),
    ("bokhyllla", First("bokhylla")),
    ("diskmaksin", First("diskmaskin")),
    ("mikrovågsung", Finds(&["mikro"])),
    ("kjøleskp", Finds(&["kjoleskap"])),
    ("konferensbrod", First("konferensbord")),
    ("bildskärn", Finds(&["skarm"])),
    ("minikly", Finds(&["minikyl"])),
    ("dokumentskpå", First("dokumentskap")),
    ("stapelbra stol", Finds(&["besoksstol"])),
    ("whitebord", Finds(&["whiteboard"])),
    // A word spelt right is not corrected into others.
    ("skrivbord", Misses(&["cafebord", "konferensbord"])),
];

async fn post_catalogue(app: &TestApp) -> HashMap<String, &'static str> {
    let mut by_title = HashMap::new();
    for (key, title, category, description) in CATALOGUE {
        let category = app.category_id(category).await;
        app.browser
            .post_item(
                &[
                    ("title", title),
                    ("description", description),
                    ("category_id", &category),
                    ("condition", "good"),
                    ("quantity", "1"),
                    ("site", "Stadshuset"),
                    ("action", "publish"),
                ],
                vec![],
            )
            .await;
        by_title.insert(title.to_string(), *key);
    }
    by_title
}

/// A signed-in member of Borås stad, with the catalogue posted (titles → keys).
async fn with_catalogue(backend: Backend) -> (TestApp, HashMap<String, &'static str>) {
    let app = spawn_app(backend).await;
    app.create_organisation("Borås stad", "boras.se", &[]).await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    let by_title = post_catalogue(&app).await;
    (app, by_title)
}

async fn the_relevance_set_passes(backend: Backend) {
    let (app, by_title) = with_catalogue(backend).await;
    let mut failures = Vec::new();
    for (query, expect) in CASES {
        let page = app.get_page(&format!("/items?q={query}")).await;
        let found: Vec<&str> = page
            .select_all(".card-title")
            .iter()
            .map(|t| {
                let title: String = t.text().collect();
                by_title.get(title.trim()).copied().unwrap_or("?")
            })
            .collect();
        let position = |key: &str| found.iter().position(|f| *f == key);
        let ok = match expect {
            Finds(keys) => keys.iter().all(|k| position(k).is_some()),
            Misses(keys) => keys.iter().all(|k| position(k).is_none()),
            First(key) => found.first() == Some(key),
            Above(a, b) => matches!((position(a), position(b)), (Some(a), Some(b)) if a < b),
        };
        if !ok {
            failures.push(format!("{query:?}: got {found:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// After an upgrade that changes the search rules, listings indexed the old way are indexed
/// again by the background job; until then the database still finds them by their old
/// terms.
async fn listings_indexed_by_older_rules_are_indexed_again(backend: Backend) {
    use bruka::db::schema::items;
    use diesel::prelude::*;
    let (app, _) = with_catalogue(backend).await;
    let reindexed = app
        .with_conn(|conn| {
            // As the release before weights left them: whole-word stems only.
            diesel::update(items::table)
                .set((
                    items::search_stems.eq("kontorsstol"),
                    items::search_weights.eq(""),
                    items::search_version.eq(0),
                ))
                .execute(conn)
                .expect("aged");
            bruka::app::jobs::reindex_listings(conn).expect("reindexed")
        })
        .await;
    assert_eq!(reindexed, CATALOGUE.len());
    let page = app.get_page("/items?q=stolar").await;
    assert!(page.select_all(".card-title").len() >= CHAIRS.len());
    let again = app
        .with_conn(|conn| bruka::app::jobs::reindex_listings(conn).expect("nothing left"))
        .await;
    assert_eq!(again, 0);
}

/// Rankings are kept per instance, but a change made anywhere (here straight in the
/// database, as another instance would) is seen by the next search.
async fn kept_rankings_follow_changes_made_anywhere(backend: Backend) {
    use bruka::db::schema::items;
    use diesel::prelude::*;
    let (app, _) = with_catalogue(backend).await;
    let titles = |page: crate::helpers::Page| -> Vec<String> {
        page.select_all(".card-title")
            .iter()
            .map(|t| t.text().collect::<String>().trim().to_string())
            .collect()
    };
    let before = titles(app.get_page("/items?q=bokhylla").await);
    assert_eq!(before, ["Bokhylla, vit", "Bokhylle i bjørk"]);
    app.with_conn(|conn| {
        diesel::update(items::table.filter(items::title.eq("Bokhylla, vit")))
            .set(items::status.eq("withdrawn"))
            .execute(conn)
            .expect("withdrawn elsewhere")
    })
    .await;
    assert_eq!(
        titles(app.get_page("/items?q=bokhylla").await),
        ["Bokhylle i bjørk"]
    );
    let category = app.category_id("mobler/skap").await;
    app.browser
        .post_item(
            &[
                ("title", "Bokhylla"),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "1"),
                ("site", "Stadshuset"),
                ("action", "publish"),
            ],
            vec![],
        )
        .await;
    assert_eq!(
        titles(app.get_page("/items?q=bokhylla").await),
        ["Bokhylla", "Bokhylle i bjørk"]
    );
}

fn card_titles(page: &crate::helpers::Page) -> Vec<String> {
    page.select_all(".card-title")
        .iter()
        .map(|t| t.text().collect::<String>().trim().to_string())
        .collect()
}

/// Found only through a correction: the page says what it took the search to mean.
async fn a_misspelt_search_says_what_it_found_instead(backend: Backend) {
    let (app, _) = with_catalogue(backend).await;
    let page = app.get_page("/items?q=skrifbord").await;
    assert_eq!(card_titles(&page)[0], "Skrivbord");
    assert_eq!(page.text_of(".did-you-mean a"), "skrivbord");
    let meant = page.attr(".did-you-mean a", "href");
    assert_eq!(meant, "/items?q=skrivbord");
    let page = app.get_page(&meant).await;
    assert!(page.select_all(".did-you-mean").is_empty());
    assert_eq!(card_titles(&page)[0], "Skrivbord");
    // Found as typed (Kontorsstol): nothing to correct, though a word was misspelt.
    let page = app.get_page("/items?q=kontorsstol").await;
    assert!(page.select_all(".did-you-mean").is_empty());
}

/// A search that finds nothing offers a respelling that does, categories to look in,
/// saving the search and a wanted ad with its words filled in.
async fn a_search_that_finds_nothing_offers_ways_on(backend: Backend) {
    let (app, _) = with_catalogue(backend).await;
    // "hylsa" is a word, but nobody listed one.
    let page = app.get_page("/items?q=hylsa").await;
    assert!(card_titles(&page).is_empty());
    assert_eq!(page.text_of(".did-you-mean a"), "hylla");
    let respelled = app.get_page(&page.attr(".did-you-mean a", "href")).await;
    let titles = card_titles(&respelled);
    assert!(
        titles.contains(&"Vägghylla i furu".to_string()),
        "{titles:?}"
    );

    // Fridges, looked for among the furniture: the fridge category finds them.
    let page = app.get_page("/items?q=kylsk%C3%A5p&category=mobler").await;
    assert!(card_titles(&page).is_empty());
    assert!(page.text_of(".empty h3").contains("andra kategorier"));
    let offered: Vec<String> = page
        .select_all(".offers a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(offered, ["Kylskåp (3)"]);
    let there = app.get_page(&page.attr(".offers a", "href")).await;
    assert_eq!(card_titles(&there).len(), 3);

    // Nothing anywhere: the categories its parts are names of (desks, chairs).
    let page = app.get_page("/items?q=skrivbordsstol").await;
    assert!(card_titles(&page).is_empty());
    let offered: Vec<String> = page
        .select_all(".offers a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert!(
        offered.iter().any(|o| o.starts_with("Skrivbord (")),
        "{offered:?}"
    );
    assert!(
        offered.iter().any(|o| o.starts_with("Kontorsstol (")),
        "{offered:?}"
    );
    assert_eq!(
        page.attr(".empty .save-search input[name=q]", "value"),
        "skrivbordsstol"
    );
    let wanted = app
        .get_page(&page.attr(".empty a[href^='/wanted']", "href"))
        .await;
    assert_eq!(
        wanted.attr("#wanted-title-field", "value"),
        "skrivbordsstol"
    );
}

on_both_backends!(
    a_misspelt_search_says_what_it_found_instead,
    a_search_that_finds_nothing_offers_ways_on,
    the_relevance_set_passes,
    kept_rankings_follow_changes_made_anywhere,
    listings_indexed_by_older_rules_are_indexed_again,
);
