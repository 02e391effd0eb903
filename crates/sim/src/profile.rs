//! Profiles: the parameters a simulated CPE starts with (names, types,
//! writability, default values), loaded once and shared by every CPE.
//!
//! Two formats, both one row per parameter or object:
//! JSON `{"root": "Device.", "parameters": [{"name", "type", "writable", "value"}]}`
//! and CSV with the header `name,type,writable,value`. Rows whose name
//! contains `{i}` are templates: the parameters of a newly added instance.

use std::collections::HashMap;
use std::sync::Arc;

use cwmp::ValueType;

/// The two profiles shipped inside the binary.
const TR181_JSON: &str = include_str!("../../../mappings/profiles/tr181-home-gateway.json");
const TR098_JSON: &str = include_str!("../../../mappings/profiles/tr098-home-gateway.json");

/// Files larger than this are refused before parsing.
pub const MAX_PROFILE_BYTES: usize = 16 * 1024 * 1024;
/// More rows than this are refused.
pub const MAX_ROWS: usize = 200_000;
/// Longest accepted parameter name (TR-069 allows 256 characters).
pub const MAX_NAME_LEN: usize = 256;
/// Longest accepted default value.
pub const MAX_VALUE_LEN: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    #[error("profile is larger than {MAX_PROFILE_BYTES} bytes")]
    TooLarge,
    #[error("profile has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("JSON: {0}")]
    Json(String),
    #[error("CSV line {line}: {msg}")]
    Csv { line: usize, msg: String },
    #[error("row {row} ({name:?}): {msg}")]
    Row {
        row: usize,
        name: String,
        msg: String,
    },
    #[error("profile has no parameters")]
    Empty,
    #[error("unknown built-in model {0:?} (use tr181, tr098 or a file path)")]
    UnknownModel(String),
    #[error("cannot read {path}: {msg}")]
    Io { path: String, msg: String },
}

/// A parameter's kind: an object (name ends with `.`) or a typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Value(ValueType),
}

/// One row of the profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamDef {
    pub name: Box<str>,
    pub kind: Kind,
    /// For a table object: AddObject allowed; for an instance: DeleteObject allowed.
    pub writable: bool,
    pub default: Box<str>,
}

/// A template row, relative to its table's instance: `Enable`, `Stats.`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub suffix: Box<str>,
    pub kind: Kind,
    pub writable: bool,
    pub default: Box<str>,
}

/// A loaded profile. Shared read-only by all CPE (`Arc<Profile>`).
#[derive(Debug)]
pub struct Profile {
    root: Box<str>,
    params: Vec<ParamDef>,
    /// Looked up several times per session by name. Its keys are the
    /// profile's own, fixed at load, so SipHash's flooding resistance buys
    /// nothing here and foldhash is several times cheaper per lookup.
    index: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    /// Key: table path with instance numbers as `{i}`, e.g. `Device.NAT.PortMapping.`.
    templates: HashMap<Box<str>, Vec<TemplateRow>>,
}

#[derive(serde::Deserialize)]
struct JsonProfile {
    #[serde(default)]
    root: Option<String>,
    parameters: Vec<JsonRow>,
}

#[derive(serde::Deserialize)]
struct JsonRow {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    writable: bool,
    #[serde(default)]
    value: serde_json::Value,
}

struct Row {
    name: String,
    ty: String,
    writable: bool,
    value: String,
}

