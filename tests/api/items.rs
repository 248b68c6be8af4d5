use std::io::Cursor;

use bruka::accounts::Role;
use bruka::db::schema::{available_counts, item_photos, items, organisations};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, Page, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::reservations::{reservation_id, reserve};

/// A camera-like JPEG with an EXIF block holding a GPS position.
pub(crate) fn photo_with_gps(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 90])
    });
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .expect("jpeg");
    // TIFF (big endian) with one IFD entry pointing at a GPS IFD holding "N" 57°42'.
    let mut tiff: Vec<u8> = b"MM\0*\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 1, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0]);
    tiff.extend_from_slice(b"GPSLatitude 57.7089 GPSLongitude 11.9746");
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(
        &u16::try_from(segment.len() + 2)
            .expect("small")
            .to_be_bytes(),
    );
    out.extend_from_slice(&segment);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A valid PNG whose header claims enormous dimensions (a decompression bomb's shape).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(8, 8))
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC follows 13 bytes.
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

pub(crate) async fn count_items(app: &TestApp) -> i64 {
    app.with_conn(|conn| items::table.count().get_result(conn).expect("count"))
        .await
}

pub(crate) fn stored_photo_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| {
                        let path = entry.path();
                        if path.is_dir() { walk(&path) } else { 1 }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&app.data_path().join("photos"))
}

/// An organisation "Borås stad" with a signed-in member in the default browser.
pub(crate) async fn with_member(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    app.create_organisation("Borås stad", "boras.se", &["Stadsledningskansliet"])
        .await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    app
}

pub(crate) async fn chair_fields(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("title", "Kontorsstol med armstöd".into()),
        ("description", "Fyra stolar, höj- och sänkbara.".into()),
        ("category_id", app.category_id("mobler/kontorsstol").await),
        ("condition", "good".into()),
        ("quantity", "4".into()),
        ("weight_kg", "12,5".into()),
        ("site", "Stadshuset, Kungsgatan 55".into()),
        ("room", "Plan 3, rum 312".into()),
        ("pickup_instructions", "Fråga i receptionen.".into()),
        ("action", "publish".into()),
    ]
}

pub(crate) fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn a_listing_with_a_photo_is_posted_shown_and_found(backend: Backend) {
    let app = with_member(backend).await;
    let form = app.get_page("/items/new").await;
    let factor_option = form.select_all("#category_id option");
    assert!(
        factor_option
            .iter()
            .any(|o| o.text().collect::<String>() == "Kontorsstol – 64 kg CO₂e per styck"),
        "the category picker shows the factor"
    );

    let fields = chair_fields(&app).await;
    let photo = photo_with_gps(2400, 1800);
    let id = app
        .browser
        .post_item(
            &[
                as_refs(&fields),
                vec![("photo_alt", "Svart kontorsstol med armstöd")],
            ]
            .concat(),
            vec![("photos", "IMG_0042.JPG", photo, "image/jpeg")],
        )
        .await;

    let page = app.get_page(&format!("/items/{id}?saved=1")).await;
    assert_eq!(page.text_of("h1"), "Kontorsstol med armstöd");
    let text = page.visible_text();
    assert!(text.contains("Skick Bra skick"), "{text}");
    assert!(text.contains("Tillgängliga 4 av 4"), "{text}");
    assert!(text.contains("Vikt 12,5 kg"), "{text}");
    assert!(text.contains("Stadshuset, Kungsgatan 55, Plan 3, rum 312"));
    assert!(text.contains("Stadsledningskansliet, Borås stad"));
    assert!(text.contains("undviker 64 kg CO₂e per styck"), "{text}");
    let image = page.one(".gallery img");
    assert_eq!(
        image.value().attr("alt"),
        Some("Svart kontorsstol med armstöd")
    );
    let src = image.value().attr("src").expect("src").to_string();

    let response = app.get(&src).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let bytes = response.bytes().await.expect("photo");
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "metadata stripped");
    assert!(!bytes.windows(3).any(|w| w == b"GPS"), "no position left");
    let shown = image::load_from_memory(&bytes).expect("a real image");
    assert_eq!((shown.width(), shown.height()), (1600, 1200));
    let thumb = app
        .get(&src.replace("display.jpg", "thumb.jpg"))
        .await
        .bytes()
        .await
        .expect("thumb");
    let thumb = image::load_from_memory(&thumb).expect("a real image");
    assert_eq!((thumb.width(), thumb.height()), (400, 300));

    let browse = app.get_page("/items").await;
    assert_eq!(browse.select_all(".grid .card").len(), 1);
    assert_eq!(browse.text_of(".card-title"), "Kontorsstol med armstöd");
    assert_eq!(
        browse.attr(".card img", "alt"),
        "Svart kontorsstol med armstöd"
    );
}

