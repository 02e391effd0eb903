//! The supported data model: objects, parameters, commands and events read
//! from a facts TSV (`mappings/README.md`), restricted by the caller to the
//! part of the model this engine owns.

use std::collections::HashMap;

mod edit;

/// Index of a node in its [`Schema`].
pub type NodeId = usize;

/// A parameter's base type, as the facts file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    String,
    Int,
    UnsignedInt,
    Long,
    UnsignedLong,
    Boolean,
    DateTime,
    Base64,
    HexBinary,
    Decimal,
}

impl ParamType {
    fn parse(s: &str) -> Option<ParamType> {
        Some(match s {
            "string" => ParamType::String,
            "int" => ParamType::Int,
            "unsignedInt" => ParamType::UnsignedInt,
            "long" => ParamType::Long,
            "unsignedLong" => ParamType::UnsignedLong,
            "boolean" => ParamType::Boolean,
            "dateTime" => ParamType::DateTime,
            "base64" => ParamType::Base64,
            "hexBinary" => ParamType::HexBinary,
            "decimal" => ParamType::Decimal,
            _ => return None,
        })
    }

    /// Integer types compare as numbers in search expressions.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ParamType::Int
                | ParamType::UnsignedInt
                | ParamType::Long
                | ParamType::UnsignedLong
                | ParamType::Decimal
        )
    }
}

/// Who may write a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
    /// Writable when the object is created (and while still empty).
    WriteOnceReadOnly,
}

/// One unique key of a table: its parameter names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    pub names: Vec<String>,
    /// False for keys the facts mark `~` (non-functional, e.g. Alias).
    pub functional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// A multi-instance table (its path ends in `{i}.`).
    pub multi: bool,
    /// Add and Delete are allowed (tables only).
    pub writable: bool,
    pub keys: Vec<KeySet>,
    /// The parent's parameter counting this table's entries.
    pub count: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub ty: ParamType,
    pub access: Access,
    pub list: bool,
    /// Reads back as "" (passwords, keys).
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub is_async: bool,
    pub input: Vec<String>,
    pub output: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Object(Object),
    Param(Param),
    Command(Command),
    Event(Event),
}

/// One item of the supported data model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Last path segment (`MTP`, `Enable`, `Reboot` for `Reboot()`).
    pub name: String,
    /// Full path in `{i}` form, as in the facts file.
    pub path: String,
    pub parent: Option<NodeId>,
    /// In document order.
    pub children: Vec<NodeId>,
    pub kind: Kind,
    /// How many instance numbers an instance of this node (or, for an
    /// item, of its object) needs: the number of `{i}` in `path`.
    pub depth: usize,
}

