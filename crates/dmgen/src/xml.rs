//! A minimal element tree over quick-xml, enough to walk a BBF data model
//! document. Text content is dropped: the generator needs only element names
//! and attributes, and descriptions make up most of a BBF file.

use anyhow::{bail, Context, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Deeper nesting than any BBF document uses; guards the recursion below.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Default)]
pub struct Element {
    /// Local name (namespace prefix stripped).
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
}

impl Element {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn children_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Element> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Parses a whole document and returns its root element.
pub fn parse(text: &str) -> Result<Element> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    // A virtual document node collects the root element.
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .with_context(|| format!("XML error near byte {pos}"))?;
        match event {
            Event::Start(start) => {
                if stack.len() > MAX_DEPTH {
                    bail!("XML nested deeper than {MAX_DEPTH} elements near byte {pos}");
                }
                stack.push(element(&start)?);
            }
            Event::End(_) => {
                let done = stack.pop().context("unbalanced XML end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => bail!("unbalanced XML end tag near byte {pos}"),
                }
            }
            Event::DocType(_) => bail!("DTDs are not accepted in a data model file"),
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        bail!("XML document ends inside an element");
    }
    let mut doc = stack.pop().context("empty XML document")?;
    if doc.children.len() != 1 {
        bail!("XML document has no single root element");
    }
    doc.children.pop().context("empty XML document")
}

fn element(start: &BytesStart<'_>) -> Result<Element> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.with_context(|| format!("bad attribute on <{name}>"))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .with_context(|| format!("bad attribute value on <{name}>"))?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tree_and_unescapes_attributes() {
        let root = parse(
            r#"<?xml version="1.0"?><dm:doc xmlns:dm="x"><a n="1&amp;2"><b/>text</a><a/></dm:doc>"#,
        )
        .unwrap();
        assert_eq!(root.name, "doc");
        assert_eq!(root.children_named("a").count(), 2);
        assert_eq!(root.children[0].attr("n"), Some("1&2"));
        assert_eq!(root.children[0].children[0].name, "b");
    }

    #[test]
    fn rejects_broken_documents() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<!DOCTYPE a><a/>").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