impl Profile {
    /// Resolves `--model`: `tr181`, `tr098` (built in) or a path to a
    /// `.json` or `.csv` file.
    pub fn from_model_arg(model: &str) -> Result<Profile, ProfileError> {
        match model {
            "tr181" => Profile::from_json(TR181_JSON),
            "tr098" => Profile::from_json(TR098_JSON),
            path => {
                let looks_like_path =
                    path.contains('/') || path.contains('.') || std::path::Path::new(path).exists();
                if !looks_like_path {
                    return Err(ProfileError::UnknownModel(path.to_string()));
                }
                let meta = std::fs::metadata(path).map_err(|e| ProfileError::Io {
                    path: path.to_string(),
                    msg: e.to_string(),
                })?;
                if meta.len() > MAX_PROFILE_BYTES as u64 {
                    return Err(ProfileError::TooLarge);
                }
                let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Io {
                    path: path.to_string(),
                    msg: e.to_string(),
                })?;
                Profile::from_text(&text)
            }
        }
    }

    /// JSON when the first non-blank character is `{`, otherwise CSV.
    pub fn from_text(text: &str) -> Result<Profile, ProfileError> {
        if text.trim_start().starts_with('{') {
            Profile::from_json(text)
        } else {
            Profile::from_csv(text)
        }
    }

    pub fn from_json(text: &str) -> Result<Profile, ProfileError> {
        if text.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError::TooLarge);
        }
        let doc: JsonProfile =
            serde_json::from_str(text).map_err(|e| ProfileError::Json(e.to_string()))?;
        if doc.parameters.len() > MAX_ROWS {
            return Err(ProfileError::TooManyRows);
        }
        let rows = doc
            .parameters
            .into_iter()
            .map(|r| Row {
                name: r.name,
                ty: r.ty,
                writable: r.writable,
                value: match r.value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                },
            })
            .collect();
        Profile::build(doc.root, rows)
    }

    /// CSV: header `name,type,writable,value`; fields may be double-quoted
    /// (`""` inside quotes is one quote); `writable` is true/false/1/0.
    pub fn from_csv(text: &str) -> Result<Profile, ProfileError> {
        if text.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError::TooLarge);
        }
        let mut rows = Vec::new();
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            if raw.trim().is_empty() || raw.starts_with('#') {
                continue;
            }
            let fields = split_csv_line(raw).map_err(|msg| ProfileError::Csv { line, msg })?;
            if !header_seen {
                let h: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
                if h != ["name", "type", "writable", "value"] {
                    return Err(ProfileError::Csv {
                        line,
                        msg: "expected the header `name,type,writable,value`".into(),
                    });
                }
                header_seen = true;
                continue;
            }
            if rows.len() >= MAX_ROWS {
                return Err(ProfileError::TooManyRows);
            }
            let [name, ty, writable, value]: [String; 4] =
                fields
                    .try_into()
                    .map_err(|f: Vec<String>| ProfileError::Csv {
                        line,
                        msg: format!("expected 4 fields, found {}", f.len()),
                    })?;
            let writable = match writable.trim() {
                "true" | "1" | "TRUE" | "True" => true,
                "false" | "0" | "" | "FALSE" | "False" => false,
                other => {
                    return Err(ProfileError::Csv {
                        line,
                        msg: format!("writable must be true or false, not {other:?}"),
                    })
                }
            };
            rows.push(Row {
                name: name.trim().to_string(),
                ty: ty.trim().to_string(),
                writable,
                value,
            });
        }
        if !header_seen {
            return Err(ProfileError::Empty);
        }
        Profile::build(None, rows)
    }

    fn build(root: Option<String>, rows: Vec<Row>) -> Result<Profile, ProfileError> {
        let mut params = Vec::with_capacity(rows.len());
        let mut index =
            HashMap::with_capacity_and_hasher(rows.len(), foldhash::fast::RandomState::default());
        let mut templates: HashMap<Box<str>, Vec<TemplateRow>> = HashMap::new();
        for (i, r) in rows.into_iter().enumerate() {
            let bad = |msg: String| ProfileError::Row {
                row: i + 1,
                name: r.name.chars().take(80).collect(),
                msg,
            };
            check_name(&r.name).map_err(&bad)?;
            if r.value.len() > MAX_VALUE_LEN {
                return Err(bad(format!("value longer than {MAX_VALUE_LEN} bytes")));
            }
            let kind = parse_kind(&r.ty).ok_or_else(|| bad(format!("unknown type {:?}", r.ty)))?;
            let is_object_name = r.name.ends_with('.');
            if is_object_name != (kind == Kind::Object) {
                return Err(bad(
                    "objects (type \"object\") and only objects end with '.'".into(),
                ));
            }
            if let Some(pos) = r.name.rfind("{i}.") {
                // The table key is everything up to and including the last
                // `{i}`'s parent; the suffix must hold no further `{i}`.
                let (table, rest) = r.name.split_at(pos);
                let suffix = rest.get(4..).unwrap_or_default();
                if suffix.contains("{i}") {
                    return Err(bad("misplaced {i}".into()));
                }
                templates
                    .entry(table.into())
                    .or_default()
                    .push(TemplateRow {
                        suffix: suffix.into(),
                        kind,
                        writable: r.writable,
                        default: r.value.into(),
                    });
                continue;
            }
            if r.name.contains("{i}") {
                return Err(bad("{i} must stand for a whole path segment".into()));
            }
            if index.contains_key(r.name.as_str()) {
                return Err(bad("duplicate name".into()));
            }
            let id = u32::try_from(params.len()).map_err(|_| ProfileError::TooManyRows)?;
            index.insert(Box::<str>::from(r.name.as_str()), id);
            params.push(ParamDef {
                name: r.name.into(),
                kind,
                writable: r.writable,
                default: r.value.into(),
            });
        }
        let first = params.first().ok_or(ProfileError::Empty)?;
        let root: Box<str> = match root {
            Some(r) => r.into(),
            None => match first.name.find('.') {
                Some(p) => first.name.get(..=p).unwrap_or_default().into(),
                None => return Err(ProfileError::Empty),
            },
        };
        if !root.ends_with('.') || root.len() < 2 {
            return Err(ProfileError::Row {
                row: 0,
                name: root.to_string(),
                msg: "root must be an object name such as \"Device.\"".into(),
            });
        }
        if let Some((i, p)) = params
            .iter()
            .enumerate()
            .find(|(_, p)| !p.name.starts_with(&*root))
        {
            return Err(ProfileError::Row {
                row: i + 1,
                name: p.name.to_string(),
                msg: format!("not under the root {root:?}"),
            });
        }
        Ok(Profile {
            root,
            params,
            index,
            templates,
        })
    }

    /// `Device.` or `InternetGatewayDevice.`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Rows in file order (templates excluded).
    pub fn params(&self) -> &[ParamDef] {
        &self.params
    }

    pub fn id(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn get(&self, id: u32) -> Option<&ParamDef> {
        self.params.get(id as usize)
    }

    /// Template rows of a table (key with `{i}` for instance numbers).
    pub fn template(&self, table_key: &str) -> Option<&[TemplateRow]> {
        self.templates.get(table_key).map(Vec::as_slice)
    }

    pub fn into_shared(self) -> Arc<Profile> {
        Arc::new(self)
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("name longer than {MAX_NAME_LEN} characters"));
    }
    if name.starts_with('.') || name.contains("..") {
        return Err("empty path segment".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '{' | '}')))
    {
        return Err(format!("character {c:?} not allowed in a name"));
    }
    Ok(())
}

fn parse_kind(ty: &str) -> Option<Kind> {
    Some(match ty {
        "object" => Kind::Object,
        "string" => Kind::Value(ValueType::String),
        "int" => Kind::Value(ValueType::Int),
        "unsignedInt" => Kind::Value(ValueType::UnsignedInt),
        "long" => Kind::Value(ValueType::Long),
        "unsignedLong" => Kind::Value(ValueType::UnsignedLong),
        "boolean" => Kind::Value(ValueType::Boolean),
        "dateTime" => Kind::Value(ValueType::DateTime),
        "base64" => Kind::Value(ValueType::Base64),
        "hexBinary" => Kind::Value(ValueType::HexBinary),
        _ => return None,
    })
}

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
        } else if c == '\r' && chars.peek().is_none() {
        } else {
            cur.push(c);
            at_start = false;
        }
        if fields.len() > 16 {
            return Err("too many fields".into());
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(cur);
    Ok(fields)
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