async fn search_finds_inflected_swedish_words(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    app.browser.post_item(&as_refs(&fields), vec![]).await;
    let desk = app.category_id("mobler/skrivbord").await;
    app.browser
        .post_item(
            &[
                ("title", "Höj- och sänkbart skrivbord"),
                ("category_id", &desk),
                ("condition", "as_new"),
                ("quantity", "2"),
                ("site", "Åhaga"),
            ],
            vec![],
        )
        .await;

    for (query, expected) in [
        ("kontorsstolar", vec!["Kontorsstol med armstöd"]),
        ("Kontorsstolen", vec!["Kontorsstol med armstöd"]),
        ("skrivborden", vec!["Höj- och sänkbart skrivbord"]),
        (
            "möbler",
            vec!["Höj- och sänkbart skrivbord", "Kontorsstol med armstöd"],
        ),
        ("åhaga", vec!["Höj- och sänkbart skrivbord"]),
        ("kontor", vec!["Kontorsstol med armstöd"]),
        ("cykel", vec![]),
    ] {
        let page = app.get_page(&format!("/items?q={query}&sort=title")).await;
        let titles: Vec<String> = page
            .select_all(".card-title")
            .iter()
            .map(|t| t.text().collect())
            .collect();
        assert_eq!(titles, expected, "search for {query}");
    }
    let empty = app.get_page("/items?q=cykel").await;
    assert!(empty.text_of(".empty").contains("Inget matchar"));
}

async fn filters_sort_and_pages(backend: Backend) {
    let app = with_member(backend).await;
    let chair = app.category_id("mobler/kontorsstol").await;
    let laptop = app.category_id("it/barbar-dator").await;
    for n in 0..26 {
        let title = format!("Sak {n:02}");
        let (category, condition, site) = if n % 2 == 0 {
            (&chair, "good", "Stadshuset")
        } else {
            (&laptop, "worn", "Lärcentrum")
        };
        app.browser
            .post_item(
                &[
                    ("title", &title),
                    ("category_id", category),
                    ("condition", condition),
                    ("quantity", "1"),
                    ("site", site),
                ],
                vec![],
            )
            .await;
    }
    let first = app.get_page("/items?sort=title").await;
    assert_eq!(first.select_all(".card").len(), 24);
    assert!(first.text_of(".result-count").contains("26 saker"));
    assert_eq!(first.text_of(".pagination span"), "Sida 1 av 2");
    let next = first.attr(".pagination a[rel=next]", "href");
    let second = app.get_page(&next).await;
    let titles: Vec<String> = second
        .select_all(".card-title")
        .iter()
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(titles, ["Sak 24", "Sak 25"]);

    // A top-level category includes its subcategories.
    let furniture = app.get_page("/items?category=mobler").await;
    assert!(furniture.text_of(".result-count").contains("13 saker"));
    let worn = app
        .get_page("/items?condition=worn&site=L%C3%A4rcentrum")
        .await;
    assert!(worn.text_of(".result-count").contains("13 saker"));
    let none = app.get_page("/items?condition=worn&site=Stadshuset").await;
    assert!(none.text_of(".result-count").contains("0 saker"));
    let unknown = app.get_page("/items?category=finns-inte").await;
    assert!(unknown.text_of(".result-count").contains("0 saker"));
    assert!(unknown.text_of(".empty").contains("Inget matchar"));

    // The filters show what was chosen, in the page's language; the same filters chosen
    // again, or in another language, show exactly that (the form's HTML is reused).
    for (accept_language, label) in [("sv", "Kategori"), ("en", "Category"), ("sv", "Kategori")] {
        let response = app
            .browser
            .get_in_language(
                "/items?category=mobler&condition=worn&site=L%C3%A4rcentrum&sort=title&q=sak",
                accept_language,
            )
            .await;
        let chosen = Page::from_response(response).await;
        assert_eq!(chosen.text_of("label[for=category]"), label);
        for (select, value) in [
            ("category", "mobler"),
            ("condition", "worn"),
            ("site", "Lärcentrum"),
            ("sort", "title"),
        ] {
            let css = format!("#{select} option[selected]");
            assert_eq!(chosen.attr(&css, "value"), value, "{select}");
        }
        assert_eq!(chosen.attr("#q", "value"), "sak");
        let sites: Vec<String> = chosen
            .select_all("#site option")
            .iter()
            .map(|o| o.text().collect())
            .collect();
        assert_eq!(sites[1..], ["Lärcentrum", "Stadshuset"]);
        let units: Vec<String> = chosen
            .select_all("#unit option")
            .iter()
            .map(|o| o.text().collect())
            .collect();
        assert_eq!(units[1..], ["Stadsledningskansliet"]);
    }
    let plain = app.get_page("/items").await;
    assert_eq!(
        plain.select_all("option[selected]").len(),
        1,
        "only the sort"
    );
    assert_eq!(plain.attr("#q", "value"), "");
    let newest = app.get_page("/items").await;
    let first_title: String = newest.select_all(".card-title")[0].text().collect();
    assert_eq!(first_title, "Sak 25");
}

