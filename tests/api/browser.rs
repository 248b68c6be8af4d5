//! The whole journey in real headless Chromium (WebDriver via chromedriver): sign in through
//! the mailed link, post an item with a photo, find it, reserve it, confirm the pickup, see
//! the dashboard change and download the XLSX. axe-core checks every page on the way, in
//! Swedish and English, for WCAG 2.1 A/AA violations; part of it is done by keyboard only.
//! A failing step leaves a screenshot in target/e2e-screenshots.
//!
//! Needs `chromedriver` (Debian: chromium + chromium-driver) and axe-core (`npm install
//! axe-core` into .ci/node, or BRUKA_AXE_JS). Without them the test says SKIPPED; with
//! CI=true or BRUKA_REQUIRE_BROWSER=1 it fails instead.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

type Step<T> = Result<T, String>;

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("BRUKA_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn axe_path() -> PathBuf {
    std::env::var_os("BRUKA_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/node/node_modules/axe-core/axe.min.js")
        })
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(program: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(program)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, url }
}

/// The desktop journey's window and the phone's (an iPhone 12–15 sized viewport).
const DESKTOP: (u32, u32) = (1280, 1000);
const PHONE: (u32, u32) = (390, 844);
/// No page may scroll sideways at this width (the narrowest phones in use).
const NARROWEST: u32 = 320;

async fn open_browser(
    driver: &Driver,
    profile: &Path,
    downloads: &Path,
    (width, height): (u32, u32),
) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// One person's Chromium, with the server's address and axe-core at hand.
struct Person<'a> {
    client: Client,
    app: &'a TestApp,
    axe: &'a str,
    /// The window size to return to after each check at the narrowest width.
    window: (u32, u32),
    /// Pages checked so far, for the failure message.
    checked: Vec<String>,
}

impl Person<'_> {
    async fn go(&mut self, path: &str) -> Step<()> {
        self.client
            .goto(&self.app.url(path))
            .await
            .map_err(|e| format!("open {path}: {e}"))
    }

    async fn path(&self) -> Step<String> {
        let url = self.client.current_url().await.map_err(|e| e.to_string())?;
        Ok(url.path().to_string())
    }

    /// Presses one key in whatever has the focus (as keyboard input, not typed into an
    /// element: typing into a file field would pick a file).
    async fn press(&self, key: Key) -> Step<()> {
        let value: char = key.into();
        let keys = KeyActions::new("keyboard".to_string())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client
            .perform_actions(keys)
            .await
            .map_err(|e| format!("press {key:?}: {e}"))
    }

    async fn focused_is(&self, css: &str) -> Step<bool> {
        let matches = self
            .client
            .execute(
                "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(matches == Value::Bool(true))
    }

    /// Moves the focus with Tab, as a keyboard user does, until it is on `css`.
    async fn tab_to(&self, css: &str) -> Step<()> {
        for _ in 0..150 {
            if self.focused_is(css).await? {
                return Ok(());
            }
            self.press(Key::Tab).await?;
        }
        Err(format!("{css} cannot be reached with Tab"))
    }

    /// Tabs to a text field, empties it and types.
    async fn fill(&self, css: &str, text: &str) -> Step<()> {
        self.tab_to(css).await?;
        self.press(Key::End).await?;
        let length = self
            .client
            .execute("return document.activeElement.value.length;", vec![])
            .await
            .map_err(|e| e.to_string())?
            .as_u64()
            .unwrap_or(0);
        for _ in 0..length {
            self.press(Key::Backspace).await?;
        }
        self.client
            .active_element()
            .await
            .map_err(|e| e.to_string())?
            .send_keys(text)
            .await
            .map_err(|e| format!("type into {css}: {e}"))
    }

    /// Tabs into a radio group or a select (`group`) and moves with the arrow keys until
    /// `wanted` is chosen.
    async fn choose(&self, group: &str, wanted: &str) -> Step<()> {
        self.tab_to(group).await?;
        for _ in 0..80 {
            let chosen = self
                .client
                .execute(
                    "const el = document.activeElement;
                     return el.tagName === 'SELECT' ? el.value === arguments[0]
                          : (el.value === arguments[0] && el.checked);",
                    vec![json!(wanted)],
                )
                .await
                .map_err(|e| e.to_string())?;
            if chosen == Value::Bool(true) {
                return Ok(());
            }
            self.press(Key::Down).await?;
        }
        Err(format!(
            "{wanted} cannot be chosen in {group} with the arrow keys"
        ))
    }

    /// Marks the current page, so [`Person::wait_new_page`] can tell when it is replaced.
    async fn mark(&self) -> Step<()> {
        self.client
            .execute("window.__brukaOldPage = true;", vec![])
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    async fn wait_new_page(&self, after: &str) -> Step<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let loaded = self
                .client
                .execute(
                    "return window.__brukaOldPage === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if loaded == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no new page after {after}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Tabs to a button or link that loads a new page, presses Enter and waits for it.
    async fn submit(&self, css: &str) -> Step<()> {
        self.tab_to(css).await?;
        self.mark().await?;
        self.press(Key::Enter).await?;
        self.wait_new_page(css).await
    }

    /// Types into the focused field and presses Enter, as a keyboard user submits a form.
    async fn type_and_enter(&self, text: &str) -> Step<()> {
        self.mark().await?;
        self.client
            .active_element()
            .await
            .map_err(|e| e.to_string())?
            .send_keys(&format!("{text}{}", Key::Enter))
            .await
            .map_err(|e| e.to_string())?;
        self.wait_new_page("Enter").await
    }

    async fn text(&self) -> Step<String> {
        let body = self
            .client
            .find(Locator::Css("body"))
            .await
            .map_err(|e| e.to_string())?;
        body.text().await.map_err(|e| e.to_string())
    }

    /// Sets the window's inner size (the viewport) to `width` × `height`.
    async fn resize(&self, (width, height): (u32, u32)) -> Step<()> {
        self.client
            .set_window_size(width, height)
            .await
            .map_err(|e| format!("resize to {width}: {e}"))?;
        // The outer window has borders in some builds; correct for them once.
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .map_err(|e| e.to_string())?;
        let inner_width = inner[0].as_u64().unwrap_or(u64::from(width)) as u32;
        let inner_height = inner[1].as_u64().unwrap_or(u64::from(height)) as u32;
        if (inner_width, inner_height) != (width, height) {
            self.client
                .set_window_size(
                    width + width.saturating_sub(inner_width),
                    height + height.saturating_sub(inner_height),
                )
                .await
                .map_err(|e| format!("resize to {width}: {e}"))?;
        }
        Ok(())
    }

    /// At [`NARROWEST`] px nothing on the page may be wider than the viewport.
    async fn check_fits_narrowest(&self) -> Step<()> {
        self.resize((NARROWEST, self.window.1)).await?;
        let wide = self
            .client
            .execute(
                "const width = document.documentElement.clientWidth;
                 const wider = [...document.querySelectorAll('body *')]
                   .filter(el => { const r = el.getBoundingClientRect();
                                   return r.width > 0 && el.checkVisibility() && (r.right > width + 1 || r.left < -1); })
                   .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                                         + ' ' + Math.round(el.getBoundingClientRect().right));
                 return {scroll: document.documentElement.scrollWidth, width, wider};",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        self.resize(self.window).await?;
        let scroll = wide["scroll"].as_u64().unwrap_or(0);
        let width = wide["width"].as_u64().unwrap_or(0);
        if scroll > width || wide["wider"].as_array().is_some_and(|w| !w.is_empty()) {
            let path = self.path().await?;
            return Err(format!(
                "{path} scrolls sideways at {NARROWEST} px (content {scroll} px): {}",
                wide["wider"]
            ));
        }
        Ok(())
    }

    /// Saves a screenshot under target/e2e-screenshots for a person to look at.
    async fn screenshot(&self, name: &str) -> Step<()> {
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
        std::fs::create_dir_all(&shots).map_err(|e| e.to_string())?;
        let png = self.client.screenshot().await.map_err(|e| e.to_string())?;
        std::fs::write(shots.join(format!("{name}.png")), png).map_err(|e| e.to_string())
    }

    /// Runs axe-core on the page (no WCAG 2.1 A or AA violation may be found) and checks
    /// that it does not scroll sideways at the narrowest phone width.
    async fn check_accessibility(&mut self) -> Step<()> {
        self.check_fits_narrowest().await?;
        let path = self.path().await?;
        self.client
            .execute(self.axe, vec![])
            .await
            .map_err(|e| format!("inject axe: {e}"))?;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                   .then(result => done(result.violations.map(v => ({
                       id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
                   .catch(error => done([{id: 'axe-error', help: String(error)}]));",
                vec![],
            )
            .await
            .map_err(|e| format!("run axe: {e}"))?;
        let violations = found.as_array().cloned().unwrap_or_default();
        self.checked.push(path.clone());
        if violations.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "accessibility violations on {path}: {}",
                serde_json::to_string_pretty(&Value::Array(violations)).unwrap_or_default()
            ))
        }
    }

    async fn set_language(&mut self, code: &str) -> Step<()> {
        let here = self.path().await?;
        self.go(&format!("/language/{code}?next={here}")).await
    }

    /// Signs in through the mailed link, as a person does; first sign-in fills the profile.
    async fn sign_in(&mut self, email: &str, name: &str) -> Step<()> {
        let mailbox = &self.app.browser.mailbox;
        let already = mailbox.to(email).len();
        self.go("/login").await?;
        self.check_accessibility().await?;
        self.fill("#email", email).await?;
        self.submit("form[action='/login'] button[type=submit]")
            .await?;
        self.check_accessibility().await?;
        let mails = mailbox.wait_for(email, already + 1).await;
        let link = mails[already].link_containing("/login/confirm");
        self.client
            .goto(&link)
            .await
            .map_err(|e| format!("open the link: {e}"))?;
        self.check_accessibility().await?;
        self.submit("form[action='/login/confirm'] button[type=submit]")
            .await?;
        if self.path().await? == "/welcome" {
            self.check_accessibility().await?;
            self.fill("#name", name).await?;
            let first_unit = self
                .client
                .execute(
                    "return document.querySelector('#unit_id option:nth-child(2)').value;",
                    vec![],
                )
                .await
                .map_err(|e| e.to_string())?;
            self.choose("#unit_id", first_unit.as_str().unwrap_or_default())
                .await?;
            self.submit("form[action='/welcome'] button[type=submit]")
                .await?;
        }
        Ok(())
    }

    async fn sign_out(&mut self) -> Step<()> {
        self.submit("form[action='/logout'] button").await
    }
}

fn chair_photo(dir: &Path) -> PathBuf {
    let mut image = image::RgbImage::new(800, 600);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        *pixel = image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]);
    }
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Jpeg)
        .expect("jpeg");
    let path = dir.join("kontorsstol.jpg");
    std::fs::write(&path, bytes).expect("photo written");
    path
}

