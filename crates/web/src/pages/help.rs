//! The help centre (SPEC I2), public: the FAQ by theme with an accent-insensitive search and a
//! page per answer, the guides (connection, account creation, reimbursement and proforma); and,
//! for platform admins under `/gestion/aide`, the editing, publishing and unpublishing of the FAQ.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::identity::Names;
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};
use serde::Deserialize;
use store::help::HelpEntry;

use crate::auth::Staff;
use crate::chrome::Chrome;
use crate::client::Client;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::forms::FormErrors;
use crate::notify::audit;
use crate::policy::Permission;
use crate::render;
use crate::state::AppState;

/// Markdown written by the operator, as HTML: raw HTML in the source is shown as text and links
/// go only to the portal's own pages or to `https://` addresses, so that an entry cannot inject
/// markup or a `javascript:` link.
#[must_use]
pub fn markdown_to_html(markdown: &str) -> String {
    let safe_link = |url: &str| url.starts_with('/') && !url.starts_with("//") || url.starts_with("https://");
    let events = Parser::new_ext(markdown, Options::empty()).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe_link(&dest_url) => {
            let _ = (link_type, title, id);
            Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url: "#".into(),
                title: "".into(),
                id: "".into(),
            })
        }
        Event::Start(Tag::Image { .. }) | Event::End(pulldown_cmark::TagEnd::Image) => Event::Text("".into()),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// Markdown as the blocks of a printable guide: headings, paragraphs and list items of plain or
/// bold text (links keep their text; raw HTML is kept as text).
#[must_use]
pub fn markdown_to_blocks(markdown: &str) -> Vec<documents::guide::Block> {
    use documents::guide::{Block, Span};
    use pulldown_cmark::TagEnd;
    let mut blocks = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut heading: Option<String> = None;
    let (mut bold, mut in_item) = (0_u32, 0_u32);
    let flush = |blocks: &mut Vec<Block>, spans: &mut Vec<Span>, item: bool| {
        if spans.iter().any(|s| !s.text.trim().is_empty()) {
            let taken = std::mem::take(spans);
            blocks.push(if item { Block::Item { spans: taken } } else { Block::Paragraph { spans: taken } });
        }
        spans.clear();
    };
    for event in Parser::new_ext(markdown, Options::empty()) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                if let Some(text) = heading.take().filter(|t| !t.trim().is_empty()) {
                    blocks.push(Block::Heading { text });
                }
            }
            Event::Start(Tag::Strong) => bold += 1,
            Event::End(TagEnd::Strong) => bold = bold.saturating_sub(1),
            Event::Start(Tag::Item) => {
                flush(&mut blocks, &mut spans, in_item > 0);
                in_item += 1;
            }
            Event::End(TagEnd::Item) => {
                flush(&mut blocks, &mut spans, true);
                in_item = in_item.saturating_sub(1);
            }
            Event::End(TagEnd::Paragraph) if in_item == 0 => flush(&mut blocks, &mut spans, false),
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                } else {
                    spans.push(Span { text: text.into_string(), bold: bold > 0 });
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(h) = heading.as_mut() {
                    h.push(' ');
                } else {
                    spans.push(Span { text: " ".into(), bold: false });
                }
            }
            _ => {}
        }
    }
    flush(&mut blocks, &mut spans, false);
    blocks
}

/// A stored entry as the domain's search sees it, and as people read it: with this deployment's
/// names in place of `{{operateur}}` and `{{fpett}}`.
fn to_domain(row: &HelpEntry, names: &Names) -> domain::help::Entry {
    domain::help::Entry {
        slug: row.slug.clone(),
        question: names.fill(&row.question),
        theme: row.theme.clone(),
        order: row.position,
        updated: domain::clock::paris_day(row.updated_at),
        answer_markdown: names.fill(&row.answer),
    }
}

/// The shipped guides with this deployment's names, parsed (checked by the tests at build time
/// of the content).
fn guides(names: &Names) -> Vec<domain::help::Guide> {
    crate::help_content::GUIDES
        .iter()
        .filter_map(|(file, text)| {
            let slug = file.trim_end_matches(".md");
            domain::help::parse_guide(slug, &names.fill(text)).ok()
        })
        .collect()
}

/// A theme with its entries.
#[derive(Debug)]
pub struct ThemeBlock {
    code: &'static str,
    label: &'static str,
    entries: Vec<domain::help::Entry>,
}