async fn bad_uploads_are_refused_and_leave_nothing_behind(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.photos.max_mb = crate::helpers::at_least_one(1)
    })
    .await;
    app.create_organisation("Borås stad", "boras.se", &[]).await;
    app.browser.sign_in("anna@boras.se", "Anna").await;
    let form = app.browser.get_page("/items/new").await;
    assert!(
        form.text_of("#photos-hint")
            .contains("Upp till 10 bilder, JPEG, PNG, WebP eller HEIC (iPhone), högst 1 MB var."),
        "the hint says this installation's limits"
    );
    let fields = chair_fields(&app).await;
    let whole = photo_with_gps(800, 600);
    let noise: Vec<u8> = (0..1_600_000u32)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            b"<html>not a photo</html>".to_vec(),
            "image/jpeg",
            "inte en bild",
        ),
        (b"%PDF-1.7\n".to_vec(), "application/pdf", "inte en bild"),
        (whole[..whole.len() / 2].to_vec(), "image/jpeg", "skadad"),
        (
            png_claiming(60_000, 60_000),
            "image/png",
            "för många pixlar",
        ),
        // 54 MP: more than any phone's photo (a 48 MP one fits), refused before decoding.
        (png_claiming(9_000, 6_000), "image/png", "för många pixlar"),
        (
            [b"\xFF\xD8\xFF\xE0".to_vec(), noise].concat(),
            "image/jpeg",
            "större än",
        ),
    ];
    for (bytes, mime, message) in cases {
        let response = app
            .browser
            .post_multipart(
                "/items",
                &as_refs(&fields),
                vec![("photos", "upload.jpg", bytes, mime)],
            )
            .await;
        assert_eq!(response.status(), 400, "{message}");
        let page = Page::from_response(response).await;
        let summary = page.text_of(".error-summary");
        assert!(summary.contains(message), "{message}: {summary}");
        assert_eq!(
            page.attr("#title", "value"),
            "Kontorsstol med armstöd",
            "entries are kept"
        );
    }
    assert_eq!(count_items(&app).await, 0);
    assert_eq!(stored_photo_files(&app), 0, "no orphan files");
}

async fn invalid_fields_are_explained_and_nothing_is_saved(backend: Backend) {
    let app = with_member(backend).await;
    let mut fields = chair_fields(&app).await;
    for (key, value) in fields.iter_mut() {
        if *key == "quantity" {
            *value = "-3".into();
        }
        if *key == "site" {
            *value = "   ".into();
        }
    }
    let response = app
        .browser
        .post_multipart(
            "/items",
            &as_refs(&fields),
            vec![("photos", "a.jpg", photo_with_gps(100, 100), "image/jpeg")],
        )
        .await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("#quantity", "aria-invalid"), "true");
    assert_eq!(page.attr("#site", "aria-invalid"), "true");
    let links: Vec<String> = page
        .select_all(".error-summary a")
        .iter()
        .map(|a| a.value().attr("href").unwrap_or_default().to_string())
        .collect();
    assert_eq!(links, ["#quantity", "#site"]);
    assert_eq!(count_items(&app).await, 0);

    assert_eq!(
        page.select_all("input[name=draft_photo]").len(),
        1,
        "the photo is held for the corrected form (see posting.rs)"
    );

    // Savings come from the price and the weight, so a typo there is refused by name.
    let mut fields = chair_fields(&app).await;
    fields.push(("new_price_sek", "1 000 000 000 000".into()));
    let response = app
        .browser
        .post_multipart("/items", &as_refs(&fields), Vec::new())
        .await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("#new_price_sek", "aria-invalid"), "true");
    assert!(
        page.text_of(".error-summary")
            .contains(&bruka::i18n::Language::Swedish.text("item-error-price-too-high")),
        "{}",
        page.text_of(".error-summary")
    );
    assert_eq!(count_items(&app).await, 0);
}

