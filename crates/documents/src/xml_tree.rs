//! A small XML tree for the documents the portal reads (uploaded e-invoices, the bank's returns):
//! elements with their prefix, local name, attributes, text and children. DTDs are refused (no
//! entity expansion, no external entity), unknown entities and very deep nesting too; errors are
//! French sentences naming the line of the file.

use quick_xml::Reader;
use quick_xml::errors::{IllFormedError, SyntaxError};
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesStart, Event};

/// Deepest element nesting accepted: real invoices and statements stay under 15 levels; a cap
/// keeps a hostile file from exhausting the stack when its tree is dropped.
const MAX_XML_DEPTH: usize = 64;

/// An XML element: namespace prefix and local name, attributes, own text, children.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// The namespace prefix as written (`rsm`), if any.
    pub(crate) prefix: Option<String>,
    /// The local name.
    pub(crate) name: String,
    /// Attributes by qualified name (`schemeID`, `xmlns:rsm`).
    pub(crate) attributes: Vec<(String, String)>,
    /// The element's own character data, concatenated.
    pub(crate) text: String,
    /// Child elements, in document order.
    pub(crate) children: Vec<Node>,
}

impl Node {
    pub(crate) fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(crate) fn path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim())
    }

    /// The trimmed text, `None` when empty.
    pub(crate) fn value(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }

    pub(crate) fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.path(path).and_then(Node::value)
    }
}

/// Parses the document into a tree, refusing DTDs (no entity expansion) and unknown entities.
/// The error is a French message naming the line of the file.
pub(crate) fn parse(text: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(text);
    let malformed = |position: u64, problem: String| {
        let position = usize::try_from(position).unwrap_or(usize::MAX).min(text.len());
        let line = text.as_bytes()[..position].iter().filter(|b| **b == b'\n').count() + 1;
        format!("le fichier XML est mal formé (ligne {line} du fichier) : {problem}.")
    };
    let mut open: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let event = reader.read_event().map_err(|e| malformed(reader.error_position(), french(&e)))?;
        match event {
            Event::DocType(_) => {
                return Err(
                    "le fichier XML contient une déclaration DOCTYPE : elle est refusée par sécurité.".to_owned()
                );
            }
            Event::Start(start) => {
                if open.len() >= MAX_XML_DEPTH {
                    return Err("le fichier XML est trop profondément imbriqué.".to_owned());
                }
                open.push(element(&start).map_err(|e| malformed(reader.buffer_position(), french(&e)))?);
            }
            Event::Empty(start) => {
                let node = element(&start).map_err(|e| malformed(reader.buffer_position(), french(&e)))?;
                attach(&mut open, &mut root, node)?;
            }
            Event::End(_) => {
                let node = open.pop().ok_or_else(|| "le fichier XML est mal formé.".to_owned())?;
                attach(&mut open, &mut root, node)?;
            }
            Event::Text(content) => {
                if let Some(node) = open.last_mut() {
                    node.text.push_str(&content.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(node) = open.last_mut() {
                    node.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved =
                    match reference.resolve_char_ref().map_err(|e| malformed(reader.buffer_position(), french(&e)))? {
                        Some(c) => c.to_string(),
                        None => resolve_xml_entity(&reference)
                            .ok_or_else(|| format!("le fichier XML utilise une entité inconnue : &{};", &*reference))?
                            .to_owned(),
                    };
                if let Some(node) = open.last_mut() {
                    node.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(node) = open.last() {
        return Err(format!("le fichier XML est incomplet : l’élément {} n’est pas fermé.", node.name));
    }
    root.ok_or_else(|| "le fichier XML est vide.".to_owned())
}

fn element(start: &BytesStart<'_>) -> Result<Node, quick_xml::Error> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute?;
        let value = attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0)?;
        attributes.push((attribute.key.0.to_owned(), value.into_owned()));
    }
    let qname = start.name();
    Ok(Node {
        prefix: qname.prefix().map(|p| p.into_inner().to_owned()),
        name: qname.local_name().into_inner().to_owned(),
        attributes,
        ..Node::default()
    })
}

fn attach(open: &mut [Node], root: &mut Option<Node>, node: Node) -> Result<(), String> {
    match open.last_mut() {
        Some(parent) => parent.children.push(node),
        None if root.is_none() => *root = Some(node),
        None => return Err("le fichier XML a plusieurs éléments racines.".to_owned()),
    }
    Ok(())
}

/// The XML parser's message, in French.
fn french(error: &quick_xml::Error) -> String {
    match error {
        quick_xml::Error::Syntax(syntax) => match syntax {
            SyntaxError::InvalidBangMarkup => "balise « <! » inconnue ou incomplète".to_owned(),
            SyntaxError::UnclosedPI => "instruction de traitement non fermée (« ?> » manquant)".to_owned(),
            SyntaxError::UnclosedXmlDecl => "déclaration XML non fermée (« ?> » manquant)".to_owned(),
            SyntaxError::UnclosedComment => "commentaire non fermé (« --> » manquant)".to_owned(),
            SyntaxError::UnclosedDoctype => "déclaration DOCTYPE non fermée (« > » manquant)".to_owned(),
            SyntaxError::UnclosedCData => "section CDATA non fermée (« ]]> » manquant)".to_owned(),
            SyntaxError::UnclosedTag => "balise non fermée (« > » manquant avant la fin du fichier)".to_owned(),
            SyntaxError::UnclosedSingleQuotedAttributeValue | SyntaxError::UnclosedDoubleQuotedAttributeValue => {
                "valeur d’attribut non fermée (guillemet manquant)".to_owned()
            }
        },
        quick_xml::Error::IllFormed(ill) => match ill {
            IllFormedError::MissingDeclVersion(_) => "la déclaration XML n’indique pas sa version".to_owned(),
            IllFormedError::UnknownVersion => "version XML inconnue (1.0 ou 1.1 attendue)".to_owned(),
            IllFormedError::MissingDoctypeName => "déclaration DOCTYPE sans nom".to_owned(),
            IllFormedError::MissingEndTag(tag) => format!("la balise <{tag}> n’est pas fermée"),
            IllFormedError::UnmatchedEndTag(tag) => {
                format!("la balise fermante </{tag}> ne correspond à aucune balise ouverte")
            }
            IllFormedError::MismatchedEndTag { expected, found } => {
                format!("balise fermante </{found}> trouvée là où </{expected}> était attendue")
            }
            IllFormedError::DoubleHyphenInComment => "« -- » est interdit dans un commentaire".to_owned(),
            IllFormedError::UnclosedReference => "référence d’entité non fermée (« ; » manquant)".to_owned(),
        },
        quick_xml::Error::InvalidAttr(e) => format!("attribut invalide ({e})"),
        quick_xml::Error::Escape(e) => format!("entité ou référence de caractère invalide ({e})"),
        quick_xml::Error::Encoding(e) => format!("encodage invalide ({e})"),
        other => format!("erreur de lecture ({other})"),
    }
}