/// `/aide`
#[derive(Debug, Template)]
#[template(path = "aide/index.html")]
pub struct IndexPage {
    chrome: Chrome,
    intro: String,
    query: String,
    results: Option<Vec<domain::help::Entry>>,
    themes: Vec<ThemeBlock>,
    guides: Vec<domain::help::Guide>,
    branch: String,
    region: String,
    branches: &'static [&'static str],
    regions: &'static [&'static str],
    announcements: Vec<crate::pages::announcements::Shown>,
    /// The signed-in person's contacts, company by company.
    contacts: Vec<(String, Vec<crate::pages::contacts::ContactLine>)>,
}

/// The search box.
#[derive(Debug, Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// The visitor's branch (« Mon profil »), for the announcements meant for it.
    #[serde(default)]
    branche: String,
    /// The visitor's region.
    #[serde(default)]
    region: String,
}

/// `GET /aide`: the FAQ by theme, or the answers to a search.
pub async fn index(
    State(state): State<AppState>,
    chrome: Chrome,
    crate::auth::MaybeUser(user): crate::auth::MaybeUser,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let mut contacts = Vec::new();
    if let Some(user) = user.filter(|u| !u.account.role.is_staff()) {
        let scope = store::attachment::scope(&state.db, user.account.id, user.account.role).await?;
        for company in store::company::list(&state.db, &scope).await? {
            let lines = crate::pages::contacts::lines(&state, company.id).await?;
            if !lines.is_empty() {
                contacts.push((company.name, lines));
            }
        }
    }
    let entries: Vec<domain::help::Entry> = store::help::all(&state.db)
        .await?
        .iter()
        .filter(|e| e.published)
        .map(|e| to_domain(e, &state.config.names))
        .collect();
    let (query_branch_raw, region_raw) = (query.branche.clone(), query.region.clone());
    let query: String = query.q.trim().chars().take(200).collect();
    let results = (!query.is_empty()).then(|| domain::help::rank(&entries, &query).into_iter().cloned().collect());
    let themes = domain::help::THEMES
        .iter()
        .map(|t| {
            let mut list: Vec<domain::help::Entry> = entries.iter().filter(|e| e.theme == t.code).cloned().collect();
            list.sort_by_key(|e| e.order);
            ThemeBlock { code: t.code, label: t.label, entries: list }
        })
        .filter(|t| !t.entries.is_empty())
        .collect();
    let intro = domain::help::parse_guide("intro", &state.config.names.fill(crate::help_content::INTRO))
        .map(|g| markdown_to_html(&g.body_markdown))
        .unwrap_or_default();
    let branch = query_branch(&query_branch_raw);
    let page = IndexPage {
        chrome,
        intro,
        query,
        results,
        themes,
        guides: guides(&state.config.names),
        announcements: crate::pages::announcements::for_visitor(&state, branch, region_of(&region_raw)).await?,
        branch: branch.unwrap_or_default().to_owned(),
        region: region_of(&region_raw).unwrap_or_default().to_owned(),
        contacts,
        branches: &domain::announcement::BRANCHES,
        regions: &domain::announcement::REGIONS,
    };
    Ok(render::page(&page)?.into_response())
}

/// The branch a visitor chose, if it is one of the list.
fn query_branch(raw: &str) -> Option<&'static str> {
    domain::announcement::BRANCHES.iter().copied().find(|b| *b == raw)
}

/// The region a visitor chose, if it is one of the list.
fn region_of(raw: &str) -> Option<&'static str> {
    domain::announcement::REGIONS.iter().copied().find(|r| *r == raw)
}

/// `/aide/faq/{slug}`
#[derive(Debug, Template)]
#[template(path = "aide/entry.html")]
pub struct EntryPage {
    chrome: Chrome,
    entry: HelpEntry,
    theme: &'static str,
    answer: String,
    updated: String,
}

/// `GET /aide/faq/{slug}`: one answer, linkable.
pub async fn entry(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let mut entry = store::help::by_slug(&state.db, &slug).await?.filter(|e| e.published).ok_or(AppError::NotFound)?;
    entry.question = state.config.names.fill(&entry.question);
    let page = EntryPage {
        chrome,
        theme: domain::help::theme_label(&entry.theme).unwrap_or(""),
        answer: markdown_to_html(&state.config.names.fill(&entry.answer)),
        updated: domain::clock::paris_day(entry.updated_at).format("%d/%m/%Y").to_string(),
        entry,
    };
    Ok(render::page(&page)?.into_response())
}