impl Node {
    pub fn object(&self) -> Option<&Object> {
        match &self.kind {
            Kind::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn param(&self) -> Option<&Param> {
        match &self.kind {
            Kind::Param(p) => Some(p),
            _ => None,
        }
    }

    pub fn is_table(&self) -> bool {
        self.object().is_some_and(|o| o.multi)
    }
}

/// Why a facts file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("facts line {line}: {reason}")]
pub struct SchemaError {
    pub line: usize,
    pub reason: String,
}

/// The supported data model an engine answers for.
#[derive(Debug, Clone)]
pub struct Schema {
    nodes: Vec<Node>,
    index: HashMap<String, NodeId>,
    uri: String,
}

impl Schema {
    /// Parses a facts TSV, keeping the rows whose `{i}` path `keep` accepts
    /// and whose parent object was kept. Obsoleted items are left out. The
    /// first row must be the root object (`Device.`) and must be kept.
    /// `uri` is the `data_model_inst_uri` GetSupportedDM reports.
    pub fn parse(
        facts: &str,
        uri: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Schema, SchemaError> {
        let mut s = Schema {
            nodes: Vec::new(),
            index: HashMap::new(),
            uri: uri.to_owned(),
        };
        let mut header_seen = false;
        for (i, line) in facts.lines().enumerate() {
            let line_no = i + 1;
            let err = |reason: String| SchemaError {
                line: line_no,
                reason,
            };
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            if !header_seen {
                if !line.starts_with("path\t") {
                    return Err(err("expected the header line".into()));
                }
                header_seen = true;
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(path), Some(ty), Some(access)) = (cols.next(), cols.next(), cols.next())
            else {
                return Err(err("fewer than 3 columns".into()));
            };
            let flags: Vec<&str> = cols.next().unwrap_or("").split_whitespace().collect();
            if flags.contains(&"obsoleted") || !keep(path) {
                continue;
            }
            s.add_row(path, ty, access, &flags).map_err(err)?;
        }
        if s.nodes.is_empty() {
            return Err(SchemaError {
                line: 0,
                reason: "no root object".into(),
            });
        }
        Ok(s)
    }

    fn add_row(
        &mut self,
        path: &str,
        ty: &str,
        access: &str,
        flags: &[&str],
    ) -> Result<(), String> {
        let flag = |name: &str| flags.contains(&name);
        let value = |name: &str| {
            flags
                .iter()
                .find_map(|f| f.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        };
        let names = |v: Option<&str>| -> Vec<String> {
            v.map(|v| {
                v.split(',')
                    .filter_map(|a| a.split(':').next())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
        };
        let (parent_path, name, kind) = if ty == "object" {
            let multi = path.ends_with(".{i}.");
            let base = if multi { &path[..path.len() - 4] } else { path };
            let trimmed = base.strip_suffix('.').ok_or("object path without '.'")?;
            let (parent, name) = match trimmed.rfind('.') {
                Some(d) => (&trimmed[..=d], &trimmed[d + 1..]),
                None => ("", trimmed),
            };
            let keys = value("keys")
                .map(|k| {
                    k.split(';')
                        .map(|set| KeySet {
                            functional: !set.starts_with('~'),
                            names: set
                                .trim_start_matches('~')
                                .split(',')
                                .map(str::to_owned)
                                .collect(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let o = Object {
                multi,
                writable: multi && access == "readWrite",
                keys,
                count: value("count").map(str::to_owned),
            };
            (parent, name, Kind::Object(o))
        } else {
            let (item, kind) = match ty {
                "command" => (
                    path.strip_suffix("()").ok_or("command without ()")?,
                    Kind::Command(Command {
                        is_async: flag("async"),
                        input: names(value("in")),
                        output: names(value("out")),
                    }),
                ),
                "event" => (
                    path.strip_suffix('!').ok_or("event without !")?,
                    Kind::Event(Event {
                        args: names(value("args")),
                    }),
                ),
                t => {
                    let ty = ParamType::parse(t).ok_or_else(|| format!("unknown type {t:?}"))?;
                    let access = match access {
                        "readOnly" => Access::ReadOnly,
                        "readWrite" => Access::ReadWrite,
                        "writeOnceReadOnly" => Access::WriteOnceReadOnly,
                        a => return Err(format!("unknown access {a:?}")),
                    };
                    (
                        path,
                        Kind::Param(Param {
                            ty,
                            access,
                            list: flag("list"),
                            hidden: flag("hidden"),
                        }),
                    )
                }
            };
            let d = item.rfind('.').ok_or("item without parent")?;
            (&item[..=d], &item[d + 1..], kind)
        };
        if name.is_empty() {
            return Err("empty name".into());
        }
        let parent = if parent_path.is_empty() {
            if !self.nodes.is_empty() {
                return Err("a second root object".into());
            }
            None
        } else {
            match self.index.get(parent_path) {
                Some(&p) => Some(p),
                // The parent was filtered out: so is its subtree.
                None if !self.nodes.is_empty() => return Ok(()),
                None => return Err("the first row must be the root object".into()),
            }
        };
        let id = self.nodes.len();
        self.nodes.push(Node {
            name: name.to_owned(),
            path: path.to_owned(),
            parent,
            children: Vec::new(),
            kind,
            depth: path.matches("{i}").count(),
        });
        if let Some(p) = parent {
            self.nodes[p].children.push(id);
        }
        self.index.insert(path.to_owned(), id);
        Ok(())
    }

    pub fn root(&self) -> NodeId {
        0
    }

    /// # Panics
    /// Never for ids this schema handed out.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node with this `{i}` path.
    pub fn find(&self, path: &str) -> Option<NodeId> {
        self.index.get(path).copied()
    }

    pub fn child(&self, id: NodeId, name: &str) -> Option<NodeId> {
        self.nodes[id]
            .children
            .iter()
            .copied()
            .find(|&c| self.nodes[c].name == name)
    }

    /// Every child called `name`: a command and an object may share one.
    pub fn children_named<'a>(
        &'a self,
        id: NodeId,
        name: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.nodes[id]
            .children
            .iter()
            .copied()
            .filter(move |&c| self.nodes[c].name == name)
    }

    /// The `data_model_inst_uri` of this model.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The table whose entries `param` counts (`count=` of a child table).
    pub fn counted_table(&self, param: NodeId) -> Option<NodeId> {
        let n = &self.nodes[param];
        let parent = n.parent?;
        self.nodes[parent].children.iter().copied().find(|&c| {
            self.nodes[c]
                .object()
                .and_then(|o| o.count.as_deref())
                .is_some_and(|c| c == n.name)
        })
    }

    /// The path of `id` with the `{i}` filled from `inst`. With one number
    /// fewer than the node needs, a table node renders as the table path
    /// (`Device.LocalAgent.MTP.`).
    pub fn render(&self, id: NodeId, inst: &[u32]) -> String {
        fill(&self.nodes[id].path, inst)
    }
}

/// A `{i}` path with its placeholders filled from `inst`, outermost
/// first; it stops before the first `{i}` left without a number.
pub fn fill(template: &str, inst: &[u32]) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    let mut nums = inst.iter();
    while let Some(i) = rest.find("{i}") {
        out.push_str(&rest[..i]);
        match nums.next() {
            Some(n) => out.push_str(&n.to_string()),
            None => return out,
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