async fn wait_for_file(dir: &Path, extension: &str) -> Step<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .find(|path| path.extension().is_some_and(|e| e == extension));
        if let Some(path) = found {
            return Ok(path);
        }
        if Instant::now() > deadline {
            return Err(format!("no .{extension} downloaded into {}", dir.display()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The journey itself; returns the first thing that went wrong.
async fn journey(app: &TestApp, anna: &mut Person<'_>, photo: &Path, downloads: &Path) -> Step<()> {
    // Swedish first (the browser itself asks for English).
    anna.go("/language/sv?next=/login").await?;
    // Everything below is done with the keyboard (Tab, arrows, Enter), as someone who
    // cannot use a pointer would; only the photo's path is typed in by WebDriver.
    anna.go("/login").await?;
    anna.tab_to("#email").await?;
    anna.type_and_enter("tangentbord@boras.se").await?;
    app.browser
        .mailbox
        .wait_for("tangentbord@boras.se", 1)
        .await;

    // Anna lists a chair with a photo.
    anna.sign_in("anna@boras.se", "Anna Andersson").await?;
    anna.go("/items/new").await?;
    anna.check_accessibility().await?;
    anna.fill("#title", "Kontorsstol med armstöd").await?;
    let chair = app.category_id("mobler/kontorsstol").await;
    anna.choose("#category_id", &chair).await?;
    anna.choose("input[name=condition]", "good").await?;
    anna.fill("#quantity", "2").await?;
    // A file dialog cannot be driven by keys; WebDriver types the path into the field.
    anna.tab_to("#photos").await?;
    anna.client
        .find(Locator::Css("#photos"))
        .await
        .map_err(|e| e.to_string())?
        .send_keys(&photo.display().to_string())
        .await
        .map_err(|e| format!("attach photo: {e}"))?;
    anna.fill("#photo_alt", "Svart kontorsstol med armstöd")
        .await?;
    anna.fill("#site", "Stadshuset").await?;
    anna.submit("button[name=action][value=publish]").await?;
    let item_path = anna.path().await?;
    let published = item_path
        .strip_prefix("/items/")
        .is_some_and(|id| id.chars().all(|c| c.is_ascii_digit()));
    if !published {
        return Err(format!(
            "not published ({item_path}): {}",
            anna.text().await?
        ));
    }
    anna.check_accessibility().await?;
    let image = anna
        .client
        .find(Locator::Css(".gallery img, main img"))
        .await
        .map_err(|e| format!("the photo is shown: {e}"))?;
    if image
        .attr("alt")
        .await
        .map_err(|e| e.to_string())?
        .as_deref()
        != Some("Svart kontorsstol med armstöd")
    {
        return Err("the photo's alt text".into());
    }
    anna.sign_out().await?;

    // Bo finds it by search, reserves one and confirms the pickup.
    anna.sign_in("bo@boras.se", "Bo Berg").await?;
    // A slip in the search says what it found instead; a search that finds nothing offers
    // a wanted ad with its words.
    anna.go("/items?q=kontorsstoll").await?;
    anna.check_accessibility().await?;
    anna.submit(".did-you-mean a").await?;
    if !anna.text().await?.contains("Kontorsstol med armstöd") {
        return Err("the corrected search did not find the chair".into());
    }
    anna.go("/items?q=skrivbordsstol").await?;
    anna.check_accessibility().await?;
    anna.submit(".empty a[href^='/wanted']").await?;
    anna.check_accessibility().await?;
    if anna.path().await? != "/wanted" {
        return Err("no wanted page from the empty search".into());
    }
    anna.go("/items").await?;
    anna.check_accessibility().await?;
    anna.fill("#q", "").await?;
    anna.type_and_enter("kontorsstolar").await?;
    anna.check_accessibility().await?;
    anna.submit(&format!("a[href='{item_path}']")).await?;
    anna.check_accessibility().await?;
    anna.fill("#reserve-quantity", "1").await?;
    anna.choose("input[name=would_buy_new]", "yes").await?;
    anna.submit(&format!(
        "form[action='{item_path}/reserve'] button[type=submit]"
    ))
    .await?;
    if !anna.path().await?.starts_with("/reservations/") {
        return Err("no reservation page after reserving".into());
    }
    anna.check_accessibility().await?;
    // Before the pickup the sustainability unit has nothing to report.
    let keeper = app
        .signed_in_with_role(
            "hallbarhet@boras.se",
            "Hållbarhetsenheten",
            bruka::accounts::Role::Sustainability,
        )
        .await;
    let before = keeper.get_page("/stats").await.visible_text();
    if !before.contains("Inga hämtningar i urvalet.") {
        return Err(format!("the dashboard before the pickup: {before}"));
    }
    anna.submit("form[action$='/picked-up'] button").await?;
    anna.check_accessibility().await?;
    anna.go("/my").await?;
    anna.check_accessibility().await?;
    anna.set_language("en").await?;
    anna.check_accessibility().await?;
    anna.go(&item_path).await?;
    anna.check_accessibility().await?;
    anna.go("/items").await?;
    anna.check_accessibility().await?;
    anna.set_language("sv").await?;
    anna.sign_out().await?;

    // The sustainability unit sees the saving and downloads it.
    anna.sign_in("hallbarhet@boras.se", "Hållbarhetsenheten")
        .await?;
    anna.go("/stats").await?;
    anna.check_accessibility().await?;
    let text = anna.text().await?;
    if !text.contains("64") {
        return Err(format!("the dashboard shows 64 kg CO2e: {text}"));
    }
    anna.go("/ledger").await?;
    anna.check_accessibility().await?;
    anna.go("/stats").await?;
    anna.set_language("en").await?;
    anna.check_accessibility().await?;
    anna.set_language("sv").await?;
    // The quarter's report: chosen from the period list, compared with earlier quarters,
    // downloaded as PDF and XLSX and read back.
    let today = bruka::i18n::local_date(chrono::Utc::now().naive_utc());
    let quarter =
        bruka::stats::period::Period::containing(bruka::stats::period::Kind::Quarter, today);
    let code = quarter.code().unwrap_or_default();
    let label = format!("Kvartal {} {}", quarter.number(), quarter.from.format("%Y"));
    anna.choose("#period", &code).await?;
    anna.submit("form.filters button[type=submit]").await?;
    anna.check_accessibility().await?;
    let text = anna.text().await?;
    if !text.contains(&label) || !text.contains("Jämfört med tidigare") {
        return Err(format!("the quarter {label} and its comparison: {text}"));
    }
    // The same report on a phone: readable, nothing sideways (checked at 320 px too).
    anna.resize((390, 844)).await?;
    anna.check_accessibility().await?;
    anna.resize(anna.window).await?;
    anna.tab_to("a[href^='/stats/report.pdf']").await?;
    anna.press(Key::Enter).await?;
    let file = wait_for_file(downloads, "pdf").await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name
        != format!(
            "bruka-boras-stad-{}-q{}.pdf",
            quarter.from.format("%Y"),
            quarter.number()
        )
    {
        return Err(format!(
            "the PDF's name carries the organisation and the quarter: {name}"
        ));
    }
    let (pages, pdf) = crate::helpers::pdf_text(&std::fs::read(&file).map_err(|e| e.to_string())?);
    if pages != 1 || !pdf.contains(&format!("Borås stad · {label}")) || !pdf.contains("64") {
        return Err(format!(
            "a one-page PDF of {label} with 64 kg CO2e: {pages} pages, {pdf}"
        ));
    }
    anna.tab_to("a[href^='/stats/export.xlsx']").await?;
    anna.press(Key::Enter).await?;
    let file = wait_for_file(downloads, "xlsx").await?;
    let bytes = std::fs::read(&file).map_err(|e| e.to_string())?;
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let data = workbook
        .worksheet_range("Data")
        .map_err(|e| e.to_string())?;
    if data.rows().count() != 2 {
        return Err(format!(
            "one ledger row in the XLSX, got {}",
            data.rows().count() - 1
        ));
    }
    if !matches!(
        data.rows().nth(1).map(|row| &row[1]),
        Some(calamine::Data::DateTime(_))
    ) {
        return Err("the handover's time is a date cell".to_string());
    }
    let summary = workbook
        .worksheet_range("Sammanfattning")
        .map_err(|e| e.to_string())?;
    let head = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            bruka::db::schema::ledger_heads::table
                .select(bruka::db::schema::ledger_heads::hash)
                .first::<String>(conn)
                .unwrap_or_default()
        })
        .await;
    let cells: Vec<String> = summary
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    if !cells.contains(&head) || !cells.iter().any(|c| c == &label) {
        return Err(format!(
            "the summary sheet names {label} and the chain head {head}: {cells:?}"
        ));
    }
    // The ledger's chain, checked on request.
    anna.go("/ledger").await?;
    anna.submit("form[action='/ledger/verify'] button").await?;
    anna.check_accessibility().await?;
    let text = anna.text().await?;
    if !text.contains("Kedjan är hel.") {
        return Err(format!("the chain is intact: {text}"));
    }
    anna.go("/profile").await?;
    anna.check_accessibility().await?;

    // Every page seen so far once more in English (sign-in pages after signing out).
    anna.set_language("en").await?;
    let mut seen: Vec<String> = anna.checked.clone();
    seen.sort();
    seen.dedup();
    let signed_out_pages = ["/login", "/login/confirm", "/welcome"];
    for path in seen
        .iter()
        .filter(|p| !signed_out_pages.contains(&p.as_str()))
    {
        anna.go(path).await?;
        anna.check_accessibility().await?;
    }
    anna.sign_out().await?;
    anna.go("/login").await?;
    anna.check_accessibility().await?;
    anna.go("/").await?;
    anna.check_accessibility().await?;
    anna.sign_in("hallbarhet@boras.se", "Hållbarhetsenheten")
        .await?;
    anna.go("/profile").await?;

    // The checker itself: an image without a text alternative must be caught.
    anna.client
        .execute(
            "const img = document.createElement('img'); img.src = '/assets/icon.svg'; document.querySelector('main').appendChild(img);",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    match anna.check_accessibility().await {
        Err(found) if found.contains("image-alt") => Ok(()),
        other => Err(format!("axe missed an image without alt text: {other:?}")),
    }
}

/// "Borås stad" with two units, on a fresh server.
async fn boras(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    app.create_organisation(
        "Borås stad",
        "boras.se",
        &["Stadsledningskansliet", "Grundskolan"],
    )
    .await;
    app
}

/// chromedriver with one Chromium of `window` size, a scratch folder for its profile and
/// downloads, and the chair photo to post.
struct Chromium {
    client: Client,
    window: (u32, u32),
    photo: PathBuf,
    downloads: PathBuf,
    _driver: Driver,
    _scratch: tempfile::TempDir,
}

impl Chromium {
    async fn launch(chromedriver: &Path, window: (u32, u32)) -> Self {
        let scratch = tempfile::tempdir().expect("scratch");
        let downloads = scratch.path().join("downloads");
        std::fs::create_dir_all(&downloads).expect("downloads");
        let photo = chair_photo(scratch.path());
        let driver = start_driver(chromedriver);
        let profile = scratch.path().join("profile");
        let client = open_browser(&driver, &profile, &downloads, window).await;
        Self {
            client,
            window,
            photo,
            downloads,
            _driver: driver,
            _scratch: scratch,
        }
    }

    /// The person at this browser, its viewport exactly the window size asked for.
    async fn person<'a>(&self, app: &'a TestApp, axe: &'a str) -> Person<'a> {
        let person = Person {
            client: self.client.clone(),
            app,
            axe,
            window: self.window,
            checked: Vec::new(),
        };
        person
            .resize(self.window)
            .await
            .expect("the viewport's size");
        person
    }
}

/// chromedriver and axe-core, or `None` (after saying SKIPPED) where they are missing and
/// not required.
fn browser_tools() -> Option<(PathBuf, String)> {
    let (Some(chromedriver), true) = (
        std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| find_program("chromedriver")),
        axe_path().is_file(),
    ) else {
        assert!(
            !required(),
            "chromedriver and axe-core are required here (see .ci/run)"
        );
        eprintln!(
            "SKIPPED browser journey: install chromium + chromium-driver and `npm install --prefix .ci/node axe-core`"
        );
        return None;
    };
    Some((
        chromedriver,
        std::fs::read_to_string(axe_path()).expect("axe-core"),
    ))
}

/// Ends a journey: on failure a screenshot `name.png` is saved and the test fails.
async fn finish(
    person: Person<'_>,
    outcome: Result<Step<()>, Box<dyn std::any::Any + Send>>,
    name: &str,
    at_least_checked: usize,
) {
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(message)) => Some(message),
        Err(_) => Some("a step panicked".to_string()),
    };
    if let Some(message) = &failure {
        let shot = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/e2e-screenshots")
            .join(format!("{name}.png"));
        let _ = person.screenshot(name).await;
        let _ = person.client.close().await;
        panic!("{message}\nscreenshot: {}", shot.display());
    }
    assert!(
        person.checked.len() >= at_least_checked,
        "axe ran on every page: {:?}",
        person.checked
    );
    let _ = person.client.close().await;
}