/// `/aide/guides/{slug}`
#[derive(Debug, Template)]
#[template(path = "aide/guide.html")]
pub struct GuidePage {
    chrome: Chrome,
    guide: domain::help::Guide,
    body: String,
    updated: String,
}

/// `GET /aide/guides/{slug}`: a guide, printable from the browser.
pub async fn guide(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let guide = guides(&state.config.names).into_iter().find(|g| g.slug == slug).ok_or(AppError::NotFound)?;
    let page = GuidePage {
        chrome,
        body: markdown_to_html(&guide.body_markdown),
        updated: guide.updated.format("%d/%m/%Y").to_string(),
        guide,
    };
    Ok(render::page(&page)?.into_response())
}

/// `GET /aide/guides/{slug}/guide.pdf`: the guide to print.
pub async fn guide_pdf(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let guide = guides(&state.config.names).into_iter().find(|g| g.slug == slug).ok_or(AppError::NotFound)?;
    let document = documents::guide::GuideDocument {
        title: guide.title.clone(),
        summary: guide.summary.clone(),
        updated: guide.updated,
        operator: state.config.names.operator.clone(),
        blocks: markdown_to_blocks(&guide.body_markdown),
    };
    let bytes = tokio::task::spawn_blocking(move || documents::guide::render_guide(&document))
        .await
        .map_err(|e| AppError::Internal(Box::new(e)))?
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    Ok(crate::pages::reimbursements::attachment(bytes, &format!("{slug}.pdf"), "application/pdf"))
}

// ---------------------------------------------------------------------------------------------
// The operator's side.

/// `/gestion/aide`
#[derive(Debug, Template)]
#[template(path = "gestion/aide/index.html")]
pub struct StaffIndex {
    chrome: Chrome,
    entries: Vec<(HelpEntry, &'static str, String)>,
    can_edit: bool,
}

/// `GET /gestion/aide`: every entry, published or not.
pub async fn staff_index(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
) -> Result<Response, AppError> {
    let mut entries: Vec<(HelpEntry, &'static str, String)> = store::help::all(&state.db)
        .await?
        .into_iter()
        .map(|e| {
            let label = domain::help::theme_label(&e.theme).unwrap_or("—");
            let updated = domain::clock::paris_day(e.updated_at).format("%d/%m/%Y").to_string();
            (e, label, updated)
        })
        .collect();
    let theme_rank = |code: &str| domain::help::THEMES.iter().position(|t| t.code == code).unwrap_or(usize::MAX);
    entries.sort_by_key(|(e, _, _)| (theme_rank(&e.theme), e.position));
    let page = StaffIndex { chrome, entries, can_edit: user.require(Permission::EditContent).is_ok() };
    Ok(render::page(&page)?.into_response())
}

/// What the edit form sends.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct EntryForm {
    #[serde(default)]
    theme: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    published: String,
    #[serde(default)]
    version: String,
}

/// `/gestion/aide/{slug}`
#[derive(Debug, Template)]
#[template(path = "gestion/aide/edit.html")]
pub struct EditPage {
    chrome: Chrome,
    slug: String,
    form: EntryForm,
    errors: FormErrors,
    preview: String,
    themes: &'static [domain::help::Theme],
}

fn form_of(e: &HelpEntry) -> EntryForm {
    EntryForm {
        theme: e.theme.clone(),
        question: e.question.clone(),
        answer: e.answer.clone(),
        position: e.position.to_string(),
        published: if e.published { "on".to_owned() } else { String::new() },
        version: e.version.to_string(),
    }
}

/// `GET /gestion/aide/{slug}`: the edit form (platform admins).
pub async fn edit_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Staff(user): Staff,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::EditContent)?;
    let entry = store::help::by_slug(&state.db, &slug).await?.ok_or(AppError::NotFound)?;
    let page = EditPage {
        chrome,
        preview: markdown_to_html(&entry.answer),
        form: form_of(&entry),
        slug,
        errors: FormErrors::new(),
        themes: &domain::help::THEMES,
    };
    Ok(render::page(&page)?.into_response())
}

