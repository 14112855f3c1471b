//! Faults and process-level behaviour (issue 12): the binary as an operator runs it.

use crate::support::{TestApp, binary};

#[tokio::test]
async fn espace_log_filters_the_log_as_the_readme_says_and_is_not_taken_for_a_setting() {
    let app = TestApp::spawn().await;
    let vars = [("ESPACE_LOG", "debug"), ("ESPACE_REQUIRE_BROWSER", "1"), ("ESPACE_TEST_POSTGRES", "x")];
    let output = binary(&app, &vars).arg("migrate").output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Migrations à jour."), "{stdout}");
    // The default filter keeps the migrator quiet; ESPACE_LOG=debug lets its lines through.
    assert!(stderr.contains("sea_orm_migration"), "ESPACE_LOG=debug shows the migrator's lines: {stderr}");
    let quiet = binary(&app, &[]).arg("migrate").output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("sea_orm_migration"));
    // An unknown setting is still refused, in French.
    let output = binary(&app, &[("ESPACE_OPERATOR_NAMME", "x")]).arg("migrate").output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("réglage inconnu « operator_namme »"));
}

/// A port free on the loopback for a child process to listen on.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until the portal at `port` answers `/healthz`.
fn wait_until_up(port: u16, child: &mut std::process::Child) {
    use std::io::{Read as _, Write as _};
    let started = std::time::Instant::now();
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "the portal exited at start-up");
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the portal did not come up");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Half a request: the head never ends.
fn stalled_client(port: u16) -> std::net::TcpStream {
    use std::io::Write as _;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(b"GET /aide HTTP/1.1\r\nHost: localhost\r\nX-Lent: ").unwrap();
    stream
}

#[tokio::test]
async fn a_stalled_client_is_dropped_and_never_holds_a_shutdown() {
    use std::io::Read as _;
    let app = TestApp::spawn().await;
    let port = free_port();
    let vars = [("ESPACE_HEADER_READ_TIMEOUT_SECS", "1"), ("ESPACE_SHUTDOWN_GRACE_SECS", "2")];
    let mut child = binary(&app, &vars)
        .args(["serve", "--no-worker", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until_up(port, &mut child);

    // A client that never finishes its request head is closed after the header timeout.
    let mut stalled = stalled_client(port);
    stalled.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let closed = stalled.read_to_end(&mut rest);
    assert!(closed.is_ok(), "the server closes the connection: {closed:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "closed after {:?}", started.elapsed());

    // SIGTERM with another stalled client connected: the process still exits, cleanly, in time.
    let _other = stalled_client(port);
    let _kept_alive = stalled_client(port);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("the portal did not exit 10 s after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "exited after {:?}", started.elapsed());
}

/// A TCP relay to PostgreSQL that the test can cut (the port then refuses connections, as a
/// stopped server's does) and restore on the same port.
struct Relay {
    port: u16,
    target: std::net::SocketAddr,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn to(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = Self { port: listener.local_addr().unwrap().port(), target, tasks: Default::default() };
        relay.serve(listener);
        relay
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (target, tasks) = (self.target, self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(link);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

#[tokio::test]
async fn a_database_outage_is_a_quick_french_503_and_the_portal_recovers_by_itself() {
    let Ok(admin) = std::env::var(crate::support::POSTGRES_ENV) else {
        return; // an outage of an embedded SQLite file is the full-disk case
    };
    let server = url::Url::parse(&admin).unwrap();
    let target = (server.host_str().unwrap(), server.port().unwrap_or(5432));
    let target = tokio::net::lookup_host(target).await.unwrap().next().unwrap();
    let relay = Relay::to(target).await;
    let port = relay.port;
    let app = TestApp::spawn_with(|c| {
        let mut url = url::Url::parse(c.database_url.as_deref().unwrap()).unwrap();
        url.set_port(Some(port)).unwrap();
        c.database_url = Some(url.to_string());
    })
    .await;
    let mut visitor = app.client();
    assert_eq!(visitor.get("/aide").await.status, http::StatusCode::OK);

    relay.cut();
    for path in ["/aide", "/healthz"] {
        let started = std::time::Instant::now();
        let answer = visitor.get(path).await;
        let took = started.elapsed();
        assert_eq!(answer.status, http::StatusCode::SERVICE_UNAVAILABLE, "{path}: {}", answer.body);
        assert!(took < std::time::Duration::from_secs(5), "{path} answered after {took:?}");
        if path == "/aide" {
            assert_eq!(answer.headers.get(http::header::RETRY_AFTER).unwrap(), "5");
            assert!(answer.body.contains("momentanément indisponible"), "{}", answer.body);
            assert!(!answer.body.contains("pool") && !answer.body.contains("connection"), "{}", answer.body);
        }
    }

    relay.restore().await;
    let started = std::time::Instant::now();
    assert_eq!(visitor.get("/aide").await.status, http::StatusCode::OK);
    assert_eq!(visitor.get("/healthz").await.status, http::StatusCode::OK);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "recovered in {:?}", started.elapsed());

    // Started while the database is down, the program waits for it, saying so, then goes on.
    relay.cut();
    let url = app.ctx.config.database_url();
    let mut child = binary(&app, &[("ESPACE_DATABASE_WAIT_SECS", "30")])
        .env("DATABASE_URL", &url)
        .arg("migrate")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // (Each try lasts the pool's wait for a connection, 3 s: the log shows the second.)
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    if child.try_wait().unwrap().is_some() {
        let output = child.wait_with_output().unwrap();
        panic!("it exited instead of waiting: {}", String::from_utf8_lossy(&output.stderr));
    }
    relay.restore().await;
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "it did not go on once the database was back");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("base de données injoignable") && stderr.contains("nouvel essai"), "{stderr}");
}

#[tokio::test]
async fn a_database_that_cannot_write_refuses_to_start_and_health_reports_writes() {
    let app = TestApp::spawn().await;
    // A healthy portal says it can write.
    let health = app.client().get("/healthz").await;
    assert_eq!(health.status, http::StatusCode::OK);
    assert_eq!(health.json()["writes"], "ok", "{}", health.body);
    // The same SQLite database opened read-only (as on a read-only data directory): reads work,
    // so without the write probe the portal would start and then fail every sign-in.
    if app.db.is_postgres() {
        return;
    }
    let file = app._dir.path().join("test.db");
    let read_only = format!("sqlite://{}?mode=ro", file.display());
    let output = binary(&app, &[("ESPACE_DATABASE_WAIT_SECS", "0")])
        .env("DATABASE_URL", &read_only)
        .args(["serve", "--no-worker", "--addr", &format!("127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it must not start: {stderr}");
    assert!(stderr.contains("refuse l’écriture"), "{stderr}");
}
