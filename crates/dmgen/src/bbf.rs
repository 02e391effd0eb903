//! Reads a BBF "full" data model XML into the facts the generator works on:
//! every object, parameter, command and event in `{i}` path form, with base
//! types resolved through the document's named data types.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::xml::{self, Element};

/// Base types a parameter can have after data type resolution.
pub const BASE_TYPES: [&str; 10] = [
    "string",
    "int",
    "unsignedInt",
    "long",
    "unsignedLong",
    "boolean",
    "dateTime",
    "base64",
    "hexBinary",
    "decimal",
];

/// Named data types nest through `base`; real documents go three deep.
const MAX_TYPE_CHAIN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// `name` of the `<model>` element, e.g. `Device:2.17`.
    pub name: String,
    /// Objects in document order (a parent always precedes its children).
    pub objects: Vec<Object>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Full path in `{i}` form, ending in `.`.
    pub path: String,
    pub access: String,
    pub multi: bool,
    pub status: Option<String>,
    /// Each key is a list of parameter names; `functional` as in the XML.
    pub unique_keys: Vec<UniqueKey>,
    /// Parent-relative name of the parameter counting this table's entries.
    pub num_entries: Option<String>,
    pub parameters: Vec<Parameter>,
    pub commands: Vec<Command>,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueKey {
    pub functional: bool,
    pub parameters: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub access: String,
    pub syntax: Syntax,
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Syntax {
    /// Wire type: list-valued parameters are strings whatever their items.
    pub ty: String,
    pub list: bool,
    pub hidden: bool,
    /// `<default type="object">`, the value a new instance starts with.
    pub default: Option<String>,
    pub enums: Vec<String>,
    /// Lowest allowed value of a numeric type, when the range says so.
    pub min: Option<i64>,
    pub max_len: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    pub is_async: bool,
    pub inputs: Vec<Argument>,
    pub outputs: Vec<Argument>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub arguments: Vec<Argument>,
}

/// A command or event argument: relative path (may cross `{i}` objects) and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argument {
    pub path: String,
    pub ty: String,
}

impl Model {
    pub fn object(&self, path: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.path == path)
    }
}

impl Object {
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }

    pub fn writable(&self) -> bool {
        self.access == "readWrite"
    }
}

impl Parameter {
    pub fn writable(&self) -> bool {
        self.access != "readOnly"
    }
}

/// Reads and parses a model file, with the file name in every error.
pub fn load(path: &Path) -> Result<Model> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not a usable BBF data model", path.display()))
}

pub fn parse(text: &str) -> Result<Model> {
    let doc = xml::parse(text)?;
    if doc.name != "document" {
        bail!("root element is <{}>, not a BBF <document>", doc.name);
    }
    let types = DataTypes::collect(&doc)?;
    let model = doc.child("model").context("no <model> element")?;
    let name = model
        .attr("name")
        .context("<model> has no name")?
        .to_owned();
    let mut objects = Vec::new();
    for el in model.children_named("object") {
        if el.attr("status") == Some("deleted") {
            continue;
        }
        objects.push(object(el, &types)?);
    }
    if objects.is_empty() {
        bail!("model {name} defines no objects");
    }
    Ok(Model { name, objects })
}

fn object(el: &Element, types: &DataTypes) -> Result<Object> {
    let path = el
        .attr("name")
        .context("<object> without a name")?
        .to_owned();
    if !path.ends_with('.') {
        bail!("object name {path:?} does not end in '.'");
    }
    let max = el.attr("maxEntries").unwrap_or("1");
    let mut obj = Object {
        multi: max != "1" || path.ends_with("{i}."),
        access: el.attr("access").unwrap_or("readOnly").to_owned(),
        status: el.attr("status").map(str::to_owned),
        num_entries: el.attr("numEntriesParameter").map(str::to_owned),
        unique_keys: Vec::new(),
        parameters: Vec::new(),
        commands: Vec::new(),
        events: Vec::new(),
        path,
    };
    for child in &el.children {
        match child.name.as_str() {
            "uniqueKey" => obj.unique_keys.push(UniqueKey {
                functional: child.attr("functional") != Some("false"),
                parameters: child
                    .children_named("parameter")
                    .filter_map(|p| p.attr("ref").map(str::to_owned))
                    .collect(),
            }),
            "parameter" if child.attr("status") != Some("deleted") => {
                obj.parameters.push(
                    parameter(child, types).with_context(|| format!("in object {}", obj.path))?,
                );
            }
            "command" if child.attr("status") != Some("deleted") => {
                obj.commands.push(command(child, types)?);
            }
            "event" if child.attr("status") != Some("deleted") => {
                obj.events.push(Event {
                    name: name_of(child)?,
                    arguments: arguments(child, types, "")?,
                });
            }
            _ => {}
        }
    }
    Ok(obj)
}

fn name_of(el: &Element) -> Result<String> {
    Ok(el
        .attr("name")
        .with_context(|| format!("<{}> without a name", el.name))?
        .to_owned())
}

fn parameter(el: &Element, types: &DataTypes) -> Result<Parameter> {
    let name = name_of(el)?;
    let syntax_el = el
        .child("syntax")
        .with_context(|| format!("parameter {name} has no <syntax>"))?;
    let syntax = syntax(syntax_el, types).with_context(|| format!("parameter {name}"))?;
    Ok(Parameter {
        access: el.attr("access").unwrap_or("readOnly").to_owned(),
        status: el.attr("status").map(str::to_owned),
        name,
        syntax,
    })
}

