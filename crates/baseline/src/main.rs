//! The raw stack the portal is measured against (`scripts/bench-pages.sh`, issue 13): the same
//! tables, the same driver with the same pool settings, the same template engine, and nothing
//! else: no session, no authorization, no layers. What the portal costs beyond this is what its
//! own code costs.
//!
//!   espace-baseline DATABASE_URL ADDR
//!
//! - `GET /dossiers?company=ID`: a company's 50 latest dossiers, the columns the portal's list
//!   shows, one query, one template;
//! - `GET /queue`: the 50 oldest submitted dossiers with their company's name, one query;
//! - `POST /draft` (form `company`, `establishment`): one INSERT of a draft dossier.

use std::time::Duration;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use sea_orm::sqlx::{self, PgPool, SqlitePool};
use serde::Deserialize;

/// The pool, of the backend the URL names, set up as the portal's (`store::db::connect`).
#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The columns of a line, as the driver decodes them.
type Row = (i64, String, String, String, NaiveDate, NaiveDate, i64, Option<i64>, String);

/// One line of a list.
struct Line {
    id: i64,
    number: String,
    scheme: String,
    title: String,
    training_start: NaiveDate,
    training_end: NaiveDate,
    requested_cents: i64,
    committed_cents: Option<i64>,
    status: String,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    rows: Vec<Line>,
}

#[derive(Deserialize)]
struct Company {
    company: i64,
}

#[derive(Deserialize)]
struct Draft {
    company: i64,
    establishment: i64,
}

const LIST: &str = "SELECT id, number, scheme, title, training_start, training_end, requested_cents, \
                    committed_cents, status FROM dossier WHERE company_id = {1} \
                    ORDER BY updated_at DESC, id DESC LIMIT 50";
const QUEUE: &str = "SELECT d.id, d.number, d.scheme, c.name || ' — ' || d.title AS title, d.training_start, \
                     d.training_end, d.requested_cents, d.committed_cents, d.status FROM dossier d \
                     JOIN company c ON c.id = d.company_id WHERE d.status = 'submitted' \
                     ORDER BY d.submitted_on, d.id LIMIT 50";
const INSERT: &str = "INSERT INTO dossier (number, company_id, establishment_id, scheme, kind, payer, public, \
                      status, title, provider_name, provider_siret, provider_nda, training_start, training_end, \
                      hours, cost_cents, requested_cents, version, created_at, updated_at) \
                      VALUES ({1}, {2}, {3}, 'PDC50', 'training', 'AKTO', 'temporary', 'draft', \
                      'Brouillon de référence', 'Institut Formation Nord', '55210055400013', '31590000059', \
                      {4}, {5}, 35, 240000, 240000, 0, {6}, {6})";

/// `sql` with `{n}` placeholders written for the backend.
fn placeholders(sql: &str, postgres: bool) -> String {
    let mut out = sql.to_owned();
    for n in 1..=6 {
        out = out.replace(&format!("{{{n}}}"), &if postgres { format!("${n}") } else { format!("?{n}") });
    }
    out
}

/// The statements, written once for the backend (leaked: they live as long as the process).
struct Sql {
    list: &'static str,
    queue: &'static str,
    insert: &'static str,
}

#[derive(Clone)]
struct App {
    pool: Pool,
    sql: std::sync::Arc<Sql>,
}

async fn list(State(app): State<App>, Query(q): Query<Company>) -> Response {
    let rows = match &app.pool {
        Pool::Sqlite(p) => sqlx::query_as::<_, Row>(app.sql.list).bind(q.company).fetch_all(p).await,
        Pool::Postgres(p) => sqlx::query_as::<_, Row>(app.sql.list).bind(q.company).fetch_all(p).await,
    };
    render(rows)
}

async fn queue(State(app): State<App>) -> Response {
    let rows = match &app.pool {
        Pool::Sqlite(p) => sqlx::query_as::<_, Row>(app.sql.queue).fetch_all(p).await,
        Pool::Postgres(p) => sqlx::query_as::<_, Row>(app.sql.queue).fetch_all(p).await,
    };
    render(rows)
}

fn render(rows: Result<Vec<Row>, sqlx::Error>) -> Response {
    let page = rows.map(|rows| ListPage {
        rows: rows
            .into_iter()
            .map(|r| Line {
                id: r.0,
                number: r.1,
                scheme: r.2,
                title: r.3,
                training_start: r.4,
                training_end: r.5,
                requested_cents: r.6,
                committed_cents: r.7,
                status: r.8,
            })
            .collect(),
    });
    match page.map_err(|e| e.to_string()).and_then(|page| page.render().map_err(|e| e.to_string())) {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

async fn draft(State(app): State<App>, Form(d): Form<Draft>) -> Response {
    let now = Utc::now();
    let number = format!("BASE-{}", now.timestamp_nanos_opt().unwrap_or_default());
    let start = now.date_naive() + chrono::Duration::days(30);
    let end = start + chrono::Duration::days(4);
    let done = match &app.pool {
        Pool::Sqlite(p) => {
            let query = sqlx::query(app.sql.insert).bind(&number).bind(d.company).bind(d.establishment);
            query.bind(start).bind(end).bind(now).execute(p).await.map(|_| ())
        }
        Pool::Postgres(p) => {
            let query = sqlx::query(app.sql.insert).bind(&number).bind(d.company).bind(d.establishment);
            query.bind(start).bind(end).bind(now).execute(p).await.map(|_| ())
        }
    };
    match done {
        Ok(()) => (StatusCode::SEE_OTHER, [("location", "/dossiers")]).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(addr)) = (args.next(), args.next()) else {
        return Err("usage : espace-baseline DATABASE_URL ADRESSE".into());
    };
    let postgres = url.starts_with("postgres");
    // The portal's settings: 4 connections on SQLite (WAL, synchronous FULL, foreign keys, busy
    // timeout 10 s), 16 on PostgreSQL, a 3 s acquire wait.
    let pool = if postgres {
        Pool::Postgres(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(3))
                .connect(&url)
                .await?,
        )
    } else {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        let options: SqliteConnectOptions = url.parse()?;
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        Pool::Sqlite(
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(4)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(3))
                .connect_with(options)
                .await?,
        )
    };
    let sql = Sql {
        list: placeholders(LIST, postgres).leak(),
        queue: placeholders(QUEUE, postgres).leak(),
        insert: placeholders(INSERT, postgres).leak(),
    };
    let app = App { pool, sql: std::sync::Arc::new(sql) };
    let router = axum::Router::new()
        .route("/dossiers", get(list))
        .route("/queue", get(queue))
        .route("/draft", post(draft))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