async fn titles_and_descriptions_are_escaped(backend: Backend) {
    let app = with_member(backend).await;
    let category = app.category_id("ovrigt/ovrigt").await;
    let id = app
        .browser
        .post_item(
            &[
                ("title", "<script>alert('x')</script> Stol"),
                ("description", "<img src=x onerror=alert(1)>\n<b>fet</b>"),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "1"),
                ("site", "\"><svg onload=alert(1)>"),
            ],
            vec![],
        )
        .await;
    for path in [
        format!("/items/{id}"),
        "/items".to_string(),
        "/my/items".to_string(),
    ] {
        let page = app.get_page(&path).await;
        assert!(
            page.select_all("script:not([src^='/assets/bruka.js'])")
                .is_empty(),
            "{path}: no script but Bruka's own"
        );
        assert!(page.select_all("main img[onerror]").is_empty(), "{path}");
        assert!(page.select_all("svg").is_empty(), "{path}");
    }
    let page = app.get_page(&format!("/items/{id}")).await;
    assert_eq!(page.text_of("h1"), "<script>alert('x')</script> Stol");
    assert!(page.visible_text().contains("<b>fet</b>"));
}

async fn only_the_lister_and_admins_may_change_a_listing(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    let id = app
        .browser
        .post_item(
            &as_refs(&fields),
            vec![("photos", "a.jpg", photo_with_gps(300, 200), "image/jpeg")],
        )
        .await;

    let colleague = app.new_browser();
    colleague.sign_in("bo@boras.se", "Bo").await;
    assert_eq!(
        colleague.get(&format!("/items/{id}")).await.status(),
        200,
        "colleagues see it"
    );
    assert_eq!(
        colleague.get(&format!("/items/{id}/edit")).await.status(),
        403
    );
    let mut changed = fields.clone();
    changed[0].1 = "Kapad".into();
    let response = colleague
        .post_multipart(&format!("/items/{id}"), &as_refs(&changed), vec![])
        .await;
    assert_eq!(response.status(), 403);
    let response = colleague
        .post_form(&format!("/items/{id}/status"), &[("to", "withdrawn")])
        .await;
    assert_eq!(response.status(), 403);

    app.create_organisation("Vänersborgs kommun", "vanersborg.se", &[])
        .await;
    let stranger = app.new_browser();
    stranger.sign_in("eve@vanersborg.se", "Eve").await;
    for path in [format!("/items/{id}"), format!("/items/{id}/edit")] {
        assert_eq!(stranger.get(&path).await.status(), 404, "{path}");
    }
    let response = stranger
        .post_multipart(&format!("/items/{id}"), &as_refs(&changed), vec![])
        .await;
    assert_eq!(response.status(), 404);
    let photo = app
        .get_page(&format!("/items/{id}"))
        .await
        .attr(".gallery img", "src");
    assert_eq!(
        stranger.get(&photo).await.status(),
        404,
        "photos follow the listing"
    );
    assert_eq!(
        Browser::new(&app.address, Default::default())
            .get(&photo)
            .await
            .status(),
        303
    );
    let stranger_browse = stranger.get_page("/items").await;
    assert!(stranger_browse.select_all(".card").is_empty());

    app.create_user("chef@boras.se", Role::Admin).await;
    let admin = app.new_browser();
    admin.sign_in("chef@boras.se", "Chefen").await;
    let response = admin
        .post_multipart(&format!("/items/{id}"), &as_refs(&changed), vec![])
        .await;
    assert_eq!(response.status(), 303, "an admin may correct a listing");
    let title: String = app
        .with_conn(move |conn| {
            items::table
                .find(id)
                .select(items::title)
                .first(conn)
                .expect("item")
        })
        .await;
    assert_eq!(title, "Kapad");
}

