//! Several processes on one database (issue 13 point 4, SPEC Q5): two `serve` processes of the
//! built binary on one database (a shared SQLite file, or one PostgreSQL database) behave as one
//! portal. Requests go alternately to both, as a reverse proxy would send them.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{PASSWORD, TestApp, TestDatabase, binary, binary_on};

/// A `serve` process of the binary, killed when dropped.
struct Portal {
    port: u16,
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Portal {
    /// Starts `serve` (without its in-process worker) from `command`, its log in `log_dir`.
    fn start(mut command: Command, log_dir: &std::path::Path, name: &str) -> Self {
        let port = free_port();
        let log = log_dir.join(format!("{name}.log"));
        let child = command
            .env("ESPACE_TRUST_FORWARDED_FOR", "true")
            .args(["serve", "--no-worker", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        Self { port, child, log }
    }

    /// Waits until `/healthz` answers 200.
    async fn wait_until_up(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(answer) = try_send(self.port, "GET", "/healthz", "198.51.100.250", &[], None).await
                && answer.status == 200
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the portal exited at start-up ({status}):\n{}", std::fs::read_to_string(&self.log).unwrap());
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the portal on port {} did not come up", self.port);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        ip: &str,
        headers: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
    ) -> Answer {
        try_send(self.port, method, path, ip, headers, form).await.unwrap()
    }
}

/// Starts two portals on the test's database and waits for both.
async fn two_portals(app: &TestApp) -> [Portal; 2] {
    let dir = app._dir.path();
    let mut portals = [Portal::start(binary(app, &[]), dir, "a"), Portal::start(binary(app, &[]), dir, "b")];
    for portal in &mut portals {
        portal.wait_until_up().await;
    }
    portals
}

/// An HTTP answer, read whole (`Connection: close`).
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// The `name=value` a `Set-Cookie` header sets for `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            let pair = value.trim().split(';').next()?;
            (key.trim().eq_ignore_ascii_case("set-cookie") && pair.starts_with(&format!("{name}=")))
                .then(|| pair.to_owned())
        })
    }
}

/// One request on a new connection, from client address `ip` (the portals trust
/// `X-Forwarded-For`, as behind the proxy).
async fn try_send(
    port: u16,
    method: &str,
    path: &str,
    ip: &str,
    headers: &[(&str, &str)],
    form: Option<&[(&str, &str)]>,
) -> std::io::Result<Answer> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nX-Forwarded-For: {ip}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = form.map(|f| url::form_urlencoded::Serializer::new(String::new()).extend_pairs(f).finish());
    match &body {
        Some(body) => request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )),
        None => request.push_str("\r\n"),
    }
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok(Answer { status, head: head.to_owned(), body: body.to_owned() })
}

#[tokio::test]
async fn a_session_opened_on_one_process_works_on_the_other() {
    let app = TestApp::spawn().await;
    app.account("marie@exemple.fr", PASSWORD, domain::Role::CompanyUser).await;
    let [a, b] = two_portals(&app).await;
    let ip = "203.0.113.10";

    let signed_in =
        a.send("POST", "/connexion", ip, &[], Some(&[("email", "marie@exemple.fr"), ("password", PASSWORD)])).await;
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    let session = signed_in.cookie("ef_session").expect("a session cookie");

    // The next pages, on the other process.
    let account = b.send("GET", "/compte", ip, &[("Cookie", &session)], None).await;
    assert_eq!(account.status, 200, "{}", account.head);
    assert!(account.body.contains("marie@exemple.fr"), "{}", account.body);
    let sessions = a.send("GET", "/compte/sessions", ip, &[("Cookie", &session)], None).await;
    assert_eq!(sessions.status, 200, "{}", sessions.head);

    // Signing out on one process ends the session on both.
    let out = b.send("POST", "/deconnexion", ip, &[("Cookie", &session)], Some(&[])).await;
    assert_eq!(out.status, 303, "{out:?}");
    for portal in [&a, &b] {
        let after = portal.send("GET", "/compte", ip, &[("Cookie", &session)], None).await;
        assert_eq!(after.status, 303, "signed out everywhere: {}", after.head);
        assert!(after.header("location").is_some_and(|l| l.starts_with("/connexion")), "{}", after.head);
    }
}