fn command(el: &Element, types: &DataTypes) -> Result<Command> {
    let name = name_of(el)?;
    let args = |part: &str| match el.child(part) {
        Some(p) => arguments(p, types, ""),
        None => Ok(Vec::new()),
    };
    Ok(Command {
        is_async: el.attr("async") == Some("true"),
        inputs: args("input").with_context(|| format!("input of {name}"))?,
        outputs: args("output").with_context(|| format!("output of {name}"))?,
        name,
    })
}

/// Arguments of a command's input/output or of an event; arguments inside
/// nested objects get the object's relative path as prefix.
fn arguments(el: &Element, types: &DataTypes, prefix: &str) -> Result<Vec<Argument>> {
    let mut out = Vec::new();
    for child in &el.children {
        match child.name.as_str() {
            "parameter" => {
                let p = parameter(child, types)?;
                out.push(Argument {
                    path: format!("{prefix}{}", p.name),
                    ty: p.syntax.ty,
                });
            }
            "object" => {
                let inner = format!("{prefix}{}", name_of(child)?);
                out.extend(arguments(child, types, &inner)?);
            }
            _ => {}
        }
    }
    Ok(out)
}

fn syntax(el: &Element, types: &DataTypes) -> Result<Syntax> {
    // CWMP files say `hidden`, newer ones `secured`: both read back empty.
    let hidden = el.attr("hidden") == Some("true") || el.attr("secured") == Some("true");
    let mut syn = Syntax {
        hidden,
        ..Syntax::default()
    };
    for child in &el.children {
        match child.name.as_str() {
            "list" => syn.list = true,
            "default" if child.attr("type") == Some("object") => {
                syn.default = child.attr("value").map(str::to_owned);
            }
            "dataType" => {
                // `ref` names a type; `base` derives an anonymous one from it.
                let name = child
                    .attr("ref")
                    .or(child.attr("base"))
                    .context("<dataType> in syntax names no type")?;
                types.resolve(name, &mut syn)?;
                facets(child, &mut syn);
            }
            t if BASE_TYPES.contains(&t) => {
                syn.ty = t.to_owned();
                facets(child, &mut syn);
            }
            _ => {}
        }
    }
    if syn.ty.is_empty() {
        bail!("no type in <syntax>");
    }
    if syn.list {
        // CWMP carries a list of anything as one comma-separated string.
        syn.ty = "string".to_owned();
    }
    Ok(syn)
}

/// Facets of a type element; those nearest the parameter win, so a facet is
/// only taken when nothing closer set it already.
fn facets(el: &Element, syn: &mut Syntax) {
    let enums: Vec<String> = el
        .children_named("enumeration")
        .filter_map(|e| e.attr("value").map(str::to_owned))
        .collect();
    if !enums.is_empty() {
        syn.enums = enums;
    }
    if let Some(min) = el
        .children_named("range")
        .filter_map(|r| r.attr("minInclusive")?.parse::<i64>().ok())
        .min()
    {
        syn.min = Some(min);
    }
    if let Some(max) = el
        .children_named("size")
        .filter_map(|s| s.attr("maxLength")?.parse().ok())
        .max()
    {
        syn.max_len = Some(max);
    }
}

/// The document's named `<dataType>` definitions.
struct DataTypes<'d> {
    by_name: HashMap<&'d str, &'d Element>,
}

impl<'d> DataTypes<'d> {
    fn collect(doc: &'d Element) -> Result<Self> {
        let mut by_name = HashMap::new();
        for el in doc.children_named("dataType") {
            by_name.insert(el.attr("name").context("<dataType> without a name")?, el);
        }
        Ok(DataTypes { by_name })
    }

    /// Fills `syn` from the named type and its `base` chain: the base type
    /// comes from the end of the chain, facets from the nearest definition.
    fn resolve(&self, name: &str, syn: &mut Syntax) -> Result<()> {
        let mut chain = Vec::new();
        let mut current = name;
        loop {
            let el = self
                .by_name
                .get(current)
                .with_context(|| format!("unknown data type {current}"))?;
            chain.push(*el);
            if chain.len() > MAX_TYPE_CHAIN {
                bail!("data type {name} has a base chain longer than {MAX_TYPE_CHAIN}");
            }
            match el.attr("base") {
                Some(base) => current = base,
                None => break,
            }
        }
        // Apply from the root of the chain outwards so nearer facets override.
        let mut from_types = Syntax::default();
        for el in chain.iter().rev() {
            facets(el, &mut from_types);
            for child in &el.children {
                match child.name.as_str() {
                    "list" => syn.list = true,
                    t if BASE_TYPES.contains(&t) => {
                        from_types.ty = t.to_owned();
                        facets(child, &mut from_types);
                    }
                    _ => {}
                }
            }
        }
        if from_types.ty.is_empty() {
            bail!("data type {name} resolves to no base type");
        }
        syn.ty = from_types.ty;
        syn.enums = from_types.enums;
        syn.min = from_types.min;
        syn.max_len = from_types.max_len;
        Ok(())
    }
}

#[cfg(test)]
#[path = "bbf_tests.rs"]
mod tests;
