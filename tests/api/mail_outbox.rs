use bruka::db::schema::mail_outbox;
use diesel::prelude::*;

use crate::helpers::{Backend, spawn_app_with};
use crate::on_both_backends;
use crate::smtp::{Mailbox, SmtpSink};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

const PEOPLE: [&str; 3] = ["a@ulricehamn.se", "b@ulricehamn.se", "c@ulricehamn.se"];

async fn failed_attempts(app: &crate::helpers::TestApp) -> Vec<i32> {
    app.with_conn(|conn| {
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .select(mail_outbox::attempts)
            .load(conn)
            .expect("rows")
    })
    .await
}

/// Waits until every queued mail has failed at least once.
async fn wait_until_all_failed(app: &crate::helpers::TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let attempts = failed_attempts(app).await;
        if attempts.len() == PEOPLE.len() && attempts.iter().all(|a| *a >= 1) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "attempts: {attempts:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Mail queued while the SMTP server is down is delivered once it is up: every mail,
/// exactly once.
async fn mail_survives_an_smtp_outage(backend: Backend) {
    let port = free_port();
    let app = spawn_app_with(backend, |settings| {
        settings.mail.smtp_url = Some(
            format!("smtp://127.0.0.1:{port}")
                .parse()
                .expect("smtp url"),
        );
    })
    .await;
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    for person in PEOPLE {
        let response = app.browser.post_form("/login", &[("email", person)]).await;
        assert_eq!(
            response.status(),
            200,
            "the person is not told about the outage"
        );
    }
    wait_until_all_failed(&app).await;

    let mailbox = Mailbox::default();
    let _sink = SmtpSink::start_on(port, mailbox.clone()).await;
    mailbox.wait_for_total(3).await;
    // Give any duplicate a chance to show up before counting.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let mails = mailbox.all();
    assert_eq!(mails.len(), 3, "exactly once each");
    for person in PEOPLE {
        assert_eq!(mailbox.to(person).len(), 1, "{person}");
    }
    assert!(failed_attempts(&app).await.is_empty(), "all marked sent");
}

/// Mail queued by an instance whose SMTP server is down is delivered after a restart with
/// working mail, each exactly once: nothing lives only in the stopped process.
async fn a_restarted_instance_delivers_queued_mail_exactly_once(backend: Backend) {
    let dead_port = free_port();
    let app = spawn_app_with(backend, |settings| {
        settings.mail.smtp_url = Some(
            format!("smtp://127.0.0.1:{dead_port}")
                .parse()
                .expect("smtp url"),
        );
        // A mail the stopped instance was sending right then is free again after this.
        settings.mail.lease_secs = crate::helpers::nonzero(2);
        // No second attempt while the instance stops: an attempt cut off half-way counts
        // as sent (see an_interrupted_delivery_is_counted_as_sent_after_a_restart).
        settings.mail.retry_base_ms = crate::helpers::nonzero(60_000);
    })
    .await;
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    for person in PEOPLE {
        app.browser.post_form("/login", &[("email", person)]).await;
    }
    wait_until_all_failed(&app).await;
    app.stop_instances();
    // The minute of backoff has passed by the time the new instance starts.
    app.with_conn(|conn| {
        diesel::update(mail_outbox::table)
            .set(mail_outbox::next_attempt_at.eq(chrono::Utc::now().naive_utc()))
            .execute(conn)
            .expect("due now")
    })
    .await;

    let sink = SmtpSink::start().await;
    let sink_url = sink.url();
    app.start_instance_with(move |settings| {
        settings.mail.smtp_url = Some(sink_url.parse().expect("smtp url"))
    })
    .await;
    sink.mailbox.wait_for_total(3).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(sink.mailbox.all().len(), 3);
    for person in PEOPLE {
        assert_eq!(sink.mailbox.to(person).len(), 1, "{person}");
    }
    assert!(failed_attempts(&app).await.is_empty());
}

/// Rows are structured notices, rendered when sent; a row an older version queued with its
/// subject and bodies already written is still sent as it is, and a notice the worker cannot
/// read stays queued with the reason instead of vanishing.
async fn queued_notices_are_rendered_when_sent_and_old_rows_go_as_they_are(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    let now = chrono::Utc::now().naive_utc();
    app.with_conn(move |conn| {
        diesel::insert_into(mail_outbox::table)
            .values((
                mail_outbox::recipient.eq("old@ulricehamn.se"),
                mail_outbox::subject.eq(Some("Skriven före uppgraderingen")),
                mail_outbox::body_text.eq(Some("Hej från förr")),
                mail_outbox::body_html.eq(Some("<p>Hej från förr</p>")),
                mail_outbox::created_at.eq(now),
                mail_outbox::next_attempt_at.eq(now),
            ))
            .execute(conn)
            .expect("old row");
        diesel::insert_into(mail_outbox::table)
            .values((
                mail_outbox::recipient.eq("broken@ulricehamn.se"),
                mail_outbox::language.eq(Some("sv")),
                mail_outbox::notice.eq(Some(r#"{"kind":"no_such_notice"}"#)),
                mail_outbox::created_at.eq(now),
                mail_outbox::next_attempt_at.eq(now),
            ))
            .execute(conn)
            .expect("broken row")
    })
    .await;
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    let link = app.browser.request_link("ny@ulricehamn.se").await;
    assert!(link.contains("/login/confirm?token="), "{link}");
    let old = &app.smtp.mailbox.wait_for("old@ulricehamn.se", 1).await[0];
    assert_eq!(old.subject(), "Skriven före uppgraderingen");
    assert!(old.body("text/plain").contains("Hej från förr"));

    let stored: Vec<(Option<String>, Option<String>)> = app
        .with_conn(|conn| {
            mail_outbox::table
                .filter(mail_outbox::recipient.eq("ny@ulricehamn.se"))
                .select((mail_outbox::subject, mail_outbox::notice))
                .load(conn)
                .expect("rows")
        })
        .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, None, "nothing rendered into the row");
    assert!(
        stored[0]
            .1
            .as_deref()
            .is_some_and(|notice| notice.contains("sign_in_link")),
        "{stored:?}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let broken: Vec<(Option<String>, i32)> = app
            .with_conn(|conn| {
                mail_outbox::table
                    .filter(mail_outbox::recipient.eq("broken@ulricehamn.se"))
                    .filter(mail_outbox::sent_at.is_null())
                    .select((mail_outbox::last_error, mail_outbox::attempts))
                    .load(conn)
                    .expect("rows")
            })
            .await;
        assert_eq!(broken.len(), 1, "still queued");
        if broken[0].1 >= 1 {
            let reason = broken[0].0.clone().unwrap_or_default();
            assert!(reason.contains("unreadable notice"), "{reason}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never attempted");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(app.smtp.mailbox.to("broken@ulricehamn.se").is_empty());
}

/// Makes every write that marks a mail sent fail, as a database going away between the
/// SMTP server's "250 OK" and the worker's record of it would.
fn refuse_marking_sent(backend: Backend) -> Vec<&'static str> {
    match backend {
        Backend::Sqlite => vec![
            "CREATE TRIGGER refuse_sent BEFORE UPDATE ON mail_outbox \
             WHEN NEW.sent_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'database away'); END",
        ],
        Backend::Postgres => vec![
            "CREATE FUNCTION refuse_sent() RETURNS trigger AS $$ BEGIN \
             IF NEW.sent_at IS NOT NULL THEN RAISE EXCEPTION 'database away'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_sent BEFORE UPDATE ON mail_outbox \
             FOR EACH ROW EXECUTE FUNCTION refuse_sent()",
        ],
    }
}

async fn run_sql(app: &crate::helpers::TestApp, statements: Vec<&'static str>) {
    app.with_conn(move |conn| {
        for statement in statements {
            diesel::sql_query(statement)
                .execute(conn)
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    })
    .await;
}

async fn sent_and_errors(app: &crate::helpers::TestApp) -> Vec<(String, bool, Option<String>)> {
    app.with_conn(|conn| {
        mail_outbox::table
            .order(mail_outbox::id)
            .select((
                mail_outbox::recipient,
                mail_outbox::sent_at.is_not_null(),
                mail_outbox::last_error,
            ))
            .load(conn)
            .expect("rows")
    })
    .await
}

/// The mail went out but marking it sent failed, and the lease ran out meanwhile: it is
/// not sent again, and it is marked sent once the database takes writes again.
async fn a_delivered_mail_whose_record_failed_is_not_sent_again(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.mail.lease_secs = crate::helpers::nonzero(1);
    })
    .await;
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    app.browser.csrf_token().await;
    run_sql(&app, refuse_marking_sent(backend)).await;
    app.browser
        .post_form("/login", &[("email", PEOPLE[0])])
        .await;
    app.smtp.mailbox.wait_for(PEOPLE[0], 1).await;
    // Three leases pass while the record cannot be written.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_eq!(app.smtp.mailbox.to(PEOPLE[0]).len(), 1, "not sent again");
    assert!(!sent_and_errors(&app).await[0].1, "not yet marked sent");

    let drop_trigger = match backend {
        Backend::Sqlite => "DROP TRIGGER refuse_sent",
        Backend::Postgres => "DROP TRIGGER refuse_sent ON mail_outbox",
    };
    run_sql(&app, vec![drop_trigger]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sent_and_errors(&app).await[0].1 {
        assert!(
            std::time::Instant::now() < deadline,
            "marked sent in the end"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        sent_and_errors(&app).await[0].2,
        None,
        "recorded as delivered"
    );
    assert_eq!(app.smtp.mailbox.to(PEOPLE[0]).len(), 1);
}

/// A mail whose delivery began in a process that stopped before recording the outcome is
/// counted as sent after the restart and never repeated; the others go as usual.
async fn an_interrupted_delivery_is_counted_as_sent_after_a_restart(backend: Backend) {
    let dead_port = free_port();
    let app = spawn_app_with(backend, |settings| {
        settings.mail.smtp_url = Some(
            format!("smtp://127.0.0.1:{dead_port}")
                .parse()
                .expect("smtp url"),
        );
        settings.mail.lease_secs = crate::helpers::nonzero(1);
        // No attempt is under way when the instance stops but the one made up below.
        settings.mail.retry_base_ms = crate::helpers::nonzero(60_000);
    })
    .await;
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    for person in PEOPLE {
        app.browser.post_form("/login", &[("email", person)]).await;
    }
    wait_until_all_failed(&app).await;
    app.stop_instances();
    // As the stopped process left it: attempt recorded, outcome not; and the backoff over.
    app.with_conn(|conn| {
        diesel::update(mail_outbox::table)
            .set(mail_outbox::next_attempt_at.eq(chrono::Utc::now().naive_utc()))
            .execute(conn)
            .expect("due now");
        diesel::update(mail_outbox::table.filter(mail_outbox::recipient.eq(PEOPLE[0])))
            .set(mail_outbox::attempted_at.eq(Some(chrono::Utc::now().naive_utc())))
            .execute(conn)
            .expect("interrupted")
    })
    .await;

    let sink = SmtpSink::start().await;
    let sink_url = sink.url();
    app.start_instance_with(move |settings| {
        settings.mail.smtp_url = Some(sink_url.parse().expect("smtp url"))
    })
    .await;
    sink.mailbox.wait_for_total(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(sink.mailbox.to(PEOPLE[0]).is_empty(), "never repeated");
    assert_eq!(sink.mailbox.all().len(), 2);
    let rows = sent_and_errors(&app).await;
    assert!(rows.iter().all(|(_, sent, _)| *sent), "{rows:?}");
    let interrupted = rows.iter().find(|(to, _, _)| to == PEOPLE[0]).expect("row");
    assert_eq!(
        interrupted.2.as_deref(),
        Some(bruka::mail::outbox::UNCONFIRMED)
    );
}

/// When delivery works again, mail waiting out its backoff goes at once rather than as
/// each wait ends.
async fn after_an_outage_the_waiting_mail_goes_at_once(backend: Backend) {
    let port = free_port();
    let app = spawn_app_with(backend, |settings| {
        settings.mail.smtp_url = Some(
            format!("smtp://127.0.0.1:{port}")
                .parse()
                .expect("smtp url"),
        );
        settings.mail.retry_base_ms = crate::helpers::nonzero(20_000);
    })
    .await;
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    for person in PEOPLE {
        app.browser.post_form("/login", &[("email", person)]).await;
    }
    wait_until_all_failed(&app).await;
    let mailbox = Mailbox::default();
    let _sink = SmtpSink::start_on(port, mailbox.clone()).await;
    // A new mail goes at once; its success brings the three waiting ones forward, long
    // before their 20 s backoff ends.
    app.browser
        .post_form("/login", &[("email", "d@ulricehamn.se")])
        .await;
    let started = std::time::Instant::now();
    mailbox.wait_for_total(4).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the waiting mail went with the first success"
    );
    for person in PEOPLE {
        assert_eq!(mailbox.to(person).len(), 1, "{person}");
    }
}

on_both_backends!(
    a_delivered_mail_whose_record_failed_is_not_sent_again,
    an_interrupted_delivery_is_counted_as_sent_after_a_restart,
    after_an_outage_the_waiting_mail_goes_at_once,
    mail_survives_an_smtp_outage,
    a_restarted_instance_delivers_queued_mail_exactly_once,
    queued_notices_are_rendered_when_sent_and_old_rows_go_as_they_are,
);