async fn a_person_lists_reserves_and_reports_in_a_real_browser(backend: Backend) {
    let Some((chromedriver, axe)) = browser_tools() else {
        return;
    };
    let app = boras(backend).await;
    let chromium = Chromium::launch(&chromedriver, DESKTOP).await;
    let mut person = chromium.person(&app, &axe).await;
    let (photo, downloads) = (&chromium.photo, &chromium.downloads);
    let outcome = std::panic::AssertUnwindSafe(journey(&app, &mut person, photo, downloads))
        .catch_unwind()
        .await;
    finish(person, outcome, &format!("journey-{backend:?}"), 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_lists_reserves_and_reports_in_a_real_browser_on_sqlite() {
    a_person_lists_reserves_and_reports_in_a_real_browser(Backend::Sqlite).await
}

impl Person<'_> {
    /// Waits until `script` (a JavaScript expression) is true on the page.
    async fn wait_until(&self, script: &str, what: &str) -> Step<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let done = self
                .client
                .execute(&format!("return !!({script});"), vec![])
                .await
                .map_err(|e| e.to_string())?;
            if done == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("waited in vain for {what}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for each (script, what) in turn; see [`Person::wait_until`].
    async fn wait_for_all(&self, checks: &[(&str, &str)]) -> Step<()> {
        for (script, what) in checks {
            self.wait_until(script, what).await?;
        }
        Ok(())
    }

    /// Every control a thumb presses (buttons, fields, menus, chips, navigation links) is
    /// at least 44 px high; links inside running text are exempt (WCAG 2.5.8).
    async fn check_tap_targets(&self) -> Step<()> {
        let small = self
            .client
            .execute(
                "return [...document.querySelectorAll(
                    'button, .button, summary, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, nav a, .chip, .chip-clear, .choice')]
                  .filter(el => { const r = el.getBoundingClientRect();
                                  return el.checkVisibility() && r.width > 0 && r.height > 0 && r.height < 44; })
                  .slice(0, 5).map(el => el.outerHTML.slice(0, 80) + ' ' + Math.round(el.getBoundingClientRect().height));",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        match small.as_array() {
            Some(found) if !found.is_empty() => {
                let path = self.path().await?;
                Err(format!("tap targets under 44 px on {path}: {small}"))
            }
            _ => Ok(()),
        }
    }

    /// A phone step's checks: axe and 320 px, tap targets, what is above the fold (printed)
    /// and a screenshot named `name`.
    async fn phone_step(&mut self, name: &str) -> Step<()> {
        self.check_accessibility().await?;
        self.check_tap_targets().await?;
        let path = self.path().await?;
        eprintln!(
            "{path} on a phone, above the fold: {}",
            self.above_the_fold().await?
        );
        self.screenshot(name).await
    }

    /// What a phone shows before any scrolling: the texts of headings, labels, buttons and
    /// cards that start above the fold.
    async fn above_the_fold(&self) -> Step<String> {
        let seen = self
            .client
            .execute(
                "return [...document.querySelectorAll('h1, h2, label, button, .button, summary, .card-title, input[type=search]')]
                   .filter(el => { const r = el.getBoundingClientRect();
                                   return el.checkVisibility() && r.height > 0 && r.top < window.innerHeight; })
                   .map(el => (el.innerText || el.placeholder || el.tagName).trim().replace(/\\s+/g, ' '))
                   .filter(text => text.length > 0).join(' | ');",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(seen.as_str().unwrap_or_default().to_string())
    }
}

/// Bo, on a 390 × 844 phone: the start page with its to-do and newest listings, the header
/// menu, two cards per row, the folded filters and their chips, posting with a photo sent
/// ahead (preview and progress) through a refused form that keeps the photo, saving and
/// printing. Every page is checked by axe, for sideways scrolling at 320 px and for tap
/// targets; each step leaves a screenshot under target/e2e-screenshots/phone-*.png.
async fn phone_journey(app: &TestApp, bo: &mut Person<'_>, photo: &Path) -> Step<()> {
    bo.go("/language/sv?next=/login").await?;
    bo.sign_in("bo@boras.se", "Bo Berg").await?;
    let chair = app.category_id("mobler/kontorsstol").await;
    let desk = app.category_id("mobler/skrivbord").await;
    for (title, category) in [
        ("Kontorsstol med armstöd", &chair),
        ("Höj- och sänkbart skrivbord", &desk),
        ("Kontorsstol, svart", &chair),
    ] {
        app.browser
            .post_item(
                &[
                    ("title", title),
                    ("category_id", category),
                    ("condition", "good"),
                    ("quantity", "3"),
                    ("site", "Stadshuset"),
                    ("action", "publish"),
                ],
                vec![(
                    "photos",
                    "a.jpg",
                    std::fs::read(photo).map_err(|e| e.to_string())?,
                    "image/jpeg",
                )],
            )
            .await;
    }

    // The start page: search first, then what to do and the newest listings.
    bo.go("/").await?;
    bo.phone_step("phone-1-start").await?;
    bo.wait_for_all(&[
        (
            "document.querySelector('#start-q').getBoundingClientRect().bottom < window.innerHeight / 2",
            "the search box in the top half of the first screen",
        ),
        (
            "getComputedStyle(document.querySelector('nav.main-nav')).display === 'none'",
            "the wide navigation folded away",
        ),
        (
            "document.querySelector('header').getBoundingClientRect().height < 80",
            "a compact header",
        ),
    ])
    .await?;
    // The menu opens with the keyboard and shows the navigation.
    bo.tab_to("details.menu summary").await?;
    bo.press(Key::Enter).await?;
    bo.wait_until(
        "document.querySelector('.menu-nav a[href=\"/items\"]').getBoundingClientRect().height >= 44",
        "the menu's links",
    )
    .await?;
    bo.check_accessibility().await?;
    bo.screenshot("phone-2-menu").await?;
    bo.submit(".menu-nav a[href='/items']").await?;

    // Browse: two cards per row; the filters fold behind one control.
    bo.phone_step("phone-3-browse").await?;
    bo.wait_for_all(&[
        (
            "(() => { const c = document.querySelectorAll('.grid .card');
                      const a = c[0].getBoundingClientRect(), b = c[1].getBoundingClientRect();
                      return Math.abs(a.top - b.top) < 2 && b.left > a.right; })()",
            "two cards side by side",
        ),
        (
            "!document.querySelector('.filter-panel').open",
            "the filters folded on a phone",
        ),
    ])
    .await?;
    bo.tab_to(".filter-panel summary").await?;
    bo.press(Key::Enter).await?;
    bo.choose("#category", "mobler/kontorsstol").await?;
    bo.submit(".filter-actions button[type=submit]").await?;
    bo.wait_until(
        "document.querySelectorAll('.chips a.chip').length === 1 && document.querySelectorAll('.grid .card').length === 2",
        "one chip and the two chairs",
    )
    .await?;
    bo.check_accessibility().await?;
    bo.screenshot("phone-4-filter-chip").await?;
    bo.submit(".chips a.chip").await?;
    bo.wait_until(
        "document.querySelectorAll('.chips').length === 0 && document.querySelectorAll('.grid .card').length === 3",
        "the chip removed and every listing back",
    )
    .await?;

    // Posting: the photo goes ahead with a progress bar and shows as a preview.
    bo.go("/items/new").await?;
    bo.phone_step("phone-5-post-form").await?;
    bo.client
        .find(Locator::Css("#photos"))
        .await
        .map_err(|e| e.to_string())?
        .send_keys(&photo.display().to_string())
        .await
        .map_err(|e| format!("attach photo: {e}"))?;
    bo.wait_until(
        "document.querySelector('.photo-preview input[name=draft_photo]') && document.querySelector('.photo-preview').dataset.sent === '100'",
        "the photo sent ahead, its progress at 100 %",
    )
    .await?;
    bo.check_accessibility().await?;
    bo.screenshot("phone-6-preview").await?;
    // Sent without a title: refused, and the photo is still there.
    bo.choose("#category_id", &chair).await?;
    bo.fill("#site", "Skolan").await?;
    bo.submit("button[name=action][value=publish]").await?;
    bo.wait_until(
        "document.querySelector('.error-summary') && document.querySelectorAll('.photo-preview input[name=draft_photo]').length === 1 && document.querySelector('#photos-kept')",
        "the refused form with the photo kept",
    )
    .await?;
    bo.check_accessibility().await?;
    bo.screenshot("phone-7-refused-keeps-photo").await?;
    bo.fill("#title", "Bokhylla i björk").await?;
    bo.submit("button[name=action][value=publish]").await?;
    let item_path = bo.path().await?;
    if !item_path.starts_with("/items/") {
        return Err(format!("not published: {}", bo.text().await?));
    }
    bo.wait_until(
        "document.querySelector('.gallery img')",
        "the photo on the listing",
    )
    .await?;
    bo.phone_step("phone-8-listing").await?;
    bo.go(&format!("{item_path}/print")).await?;
    bo.check_accessibility().await?;
    bo.screenshot("phone-9-print").await?;

    // Saving one of Anna's chairs for later shows it on "my page".
    bo.go("/items?q=armstöd").await?;
    bo.submit(".grid .card a").await?;
    bo.submit(".favourite-form button").await?;
    bo.check_accessibility().await?;
    bo.go("/my").await?;
    bo.phone_step("phone-10-my-page").await?;
    if !bo.text().await?.contains("Kontorsstol med armstöd") {
        return Err("the saved chair is not on my page".into());
    }
    for path in ["/wanted", "/my/items", "/profile", "/factors"] {
        bo.go(path).await?;
        bo.check_accessibility().await?;
    }
    // The tables of the admin, the audit log, the statistics and the ledger, on a phone.
    for (role, pages) in [
        ("admin", ["/admin", "/admin/audit"]),
        ("sustainability", ["/stats", "/ledger"]),
    ] {
        app.with_conn(move |conn| {
            use bruka::db::schema::users;
            use diesel::prelude::*;
            diesel::update(users::table.filter(users::email.eq("bo@boras.se")))
                .set(users::role.eq(role))
                .execute(conn)
                .expect("role set")
        })
        .await;
        for path in pages {
            bo.go(path).await?;
            bo.phone_step(&format!("phone-11{}", path.replace('/', "-")))
                .await?;
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_posts_and_finds_on_a_phone_in_a_real_browser_on_sqlite() {
    let Some((chromedriver, axe)) = browser_tools() else {
        return;
    };
    let app = boras(Backend::Sqlite).await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    let chromium = Chromium::launch(&chromedriver, PHONE).await;
    let mut person = chromium.person(&app, &axe).await;
    let outcome = std::panic::AssertUnwindSafe(phone_journey(&app, &mut person, &chromium.photo))
        .catch_unwind()
        .await;
    finish(person, outcome, "phone-failure", 15).await;
}

impl Person<'_> {
    /// A step's checks: on a phone those of [`Person::phone_step`], else axe and 320 px.
    async fn step(&mut self, name: &str) -> Step<()> {
        if self.window.0 < 600 {
            self.phone_step(name).await
        } else {
            self.check_accessibility().await
        }
    }

    /// Another person at the same browser: a fresh session, signed in through the link.
    async fn switch_to(&mut self, email: &str, name: &str) -> Step<()> {
        self.client
            .delete_all_cookies()
            .await
            .map_err(|e| e.to_string())?;
        // The language went with the cookies, and the browser itself asks for English.
        self.go("/language/sv?next=/login").await?;
        self.sign_in(email, name).await
    }

    /// Whether the page holds `text`, also where it is folded away (a phone's menu).
    async fn holds(&self, text: &str) -> Step<bool> {
        let found = self
            .client
            .execute(
                // Fluent isolates placeables with U+2068/U+2069; a reader never sees them.
                "return document.body.textContent.replace(/[\\u2068\\u2069]/g, '')
                     .replace(/\\s+/g, ' ').includes(arguments[0]);",
                vec![json!(text)],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(found == Value::Bool(true))
    }

    async fn expect_text(&self, text: &str) -> Step<()> {
        if self.holds(text).await? {
            Ok(())
        } else {
            let path = self.path().await?;
            Err(format!("{path} does not say \"{text}\""))
        }
    }

    /// Opens a folded `<details>` by its summary, with the keyboard.
    async fn unfold(&self, details: &str) -> Step<()> {
        self.tab_to(&format!("{details} summary")).await?;
        self.press(Key::Enter).await?;
        self.wait_until(
            &format!("document.querySelector('{details}').open"),
            "the folded part open",
        )
        .await
    }
}

/// Bo asks about three chairs Cy has reserved and gets in line; Anna answers and confirms
/// that Cy took one, the other two go back; Bo is offered them, takes them and picks up
/// one, keeping the other held. Every page passes axe and fits 320 px; on a phone the tap
/// targets are checked too and each step leaves a screenshot `talk-*.png`.
async fn conversation_journey(app: &TestApp, person: &mut Person<'_>) -> Step<()> {
    use crate::reservations::{list_chairs, reservation_id, reserve};
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    let item_id = list_chairs(app, 3).await;
    let item_path = format!("/items/{item_id}");
    let cy = app.new_browser();
    cy.sign_in("cy@boras.se", "Cy Carlsson").await;
    let held = reservation_id(&reserve(&cy, item_id, "3").await);

    // Bo asks the lister, then gets in line for two.
    person.go("/language/sv?next=/login").await?;
    person.sign_in("bo@boras.se", "Bo Berg").await?;
    person.go(&item_path).await?;
    person.step("talk-1-reserved-listing").await?;
    person
        .fill("#ask-body", "Går stolarna genom en vanlig dörr?")
        .await?;
    person
        .submit("form[action$='/ask'] button[type=submit]")
        .await?;
    let thread = person.path().await?;
    if !thread.starts_with("/conversations/") {
        return Err(format!("no thread after asking: {thread}"));
    }
    person
        .expect_text("Går stolarna genom en vanlig dörr?")
        .await?;
    person.step("talk-2-question").await?;
    person.go(&item_path).await?;
    person.fill("#queue-quantity", "2").await?;
    person.choose("input[name=would_buy_new]", "yes").await?;
    person
        .submit("form[action$='/queue'] button[type=submit]")
        .await?;
    person.expect_text("Lämna kön").await?;
    person.step("talk-3-in-line").await?;

    // Anna sees the unread question, answers it and confirms Cy's partial pickup.
    person.switch_to("anna@boras.se", "Anna Andersson").await?;
    person.go("/my").await?;
    // Bo's question, and the thread Cy's reservation message opened.
    person.expect_text("Olästa meddelanden (2)").await?;
    person.step("talk-4-unread").await?;
    person
        .submit(&format!("#conversations a[href='{thread}']"))
        .await?;
    person.step("talk-5-thread-lister").await?;
    person.fill("#reply-body", "Ja, de är 62 cm breda.").await?;
    person
        .submit("form[action$='/messages'] button[type=submit]")
        .await?;
    person.expect_text("Ja, de är 62 cm breda.").await?;
    person.go(&format!("/reservations/{held}")).await?;
    person.unfold("details.part-pickup").await?;
    person.fill("#pickup-quantity", "1").await?;
    person.choose("input[name=rest]", "back").await?;
    person.step("talk-6-part-pickup").await?;
    person
        .submit("details.part-pickup button[type=submit]")
        .await?;
    person.expect_text("2 gick tillbaka till annonsen").await?;
    person.step("talk-7-part-picked-up").await?;

    // Bo reads the answer, takes the two offered and picks up one of them.
    person.switch_to("bo@boras.se", "Bo Berg").await?;
    person.go("/my").await?;
    person.expect_text("2 st hålls för dig till").await?;
    person.step("talk-8-offer").await?;
    person.go(&thread).await?;
    person.expect_text("Ja, de är 62 cm breda.").await?;
    person.go("/my").await?;
    person
        .submit("#queue form[action$='/accept'] button")
        .await?;
    let taken = person.path().await?;
    if !taken.starts_with("/reservations/") {
        return Err(format!("no reservation after taking the offer: {taken}"));
    }
    person.step("talk-9-offer-taken").await?;
    person.unfold("details.part-pickup").await?;
    person.fill("#pickup-quantity", "1").await?;
    person
        .submit("details.part-pickup button[type=submit]")
        .await?;
    let rest = person.path().await?;
    if rest == taken || !rest.starts_with("/reservations/") {
        return Err(format!("the rest is not held apart: {rest}"));
    }
    person.step("talk-10-rest-held").await?;
    let ledger = crate::flexible::ledger_quantities(app).await;
    if ledger != [1, 1] {
        return Err(format!("the ledger has {ledger:?}, not one chair twice"));
    }
    Ok(())
}

async fn asking_queueing_and_a_partial_pickup_in_a_real_browser(window: (u32, u32), name: &str) {
    let Some((chromedriver, axe)) = browser_tools() else {
        return;
    };
    let app = boras(Backend::Sqlite).await;
    let chromium = Chromium::launch(&chromedriver, window).await;
    let mut person = chromium.person(&app, &axe).await;
    let outcome = std::panic::AssertUnwindSafe(conversation_journey(&app, &mut person))
        .catch_unwind()
        .await;
    finish(person, outcome, name, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_queueing_and_a_partial_pickup_in_a_real_browser_on_a_desktop() {
    asking_queueing_and_a_partial_pickup_in_a_real_browser(DESKTOP, "talk-desktop-failure").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_queueing_and_a_partial_pickup_in_a_real_browser_on_a_phone() {
    asking_queueing_and_a_partial_pickup_in_a_real_browser(PHONE, "talk-phone-failure").await
}

/// An admin adds a sign-in domain and whoever has the mailbox confirms it; then a form
/// whose token went stale (the cookie is gone, as after signing in elsewhere) comes back
/// with what was typed, and sending it again works.
async fn domain_and_resend_journey(app: &TestApp, person: &mut Person<'_>) -> Step<()> {
    use crate::reservations::list_chairs;
    app.create_user("admin@boras.se", bruka::accounts::Role::Admin)
        .await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    let item_id = list_chairs(app, 2).await;

    person.go("/language/sv?next=/login").await?;
    person.sign_in("admin@boras.se", "Ada Admin").await?;
    person.go("/admin").await?;
    person.fill("#new-domain", "skola.boras.se").await?;
    person.fill("#proof-address", "it@skola.boras.se").await?;
    person.step("domain-1-form").await?;
    person
        .submit("form[action='/admin/domains'] button[type=submit]")
        .await?;
    person.expect_text("väntar på bekräftelse").await?;
    person.step("domain-2-pending").await?;
    let mail = app.browser.mailbox.wait_for("it@skola.boras.se", 1).await;
    let link = mail[0].link_containing("/domains/confirm/");
    let path = link.strip_prefix(&app.url("")).unwrap_or(&link).to_string();
    person.go(&path).await?;
    person.step("domain-3-confirm").await?;
    person
        .submit("form[action^='/domains/confirm/'] button[type=submit]")
        .await?;
    person.expect_text("skola.boras.se är bekräftad").await?;
    person.step("domain-4-confirmed").await?;

    // A question typed on a page whose form token no longer matches any cookie.
    person.go(&format!("/items/{item_id}")).await?;
    person.fill("#ask-body", "Finns det armstöd?").await?;
    person
        .client
        .delete_cookie("bruka_csrf")
        .await
        .map_err(|e| e.to_string())?;
    person
        .submit("form[action$='/ask'] button[type=submit]")
        .await?;
    person.expect_text("Skicka formuläret igen").await?;
    person.expect_text("Finns det armstöd?").await?;
    person.step("resend-1-form-back").await?;
    person
        .submit("form.resend-form button[type=submit]")
        .await?;
    let thread = person.path().await?;
    if !thread.starts_with("/conversations/") {
        return Err(format!("the question was not sent again: {thread}"));
    }
    person.expect_text("Finns det armstöd?").await?;
    person.step("resend-2-sent").await?;
    Ok(())
}

async fn a_domain_is_confirmed_and_a_stale_form_comes_back_in_a_real_browser(
    window: (u32, u32),
    name: &str,
) {
    let Some((chromedriver, axe)) = browser_tools() else {
        return;
    };
    let app = boras(Backend::Sqlite).await;
    let chromium = Chromium::launch(&chromedriver, window).await;
    let mut person = chromium.person(&app, &axe).await;
    let outcome = std::panic::AssertUnwindSafe(domain_and_resend_journey(&app, &mut person))
        .catch_unwind()
        .await;
    finish(person, outcome, name, 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_is_confirmed_and_a_stale_form_comes_back_in_a_real_browser_on_a_desktop() {
    a_domain_is_confirmed_and_a_stale_form_comes_back_in_a_real_browser(
        DESKTOP,
        "domain-desktop-failure",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_is_confirmed_and_a_stale_form_comes_back_in_a_real_browser_on_a_phone() {
    a_domain_is_confirmed_and_a_stale_form_comes_back_in_a_real_browser(
        PHONE,
        "domain-phone-failure",
    )
    .await
}

/// Eva of the sustainability unit sets a framework price and factor for desks, then
/// uploads a factor table, previews it and applies it; Ada, Borås's admin, starts a
/// network and invites Marks kommun, whose admin Kim accepts. Every page passes axe and
/// fits 320 px; on a phone the tap targets are checked too.
async fn factors_and_network_journey(
    app: &TestApp,
    person: &mut Person<'_>,
    scratch: &Path,
) -> Step<()> {
    use bruka::accounts::Role;
    app.create_organisation("Marks kommun", "mark.se", &["Kinna skola"])
        .await;
    app.create_user("eva@boras.se", Role::Sustainability).await;
    app.create_user("ada@boras.se", Role::Admin).await;
    app.create_user("kim@mark.se", Role::Admin).await;
    let desk = app.category_id("mobler/skrivbord").await;

    person.go("/language/sv?next=/login").await?;
    person.sign_in("eva@boras.se", "Eva Ek").await?;
    person.go("/factors").await?;
    person.step("factors-1-table").await?;
    person.go(&format!("/factors/{desk}")).await?;
    person.step("factors-2-category").await?;
    person
        .choose("input[name=factor_basis]", "per_item")
        .await?;
    person.fill("#factor_central", "110").await?;
    person.fill("#new_price_sek", "2650").await?;
    person.fill("#source", "Ramavtal möbler 2026").await?;
    person.fill("#reason", "Nytt ramavtal").await?;
    person
        .submit(&format!(
            "form[action='/factors/{desk}'] button[type=submit]"
        ))
        .await?;
    person.expect_text("Den nya versionen är sparad.").await?;
    person.expect_text("2 650 kr").await?;
    person.step("factors-3-saved").await?;

    let table = scratch.join("ramavtal.csv");
    std::fs::write(
        &table,
        "category_path;kg_co2e_per_item;kg_co2e_per_item_low;kg_co2e_per_item_high;new_price_sek;source\n\
         Möbler/Kontorsstol;72;60;90;3900;Ramavtal stolar 2027\n",
    )
    .map_err(|e| e.to_string())?;
    person.go("/factors/import").await?;
    person.step("factors-4-upload").await?;
    person.tab_to("#file").await?;
    person
        .client
        .find(Locator::Css("#file"))
        .await
        .map_err(|e| e.to_string())?
        .send_keys(&table.display().to_string())
        .await
        .map_err(|e| format!("attach table: {e}"))?;
    person.fill("#label", "Ramavtal 2027").await?;
    person
        .submit("form[action='/factors/import'] button[type=submit]")
        .await?;
    person.expect_text("Så här skulle tabellen ändras").await?;
    person.step("factors-5-preview").await?;
    person
        .submit("form[action='/factors/import/apply'] button[type=submit]")
        .await?;
    person.expect_text("Tabellen är importerad.").await?;
    person.step("factors-6-applied").await?;

    person.switch_to("ada@boras.se", "Ada Admin").await?;
    person.go("/network").await?;
    person.step("network-1-none").await?;
    person.fill("#name", "Sjuhärad").await?;
    person
        .submit("form[action='/network'] button[type=submit]")
        .await?;
    person.expect_text("Nätverket är startat.").await?;
    person.fill("#email", "kim@mark.se").await?;
    person
        .submit("form[action='/network/invitations'] button[type=submit]")
        .await?;
    person.expect_text("Inbjudan är skickad.").await?;
    person.step("network-2-invited").await?;

    person.switch_to("kim@mark.se", "Kim Mark").await?;
    person.go("/network").await?;
    person.expect_text("Ni är inbjudna till Sjuhärad").await?;
    person.step("network-3-invitation").await?;
    person
        .submit("form[action$='/accept'] button[type=submit]")
        .await?;
    person.expect_text("Ni är nu med i nätverket.").await?;
    person.expect_text("Borås stad").await?;
    person.step("network-4-member").await?;
    Ok(())
}

async fn factors_and_a_network_in_a_real_browser(window: (u32, u32), name: &str) {
    let Some((chromedriver, axe)) = browser_tools() else {
        return;
    };
    let app = boras(Backend::Sqlite).await;
    let chromium = Chromium::launch(&chromedriver, window).await;
    let mut person = chromium.person(&app, &axe).await;
    let scratch = chromium.downloads.clone();
    let outcome =
        std::panic::AssertUnwindSafe(factors_and_network_journey(&app, &mut person, &scratch))
            .catch_unwind()
            .await;
    finish(person, outcome, name, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn factors_and_a_network_in_a_real_browser_on_a_desktop() {
    factors_and_a_network_in_a_real_browser(DESKTOP, "factors-desktop-failure").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn factors_and_a_network_in_a_real_browser_on_a_phone() {
    factors_and_a_network_in_a_real_browser(PHONE, "factors-phone-failure").await
}

/// Signing in with the work account on a phone: the login form sends the person to the
/// organisation's directory (a real OpenID provider), they sign in there and come back
/// signed in; signing out offers the directory's own sign-out.
async fn directory_journey(
    app: &TestApp,
    sara: &mut Person<'_>,
    provider: &crate::directory::Provider,
) -> Step<()> {
    sara.go("/login").await?;
    sara.step("login").await?;
    sara.fill("#email", "sara.lind@boras.se").await?;
    sara.submit("form[action='/login'] button[type=submit]:not([name])")
        .await?;
    // A page on the way moves on to the provider by itself.
    sara.wait_until(
        &format!(
            "location.href.startsWith('{}/interaction/') && document.readyState === 'complete' && !!document.querySelector('#provider-sign-in')",
            provider.issuer
        ),
        "the directory's sign-in page",
    )
    .await?;
    // The provider's own page is not Bruka's to check; its button signs in.
    sara.submit("#provider-sign-in").await?;
    // The directory gave the name, so there is nothing to ask: straight to the start page.
    let path = sara.path().await?;
    if path != "/" {
        return Err(format!(
            "back from the directory at {path}, not the start page"
        ));
    }
    if !sara.holds("Sara Lind").await? {
        return Err("the header does not name the person the directory signed in".into());
    }
    sara.step("signed in with the directory").await?;
    let signed_in: i64 = app
        .with_conn(|conn| {
            use diesel::prelude::*;
            bruka::db::schema::sessions::table
                .filter(bruka::db::schema::sessions::renew_by.is_not_null())
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    if signed_in != 1 {
        return Err(format!("{signed_in} directory sessions"));
    }
    // On the phone, signing out is in the menu.
    sara.tab_to("details.menu summary").await?;
    sara.press(Key::Enter).await?;
    sara.submit("details.menu form[action='/logout'] button")
        .await?;
    sara.step("signed out, the directory's sign-out offered")
        .await?;
    let offered = sara
        .client
        .execute(
            "return document.querySelector('#end-directory-session').href;",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    if !offered
        .as_str()
        .is_some_and(|href| href.starts_with(&format!("{}/session/end", provider.issuer)))
    {
        return Err(format!("no end-session link: {offered}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_the_directory_on_a_phone_in_a_real_browser_on_sqlite() {
    let Some((chromedriver, axe)) = browser_tools() else {
        return;
    };
    let Some(provider) = crate::directory::Provider::start() else {
        return;
    };
    let app = boras(Backend::Sqlite).await;
    let organisation = app
        .with_conn(|conn| {
            bruka::organisations::find_by_slug(conn, "boras-stad")
                .expect("query")
                .expect("Borås")
                .id
                .0
        })
        .await;
    crate::directory::connect(&app, &provider, organisation).await;
    provider.account("sara.lind@boras.se", true, &[]).await;
    let chromium = Chromium::launch(&chromedriver, PHONE).await;
    let mut person = chromium.person(&app, &axe).await;
    let outcome = std::panic::AssertUnwindSafe(directory_journey(&app, &mut person, &provider))
        .catch_unwind()
        .await;
    finish(person, outcome, "directory-failure", 3).await;
}

/// The reuse store: an admin makes a unit a store, a lister hands chairs in, the store's
/// staff accept them and put them on a shelf; a colleague asks for one delivered, the staff
/// plan a run, load it and confirm it at the door; the other chair is repaired. All at the
/// window's size.
async fn store_journey(app: &TestApp, person: &mut Person<'_>) -> Step<()> {
    use crate::reservations::list_chairs;
    use diesel::prelude::*;
    let store: i64 = app
        .with_conn(|conn| {
            let borås = bruka::organisations::find_by_slug(conn, "boras-stad")
                .expect("query")
                .expect("Borås");
            bruka::organisations::add_unit(conn, borås.id, "Återbruket", None)
                .expect("unit")
                .id
                .0
        })
        .await;
    app.create_user("ada@boras.se", bruka::accounts::Role::Admin)
        .await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    let item_id = list_chairs(app, 2).await;

    // Ada makes the unit a store on the admin page.
    person.go("/language/sv?next=/login").await?;
    person.sign_in("ada@boras.se", "Ada Admin").await?;
    person.go("/admin").await?;
    let details = format!("#unit-store-{store}");
    person.unfold(&details).await?;
    person
        .tab_to(&format!("{details} input[name=is_store]"))
        .await?;
    person.press(Key::Space).await?;
    person
        .fill(
            &format!("#store-address-{store}"),
            "Förrådet, Industrigatan 4",
        )
        .await?;
    person
        .fill(
            &format!("#store-instructions-{store}"),
            "Öppet tisdagar 8–12.",
        )
        .await?;
    person.step("store-1-admin").await?;
    person
        .submit(&format!("{details} button[type=submit]"))
        .await?;
    person.expect_text("Ändringen är sparad.").await?;

    // Anna asks the store to collect her chairs.
    person.switch_to("anna@boras.se", "Anna Andersson").await?;
    person.go(&format!("/items/{item_id}")).await?;
    person.unfold("details.handin").await?;
    person.choose("input[name=handover]", "collect").await?;
    person
        .fill("#handin-message", "Står i korridoren på plan 3.")
        .await?;
    person.step("store-2-hand-in").await?;
    person
        .submit("form[action$='/hand-in'] button[type=submit]")
        .await?;
    person
        .expect_text("Förfrågan är skickad till förrådet")
        .await?;
    person.step("store-3-asked").await?;

    // Sara works in the store: from the menu to the work list, accept, put on a shelf.
    person.switch_to("sara@boras.se", "Sara Ström").await?;
    app.with_conn(move |conn| {
        use bruka::db::schema::users;
        diesel::update(users::table.filter(users::email.eq("sara@boras.se")))
            .set(users::unit_id.eq(Some(store)))
            .execute(conn)
            .expect("staff")
    })
    .await;
    person.go("/").await?;
    if person.window.0 < 600 {
        person.tab_to("details.menu summary").await?;
        person.press(Key::Enter).await?;
        person.submit("details.menu a[href^='/stores/']").await?;
    } else {
        person.submit("nav.main-nav a[href^='/stores/']").await?;
    }
    person.expect_text("Står i korridoren på plan 3.").await?;
    person.step("store-4-work-list").await?;
    person
        .fill("#requested input[name=answer]", "Vi hämtar på torsdag.")
        .await?;
    person
        .submit("#requested form[action$='/accept'] button[type=submit]")
        .await?;
    person.expect_text("Förfrågan är godkänd").await?;
    person.step("store-5-accepted").await?;
    person.fill("#incoming input[name=shelf]", "B3").await?;
    person
        .submit("#incoming form[action$='/receive'] button[type=submit]")
        .await?;
    person.expect_text("Annonsen står på hyllan").await?;
    person.expect_text("Hylla B3").await?;
    person.step("store-6-on-the-shelf").await?;

    // Bo asks for one chair delivered to Stadshuset, room B214, on the day offered.
    person.switch_to("bo@boras.se", "Bo Berg").await?;
    person.go(&format!("/items/{item_id}")).await?;
    person.choose("input[name=would_buy_new]", "yes").await?;
    person.choose("input[name=handover]", "delivery").await?;
    person.fill("#delivery-building", "Stadshuset").await?;
    person.fill("#delivery-room", "B214").await?;
    person.step("store-7-delivery-wished").await?;
    person
        .submit("form[action$='/reserve'] button[type=submit]")
        .await?;
    person.expect_text("Reserverat!").await?;
    person.expect_text("Stadshuset, B214").await?;

    // Sara plans a run with the electric van, puts the delivery on it, loads it and
    // confirms it at the door.
    person.switch_to("sara@boras.se", "Sara Ström").await?;
    person.go(&format!("/stores/{store}")).await?;
    person.expect_text("Bo Berg").await?;
    person.step("store-8-to-hand-out").await?;
    person.submit("#store-deliveries").await?;
    person.expect_text("Stadshuset, B214").await?;
    person.choose("#run-vehicle", "electric_van").await?;
    person.fill("#run-distance", "14").await?;
    person.step("store-9-deliveries").await?;
    person
        .submit("form[action$='/runs'] button[type=submit]")
        .await?;
    person.expect_text("Körningen är planerad.").await?;
    person
        .submit("#to-plan form[action$='/plan'] button[type=submit]")
        .await?;
    person
        .expect_text("Leveransen ligger på körningen.")
        .await?;
    person.step("store-10-planned").await?;
    person.submit("#runs a[href^='/runs/']").await?;
    person.expect_text("Stadshuset, B214").await?;
    person.step("store-11-run").await?;
    person.submit("#load-run").await?;
    person.expect_text("Körningen är lastad.").await?;
    person
        .fill("#stops input[name=received_by]", "Eva på plan 2")
        .await?;
    person.step("store-12-at-the-door").await?;
    person
        .submit("#stops form[action$='/deliver'] button[type=submit]")
        .await?;
    person.expect_text("Levererat och registrerat").await?;
    person.expect_text("mottaget av Eva på plan 2").await?;
    person.step("store-13-delivered").await?;
    person.submit("a[href$='/print']").await?;
    person.expect_text("Plocklista").await?;
    person.step("store-14-picking-list").await?;

    // The other chair needs a repair: to a supplier, finished with its cost.
    person.go(&format!("/items/{item_id}")).await?;
    person.unfold("#repair-form").await?;
    person.choose("#repair-repairer", "supplier").await?;
    person.fill("#repair-supplier", "Möbelverkstan AB").await?;
    person.fill("#repair-problem", "Byt hjulen.").await?;
    person.step("store-15-repair").await?;
    person
        .submit("form[action$='/repair'] button[type=submit]")
        .await?;
    person
        .expect_text("Annonsen ligger i reparationskön.")
        .await?;
    person.go("/repairs").await?;
    person.unfold("details[id^=finish-]").await?;
    person.fill("#open input[name=cost]", "450").await?;
    person.fill("#open input[name=kg_co2e]", "3").await?;
    person.step("store-16-repair-result").await?;
    person
        .submit("#open form[action$='/finish'] button[type=submit]")
        .await?;
    person.expect_text("Resultatet är sparat.").await?;
    person.expect_text("Möbelverkstan").await?;
    person.step("store-17-repairs").await?;
    Ok(())
}

async fn the_store_takes_a_listing_in_in_a_real_browser(window: (u32, u32), name: &str) {
    let Some((chromedriver, axe)) = browser_tools() else {
        return;
    };
    let app = boras(Backend::Sqlite).await;
    let chromium = Chromium::launch(&chromedriver, window).await;
    let mut person = chromium.person(&app, &axe).await;
    let outcome = std::panic::AssertUnwindSafe(store_journey(&app, &mut person))
        .catch_unwind()
        .await;
    finish(person, outcome, name, 17).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_takes_a_listing_in_in_a_real_browser_on_a_desktop() {
    the_store_takes_a_listing_in_in_a_real_browser(DESKTOP, "store-desktop-failure").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_takes_a_listing_in_in_a_real_browser_on_a_phone() {
    the_store_takes_a_listing_in_in_a_real_browser(PHONE, "store-phone-failure").await
}