/// Puts the named organisations in one network, "Sjuhärad".
async fn join_network(app: &TestApp, names: &'static [&'static str]) {
    use bruka::db::schema::networks;
    app.with_conn(move |conn| {
        let network: i64 = diesel::insert_into(networks::table)
            .values((
                networks::name.eq("Sjuhärad"),
                networks::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .returning(networks::id)
            .get_result(conn)
            .expect("network");
        diesel::update(organisations::table.filter(organisations::name.eq_any(names)))
            .set(organisations::network_id.eq(Some(network)))
            .execute(conn)
            .expect("joined");
    })
    .await;
}

/// The id of the organisation with this name.
async fn organisation_id(app: &TestApp, name: &'static str) -> i64 {
    app.with_conn(move |conn| {
        organisations::table
            .filter(organisations::name.eq(name))
            .select(organisations::id)
            .first(conn)
            .expect("organisation")
    })
    .await
}

/// Cards and the result count of a browse page.
async fn browse_titles(browser: &Browser, path: &str) -> (Vec<String>, String) {
    let page = browser.get_page(path).await;
    let titles = page
        .select_all(".card-title")
        .iter()
        .map(|t| t.text().collect())
        .collect();
    (titles, page.text_of(".result-count"))
}

async fn network_sharing_reaches_partners_only(backend: Backend) {
    let app = with_member(backend).await;
    app.create_organisation("Marks kommun", "mark.se", &[])
        .await;
    app.create_organisation("Tranemo kommun", "tranemo.se", &[])
        .await;
    join_network(&app, &["Borås stad", "Marks kommun"]).await;
    let partner_user = app.new_browser();
    partner_user.sign_in("per@mark.se", "Per").await;
    let outsider = app.new_browser();
    outsider.sign_in("ida@tranemo.se", "Ida").await;
    for watcher in [&partner_user, &outsider] {
        let saved = watcher
            .post_form("/alerts", &[("q", "kontorsstol"), ("category", "")])
            .await;
        assert_eq!(saved.status(), 303);
    }

    let mut shared = chair_fields(&app).await;
    shared.push(("visibility", "network".into()));
    let shared_id = app.browser.post_item(&as_refs(&shared), vec![]).await;
    let mut own = chair_fields(&app).await;
    own[0].1 = "Kontorsstol bara för Borås".into();
    let own_id = app.browser.post_item(&as_refs(&own), vec![]).await;

    assert_eq!(
        partner_user
            .get(&format!("/items/{shared_id}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        partner_user.get(&format!("/items/{own_id}")).await.status(),
        404
    );
    let (titles, count) = browse_titles(&partner_user, "/items").await;
    assert_eq!(titles, ["Kontorsstol med armstöd"]);
    assert_eq!(count, "1 sak", "the kept counts follow the same rule");
    let browse = partner_user.get_page("/items").await;
    assert!(browse.visible_text().contains("Borås stad"));
    assert_eq!(
        partner_user
            .get(&format!("/items/{shared_id}/edit"))
            .await
            .status(),
        404
    );

    // Choosing an organisation narrows within what the viewer may see, never beyond it.
    let boras = organisation_id(&app, "Borås stad").await;
    let mark = organisation_id(&app, "Marks kommun").await;
    let tranemo = organisation_id(&app, "Tranemo kommun").await;
    let (titles, count) = browse_titles(&partner_user, &format!("/items?org={boras}")).await;
    assert_eq!(
        (titles, count.as_str()),
        (vec!["Kontorsstol med armstöd".to_string()], "1 sak")
    );
    for other in [mark, tranemo] {
        let (titles, _) = browse_titles(&partner_user, &format!("/items?org={other}")).await;
        assert!(titles.is_empty(), "organisation {other}");
    }
    let (titles, count) = browse_titles(&app.browser, "/items").await;
    assert_eq!((titles.len(), count.as_str()), (2, "2 saker"));
    let (titles, count) = browse_titles(&app.browser, &format!("/items?org={boras}")).await;
    assert_eq!((titles.len(), count.as_str()), (2, "2 saker"));
    let (titles, _) = browse_titles(&app.browser, &format!("/items?org={mark}")).await;
    assert!(titles.is_empty());

    // Alerts reach the same people: the partner hears of the shared listing only, the
    // outsider of neither (their first mail was the sign-in link).
    let mails = app.smtp.mailbox.wait_for("per@mark.se", 2).await;
    assert_eq!(
        mails[1].subject(),
        "Ny annons som matchar: Kontorsstol med armstöd"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.smtp.mailbox.to("per@mark.se").len(), 2);
    assert_eq!(app.smtp.mailbox.to("ida@tranemo.se").len(), 1);

    assert_eq!(
        outsider.get(&format!("/items/{shared_id}")).await.status(),
        404
    );
}

async fn drafts_withdrawal_and_relisting(backend: Backend) {
    let app = with_member(backend).await;
    let mut fields = chair_fields(&app).await;
    for (key, value) in fields.iter_mut() {
        if *key == "action" {
            *value = "draft".into();
        }
    }
    let id = app.browser.post_item(&as_refs(&fields), vec![]).await;
    let colleague = app.new_browser();
    colleague.sign_in("bo@boras.se", "Bo").await;
    assert_eq!(
        colleague.get(&format!("/items/{id}")).await.status(),
        404,
        "drafts are private"
    );
    assert!(
        colleague
            .get_page("/items")
            .await
            .select_all(".card")
            .is_empty()
    );
    let mine = app.get_page("/my/items").await;
    assert!(mine.visible_text().contains("Utkast"));

    let publish = app
        .browser
        .post_form(&format!("/items/{id}/status"), &[("to", "available")])
        .await;
    assert_eq!(publish.status(), 303);
    assert_eq!(
        colleague.get_page("/items").await.select_all(".card").len(),
        1
    );

    app.browser
        .post_form(&format!("/items/{id}/status"), &[("to", "withdrawn")])
        .await;
    assert!(
        colleague
            .get_page("/items")
            .await
            .select_all(".card")
            .is_empty()
    );
    let again = app
        .browser
        .post_form(&format!("/items/{id}/status"), &[("to", "withdrawn")])
        .await;
    assert_eq!(again.status(), 400, "already withdrawn");
    app.browser
        .post_form(&format!("/items/{id}/status"), &[("to", "available")])
        .await;
    assert_eq!(
        colleague.get_page("/items").await.select_all(".card").len(),
        1
    );
}

async fn editing_keeps_reserved_quantity_and_manages_photos(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    let id = app
        .browser
        .post_item(
            &as_refs(&fields),
            vec![("photos", "a.jpg", photo_with_gps(300, 200), "image/jpeg")],
        )
        .await;
    // Two of four are held by a reservation.
    app.with_conn(move |conn| {
        diesel::update(items::table.find(id))
            .set(items::quantity_available.eq(2))
            .execute(conn)
            .expect("held")
    })
    .await;
    let edit = app.get_page(&format!("/items/{id}/edit")).await;
    let photo_id = edit
        .one(".photo-edit-list input[type=checkbox]")
        .value()
        .attr("name")
        .and_then(|n| n.strip_prefix("remove_photo_"))
        .expect("photo id")
        .to_string();

    let mut too_few = fields.clone();
    too_few[4].1 = "1".into();
    let response = app
        .browser
        .post_multipart(&format!("/items/{id}"), &as_refs(&too_few), vec![])
        .await;
    assert_eq!(response.status(), 400);
    assert!(
        Page::from_response(response)
            .await
            .text_of(".error-summary")
            .contains("redan är reserverat")
    );

    let mut more = fields.clone();
    more[4].1 = "6".into();
    let alt_field = format!("alt_photo_{photo_id}");
    let remove_field = format!("remove_photo_{photo_id}");
    let response = app
        .browser
        .post_multipart(
            &format!("/items/{id}"),
            &[
                as_refs(&more),
                vec![
                    (alt_field.as_str(), "Stolen framifrån"),
                    (remove_field.as_str(), "1"),
                ],
            ]
            .concat(),
            vec![(
                "photos",
                "b.png",
                {
                    let mut png = Vec::new();
                    image::DynamicImage::ImageRgb8(image::RgbImage::new(50, 40))
                        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
                        .expect("png");
                    png
                },
                "image/png",
            )],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (total, available): (i32, i32) = app
        .with_conn(move |conn| {
            items::table
                .find(id)
                .select((items::quantity_total, items::quantity_available))
                .first(conn)
                .expect("item")
        })
        .await;
    assert_eq!((total, available), (6, 4), "the two held stay held");
    let photos: Vec<(i32, i32)> = app
        .with_conn(move |conn| {
            item_photos::table
                .filter(item_photos::item_id.eq(id))
                .select((item_photos::width, item_photos::height))
                .load(conn)
                .expect("photos")
        })
        .await;
    assert_eq!(photos, [(50, 40)], "old photo replaced by the new one");
    let (cover, first): (Option<String>, String) = app
        .with_conn(move |conn| {
            let cover = items::table
                .find(id)
                .select(items::cover_photo_key)
                .first(conn)
                .expect("cover");
            let first = item_photos::table
                .filter(item_photos::item_id.eq(id))
                .select(item_photos::photo_key)
                .first(conn)
                .expect("photo");
            (cover, first)
        })
        .await;
    assert_eq!(cover.as_ref(), Some(&first), "the card shows the new photo");
    let card = app.get_page("/items").await.attr(".card img", "src");
    assert!(card.contains(&first), "{card}");
    assert_eq!(
        stored_photo_files(&app),
        2,
        "the removed photo's files are gone"
    );
}

/// The kept counts (per organisation, category and visibility) equal the listings.
async fn assert_kept_counts_match(app: &TestApp) {
    let (kept, actual) = app
        .with_conn(|conn| {
            let kept: Vec<(i64, i64, String, i64)> = available_counts::table
                .filter(available_counts::listings.ne(0))
                .select((
                    available_counts::organisation_id,
                    available_counts::category_id,
                    available_counts::visibility,
                    available_counts::listings,
                ))
                .order((
                    available_counts::organisation_id,
                    available_counts::category_id,
                    available_counts::visibility,
                ))
                .load(conn)
                .expect("kept counts");
            let actual: Vec<(i64, i64, String, i64)> = items::table
                .filter(items::status.eq("available"))
                .group_by((
                    items::organisation_id,
                    items::category_id,
                    items::visibility,
                ))
                .select((
                    items::organisation_id,
                    items::category_id,
                    items::visibility,
                    diesel::dsl::count_star(),
                ))
                .order((
                    items::organisation_id,
                    items::category_id,
                    items::visibility,
                ))
                .load(conn)
                .expect("counted");
            (kept, actual)
        })
        .await;
    assert_eq!(kept, actual);
}

/// A chair listing (or in `category`) with the given visibility, published or a draft.
async fn post_chair(
    app: &TestApp,
    browser: &Browser,
    visibility: &str,
    category: Option<&str>,
    action: &str,
) -> i64 {
    let mut fields = chair_fields(app).await;
    fields.push(("visibility", visibility.into()));
    for (key, value) in fields.iter_mut() {
        match (*key, category) {
            ("category_id", Some(category)) => *value = category.into(),
            ("action", _) => *value = action.into(),
            _ => {}
        }
    }
    browser.post_item(&as_refs(&fields), vec![]).await
}

async fn shown_total(browser: &Browser, path: &str) -> String {
    browser.get_page(path).await.text_of(".result-count")
}

async fn browse_totals_follow_every_change(backend: Backend) {
    let app = with_member(backend).await;
    let partner = app
        .create_organisation("Marks kommun", "mark.se", &[])
        .await;
    join_network(&app, &["Borås stad", "Marks kommun"]).await;
    let laptop = app.category_id("it/barbar-dator").await;
    let anna = &app.browser;
    let shared = post_chair(&app, anna, "network", None, "publish").await;
    let reserved_later = post_chair(&app, anna, "network", None, "publish").await;
    let own_laptop = post_chair(&app, anna, "organisation", Some(&laptop), "publish").await;
    let draft = post_chair(&app, anna, "organisation", None, "draft").await;
    let per = app.new_browser();
    per.sign_in("per@mark.se", "Per").await;
    post_chair(&app, &per, "network", None, "publish").await;
    post_chair(&app, &per, "organisation", None, "publish").await;
    assert_kept_counts_match(&app).await;

    // Anna: her three published + Per's shared one; Per: his two + Anna's two shared.
    assert_eq!(shown_total(&app.browser, "/items").await, "4 saker");
    assert_eq!(
        shown_total(&app.browser, "/items?category=mobler").await,
        "3 saker"
    );
    assert_eq!(
        shown_total(&app.browser, &format!("/items?org={partner}")).await,
        "1 sak"
    );
    assert_eq!(shown_total(&per, "/items").await, "4 saker");

    app.browser
        .post_form(&format!("/items/{draft}/status"), &[("to", "available")])
        .await;
    assert_eq!(shown_total(&app.browser, "/items").await, "5 saker");
    assert_eq!(shown_total(&per, "/items").await, "4 saker");

    app.browser
        .post_form(&format!("/items/{shared}/status"), &[("to", "withdrawn")])
        .await;
    assert_eq!(shown_total(&app.browser, "/items").await, "4 saker");
    assert_eq!(shown_total(&per, "/items").await, "3 saker");
    assert_kept_counts_match(&app).await;

    // Reserving every unit takes the listing out of browse; cancelling brings it back.
    let bo = app.new_browser();
    bo.sign_in("bo@boras.se", "Bo").await;
    let reserved = reserve(&bo, reserved_later, "4").await;
    assert_eq!(reserved.status(), 303);
    assert_eq!(shown_total(&app.browser, "/items").await, "3 saker");
    assert_eq!(shown_total(&per, "/items").await, "2 saker");
    bo.post_form(
        &format!("/reservations/{}/cancel", reservation_id(&reserved)),
        &[],
    )
    .await;
    assert_eq!(shown_total(&per, "/items").await, "3 saker");
    assert_kept_counts_match(&app).await;

    // Moving a listing between categories or visibilities moves its count.
    app.with_conn(move |conn| {
        diesel::update(items::table.find(own_laptop))
            .set(items::visibility.eq("network"))
            .execute(conn)
            .expect("shared")
    })
    .await;
    assert_eq!(shown_total(&per, "/items").await, "4 saker");
    assert_eq!(
        shown_total(&app.browser, "/items?category=it").await,
        "1 sak"
    );
    assert_kept_counts_match(&app).await;
    // A search is counted row by row and agrees (every listing here is titled a chair).
    assert_eq!(
        shown_total(&app.browser, "/items?q=kontorsstol").await,
        "4 saker"
    );
}

/// A word most listings share and one only three have: SQLite finds a page of the first by
/// walking the listings in the page's order and of the second by looking up its matches
/// first; either way the page and the count are the ones plain SQL gives. (Newest first
/// here; best-match order is the relevance set's business.)
async fn search_pages_are_right_for_common_and_rare_words(backend: Backend) {
    let app = with_member(backend).await;
    let original = post_chair(&app, &app.browser, "organisation", None, "publish").await;
    app.with_conn(move |conn| {
        diesel::sql_query(format!(
            "WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < 2600) \
             INSERT INTO items (organisation_id, owner_unit_id, created_by, category_id, title, \
                 description, condition, quantity_total, quantity_available, site, room, \
                 pickup_instructions, status, visibility, search_stems, created_at, updated_at) \
             SELECT organisation_id, owner_unit_id, created_by, category_id, \
                 CASE WHEN n % 1000 = 7 THEN 'Whiteboard ' ELSE 'Kontorsstol ' END || n, \
                 description, condition, quantity_total, quantity_available, site, room, \
                 pickup_instructions, status, visibility, \
                 CASE WHEN n % 1000 = 7 THEN 'whiteboard' ELSE search_stems END, \
                 created_at, updated_at \
             FROM items, copies WHERE items.id = {original}"
        ))
        .execute(conn)
        .expect("copies inserted");
    })
    .await;
    let expected = |pattern: &'static str, order: &'static str| {
        app.with_conn(move |conn| {
            let all: Vec<String> = items::table
                .filter(items::title.like(pattern))
                .select(items::title)
                .load(conn)
                .expect("titles");
            let mut ordered: Vec<String> = match order {
                "newest" => items::table
                    .filter(items::title.like(pattern))
                    .order((
                        items::created_at.desc(),
                        items::category_id.desc(),
                        items::id.desc(),
                    ))
                    .select(items::title)
                    .limit(24)
                    .load(conn)
                    .expect("titles"),
                _ => all.clone(),
            };
            if order == "title" {
                ordered.sort();
            }
            (all.len(), ordered)
        })
    };
    let titles = |page: &Page| -> Vec<String> {
        page.select_all(".card-title")
            .iter()
            .map(|t| t.text().collect())
            .collect()
    };

    let (count, newest) = expected("Kontorsstol%", "newest").await;
    assert_eq!(count, 2598);
    let page = app.get_page("/items?q=kontorsstolar&sort=newest").await;
    assert_eq!(page.text_of(".result-count"), "Över 1 200 saker");
    assert_eq!(titles(&page), newest);

    let (count, newest) = expected("Whiteboard%", "newest").await;
    assert_eq!(count, 3);
    let page = app.get_page("/items?q=whiteboard&sort=newest").await;
    assert_eq!(page.text_of(".result-count"), "3 saker");
    assert_eq!(titles(&page), newest);
    let (_, by_title) = expected("Whiteboard%", "title").await;
    let page = app.get_page("/items?q=whiteboard&sort=title").await;
    assert_eq!(titles(&page), by_title);
    assert_eq!(
        by_title,
        ["Whiteboard 1007", "Whiteboard 2007", "Whiteboard 7"]
    );

    let nothing = app.get_page("/items?q=overheadapparat").await;
    assert_eq!(nothing.text_of(".result-count"), "0 saker");
    // Best match (the default with words) counts the same way.
    let page = app.get_page("/items?q=kontorsstolar").await;
    assert_eq!(page.text_of(".result-count"), "Över 1 200 saker");
    assert_eq!(titles(&page).len(), 24);
}

/// Several lines stay several lines on the page, without markup from the text or a
/// literal `<br>`; a title stays one line.
async fn line_breaks_show_as_line_breaks_and_titles_stay_one_line(backend: Backend) {
    let app = with_member(backend).await;
    let mut fields = chair_fields(&app).await;
    fields[0].1 = "Kontorsstol\r\nmed armstöd\u{7}".into();
    fields[1].1 = "Rad ett\r\nRad två <b>fet</b>".into();
    fields[8].1 = "Ring först.\nFråga sedan i receptionen.".into();
    let id = app.browser.post_item(&as_refs(&fields), vec![]).await;
    let html = app
        .browser
        .get(&format!("/items/{id}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("Rad ett<br>Rad två &lt;b&gt;fet&lt;&#x2F;b&gt;"));
    assert!(html.contains("Ring först.<br>Fråga sedan"));
    assert!(!html.contains("&lt;br&gt;"), "no literal <br>");
    let title: String = app
        .with_conn(move |conn| {
            items::table
                .find(id)
                .select(items::title)
                .first(conn)
                .expect("item")
        })
        .await;
    assert_eq!(title, "Kontorsstol med armstöd");
}

on_both_backends!(
    line_breaks_show_as_line_breaks_and_titles_stay_one_line,
    a_listing_with_a_photo_is_posted_shown_and_found,
    search_finds_inflected_swedish_words,
    filters_sort_and_pages,
    bad_uploads_are_refused_and_leave_nothing_behind,
    invalid_fields_are_explained_and_nothing_is_saved,
    titles_and_descriptions_are_escaped,
    only_the_lister_and_admins_may_change_a_listing,
    network_sharing_reaches_partners_only,
    drafts_withdrawal_and_relisting,
    editing_keeps_reserved_quantity_and_manages_photos,
    browse_totals_follow_every_change,
    search_pages_are_right_for_common_and_rare_words,
);