#[tokio::test]
async fn the_public_form_limit_is_shared_by_both_processes() {
    let app = TestApp::spawn().await;
    let portals = two_portals(&app).await;
    let burst = domain::rate_limit::RateLimit::default().burst as usize;
    let ip = "203.0.113.20";

    // A burst split across the two processes admits the limit once, not once per process.
    let mut statuses = Vec::new();
    for i in 0..burst + 6 {
        let email = format!("x{i}@exemple.fr");
        let answer = portals[i % 2].send("POST", "/mot-de-passe-oublie", ip, &[], Some(&[("email", &email)])).await;
        if answer.status == 429 {
            assert!(answer.body.contains("Trop de requêtes"), "{}", answer.body);
            assert!(answer.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{}", answer.head);
            let wait: u64 = answer.header("retry-after").expect("Retry-After").parse().unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
        }
        statuses.push(answer.status);
    }
    assert!(statuses[..burst].iter().all(|s| *s == 303), "{statuses:?}");
    assert!(statuses[burst..].iter().all(|s| *s == 429), "{statuses:?}");

    // Another address is not held, and the forms still show to the first one.
    let other =
        portals[1].send("POST", "/mot-de-passe-oublie", "203.0.113.21", &[], Some(&[("email", "y@exemple.fr")])).await;
    assert_eq!(other.status, 303);
    assert_eq!(portals[0].send("GET", "/mot-de-passe-oublie", ip, &[], None).await.status, 200);
}

#[tokio::test]
async fn concurrent_posts_from_one_address_admit_exactly_the_burst() {
    let app = TestApp::spawn().await;
    let portals = two_portals(&app).await;
    let burst = domain::rate_limit::RateLimit::default().burst as usize;
    let ports = [portals[0].port, portals[1].port];

    let tasks: Vec<_> = (0..burst * 2)
        .map(|i| {
            let port = ports[i % 2];
            tokio::spawn(async move {
                let email = format!("z{i}@exemple.fr");
                try_send(port, "POST", "/mot-de-passe-oublie", "203.0.113.30", &[], Some(&[("email", &email)]))
                    .await
                    .unwrap()
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let admitted = statuses.iter().filter(|s| **s == 303).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((admitted, refused), (burst, burst), "{statuses:?}");
}

#[tokio::test]
async fn processes_started_together_on_an_empty_database_all_migrate_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::create(dir.path()).await;
    // Two web processes and a worker, started at once on a database without a single table.
    let mut portals = [
        Portal::start(binary_on(dir.path(), Some(&db.url)), dir.path(), "a"),
        Portal::start(binary_on(dir.path(), Some(&db.url)), dir.path(), "b"),
    ];
    let worker = binary_on(dir.path(), Some(&db.url)).args(["worker", "--once"]).output().unwrap();
    assert!(worker.status.success(), "{}", String::from_utf8_lossy(&worker.stderr));
    for portal in &mut portals {
        portal.wait_until_up().await;
    }
    // Every migration applied once, the help centre copied once.
    let conn = store::db::connect(&db.url).await.unwrap();
    assert!(store::migrate(&conn).await.unwrap().is_empty(), "nothing left to apply");
    let entries = store::help::all(&conn).await.unwrap();
    assert_eq!(entries.len(), web::help_content::FAQ.len());
    conn.close().await.unwrap();
    for portal in &portals {
        assert_eq!(portal.send("GET", "/aide", "203.0.113.40", &[], None).await.status, 200);
    }
}

#[tokio::test]
async fn the_start_up_lock_makes_a_second_holder_wait_its_turn() {
    let app = TestApp::spawn().await;
    let first = store::lock::acquire(&app.ctx.db, "essai").await.unwrap();
    let db = app.ctx.db.clone();
    let second = tokio::spawn(async move { store::lock::acquire(&db, "essai").await.unwrap() });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second holder waits while the first holds the lock");
    assert!(store::lock::try_acquire(&app.ctx.db, "essai").await.unwrap().is_none());
    first.release().await;
    let second = tokio::time::timeout(Duration::from_secs(5), second).await.expect("its turn comes").unwrap();
    second.release().await;
}

#[tokio::test]
async fn two_transactions_queueing_the_last_allowed_e_mail_to_one_address_let_one_through() {
    let app = TestApp::spawn().await;
    let limit = domain::mail_limit::MailLimit { per_kind: 1, window: chrono::Duration::hours(1) };
    let now = crate::support::start_of_test();
    let mail = || store::outbox::OutgoingMail {
        to: "marie@exemple.fr".into(),
        kind: "essai".into(),
        subject: "Objet".into(),
        text: "Texte".into(),
        html: "<p>Texte</p>".into(),
    };
    // Two processes' transactions, the second starting before the first commits.
    let first = store::db::write(&app.ctx.db).await.unwrap();
    assert!(store::outbox::enqueue(&first, mail(), &limit, now).await.unwrap().is_some());
    let db = app.ctx.db.clone();
    let second = tokio::spawn(async move {
        let txn = store::db::write(&db).await.unwrap();
        let queued = store::outbox::enqueue(&txn, mail(), &limit, now).await.unwrap();
        txn.commit().await.unwrap();
        queued
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), None, "the second finds the first's message and drops its own");
}