/// Checks an edit: a known theme, a question, an answer, a position.
fn check(form: &EntryForm) -> Result<store::help::Edit, FormErrors> {
    let mut errors = FormErrors::new();
    if domain::help::theme_label(form.theme.trim()).is_none() {
        errors.add("theme", "Choisissez le thème de la question.");
    }
    let question = form.question.trim();
    if question.is_empty() || question.chars().count() > 300 {
        errors.add("question", "Saisissez la question (300 caractères au plus).");
    }
    let answer = form.answer.trim();
    if answer.is_empty() || answer.chars().count() > 20_000 {
        errors.add("answer", "Saisissez la réponse (20 000 caractères au plus).");
    }
    let position = errors.check(
        "position",
        form.position.trim().parse::<i64>().map_err(|_| "Indiquez la position par un nombre entier (10, 20…)."),
    );
    match (errors.is_empty(), position) {
        (true, Some(position)) => Ok(store::help::Edit {
            theme: form.theme.trim().to_owned(),
            question: question.to_owned(),
            answer: answer.to_owned(),
            position,
            published: form.published == "on",
        }),
        _ => Err(errors),
    }
}

/// `POST /gestion/aide/{slug}`: saves, publishes or unpublishes an entry (platform admins).
pub async fn edit(
    State(state): State<AppState>,
    chrome: Chrome,
    client: Client,
    Staff(user): Staff,
    Path(slug): Path<String>,
    Form(form): Form<EntryForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditContent)?;
    let entry = store::help::by_slug(&state.db, &slug).await?.ok_or(AppError::NotFound)?;
    let edit = match check(&form) {
        Ok(edit) => edit,
        Err(errors) => {
            let page = EditPage {
                chrome,
                preview: markdown_to_html(&form.answer),
                form,
                slug,
                errors,
                themes: &domain::help::THEMES,
            };
            return render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let version = form.version.trim().parse::<i64>().unwrap_or(-1);
    let now = state.now();
    let txn = store::db::write(&state.db).await?;
    if !store::help::update(&txn, entry.id, version, edit, user.account.id, now).await? {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            code: "help_entry_changed",
            message:
                "Cette question a été modifiée entre-temps : rechargez la page pour repartir de la dernière version."
                    .into(),
        });
    }
    audit(&txn, &user.actor(), "help.entry_edited", Some(("help_entry", slug.clone())), &client, now).await?;
    txn.commit().await?;
    Ok(Redirect::to("/gestion/aide?notice=aide").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html_without_raw_markup_or_unsafe_links() {
        let html = markdown_to_html("**Gras** et [guide](/aide/guides/connexion)\n\n- un\n- deux");
        assert!(html.contains("<strong>Gras</strong>") && html.contains("href=\"/aide/guides/connexion\""), "{html}");
        assert!(html.contains("<li>un</li>"), "{html}");
        let html = markdown_to_html("<script>alert(1)</script>");
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"), "{html}");
        let html = markdown_to_html("Voir [x](javascript:alert(1)) et [y](//evil.example) ou <b onclick=\"x\">b</b>");
        assert!(!html.contains("href=\"javascript:") && !html.contains("href=\"//evil"), "{html}");
        assert!(html.contains("href=\"#\"") && !html.contains("<b "), "{html}");
        let html = markdown_to_html("![image](https://exemple.fr/x.png)");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn markdown_becomes_the_blocks_of_a_printable_guide() {
        use documents::guide::{Block, Span};
        let blocks = markdown_to_blocks("Intro **gras** fin.\n\n## Titre\n\n- un [lien](/aide)\n- deux\n\nSuite.");
        assert_eq!(
            blocks[0],
            Block::Paragraph {
                spans: vec![
                    Span { text: "Intro ".into(), bold: false },
                    Span { text: "gras".into(), bold: true },
                    Span { text: " fin.".into(), bold: false }
                ]
            }
        );
        assert_eq!(blocks[1], Block::Heading { text: "Titre".into() });
        assert!(
            matches!(&blocks[2], Block::Item { spans } if spans.iter().map(|s| s.text.as_str()).collect::<String>() == "un lien")
        );
        assert!(matches!(&blocks[3], Block::Item { .. }));
        assert!(matches!(&blocks[4], Block::Paragraph { .. }));
        assert_eq!(blocks.len(), 5);
    }

    #[test]
    fn every_shipped_guide_and_faq_entry_reads() {
        assert_eq!(guides(&Names::default()).len(), crate::help_content::GUIDES.len());
        for (file, text) in crate::help_content::FAQ {
            let slug = domain::help::slug_from_file_name(file).unwrap();
            domain::help::parse_entry(slug, text).unwrap();
        }
    }
}
