//! Path resolution: a parsed [`Path`] plus the instance tree give the
//! concrete objects, tables or items it addresses. Covers instance numbers,
//! `*`, search expressions and unique-key addressing (one syntax), and
//! reference following (`Param+.`, `Param#n+.`, `Param#*+.`), which only
//! resolves within this engine's schema: a reference elsewhere matches
//! nothing.

use usp::path::{Expr, Path, PathKind, RefIndex, Segment};
use usp::ErrorCode;

use super::schema::{Kind, NodeId, Param, Schema};
use super::search::{check_expr, compare};
use super::{read_param, Data};

/// How deep references may chain (a reference value that itself follows a
/// reference, ...). Bounds work on hostile or cyclic data.
const MAX_REFERENCE_DEPTH: usize = 4;
/// Most locations one path may resolve to.
pub const MAX_RESOLVED: usize = 10_000;

/// One concrete place in the instance tree: a schema node and the instance
/// numbers filling its `{i}`s. A table node with one number fewer than it
/// needs is the table itself (`Device.LocalAgent.MTP.`); an item node
/// (parameter, command, event) carries its object's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub node: NodeId,
    pub inst: Vec<u32>,
}

impl Loc {
    pub fn new(node: NodeId, inst: Vec<u32>) -> Loc {
        Loc { node, inst }
    }

    /// True for a table awaiting an instance identifier.
    pub fn is_table(&self, schema: &Schema) -> bool {
        let n = schema.node(self.node);
        n.is_table() && self.inst.len() + 1 == n.depth
    }

    /// True for an object instance or a single-instance object.
    pub fn is_object(&self, schema: &Schema) -> bool {
        let n = schema.node(self.node);
        n.object().is_some() && self.inst.len() == n.depth
    }

    /// The instantiated path (objects end in `.`, commands in `()`, events
    /// in `!`).
    pub fn path(&self, schema: &Schema) -> String {
        schema.render(self.node, &self.inst)
    }
}

/// What a path resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Distinct, in document and instance order.
    pub locs: Vec<Loc>,
    /// True when the path searched (wildcard, expression, reference), so
    /// that finding nothing is a success (R-MSG.4a).
    pub search: bool,
}

/// Why a path did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// Bad search expression for the parameter's type (7008).
    Syntax(String),
    /// Not in the supported data model (7026).
    Invalid(String),
    /// A non-search path naming an instance that does not exist. Get
    /// reports 7026 (R-GET.0), Set 7016, Delete succeeds with nothing.
    NotInstantiated(String),
}

impl ResolveError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ResolveError::Syntax(_) => ErrorCode::InvalidPathSyntax,
            ResolveError::Invalid(_) | ResolveError::NotInstantiated(_) => ErrorCode::InvalidPath,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ResolveError::Syntax(m)
            | ResolveError::Invalid(m)
            | ResolveError::NotInstantiated(m) => m,
        }
    }
}

/// Resolves `path` against `schema` and `data`.
pub fn resolve(schema: &Schema, data: &dyn Data, path: &Path) -> Result<Resolution, ResolveError> {
    resolve_at(schema, data, path, 0)
}

fn resolve_at(
    schema: &Schema,
    data: &dyn Data,
    path: &Path,
    depth: usize,
) -> Result<Resolution, ResolveError> {
    let search = path.is_search() || path.has_reference() || depth > 0;
    let root = schema.root();
    match path.segments.first() {
        Some(Segment::Name(n)) if *n == schema.node(root).name => {}
        _ => {
            return Err(ResolveError::Invalid(format!(
                "{path} is not in the supported data model"
            )))
        }
    }
    let w = Walker {
        schema,
        data,
        path,
        search,
        depth,
    };
    let locs = w.walk(vec![Loc::new(root, Vec::new())], &path.segments[1..])?;
    Ok(Resolution { locs, search })
}

struct Walker<'a> {
    schema: &'a Schema,
    data: &'a dyn Data,
    path: &'a Path,
    search: bool,
    depth: usize,
}

impl Walker<'_> {
    fn invalid(&self, why: &str) -> ResolveError {
        ResolveError::Invalid(format!("{}: {why}", self.path))
    }

    fn walk(&self, mut cur: Vec<Loc>, segs: &[Segment]) -> Result<Vec<Loc>, ResolveError> {
        let s = self.schema;
        // After following a reference, the objects reached may differ in
        // type, so a missing name there means "no match", not 7026.
        let mut lenient = false;
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            let mut next = Vec::new();
            for loc in &cur {
                match seg {
                    Segment::Name(name) => {
                        if loc.is_table(s) {
                            return Err(
                                self.invalid("an instance identifier must follow a table name")
                            );
                        }
                        let fits = |c: NodeId| {
                            matches!(
                                (&s.node(c).kind, last, self.path.kind),
                                (Kind::Object(_), false, _)
                                    | (Kind::Object(_), true, PathKind::Object)
                                    | (Kind::Param(_), true, PathKind::Parameter)
                                    | (Kind::Command(_), true, PathKind::Command)
                                    | (Kind::Event(_), true, PathKind::Event)
                            )
                        };
                        // A CPE's model may hold an object and a command of
                        // one name (CWMP's `IPPing.` beside USP's `IPPing()`).
                        let mut named = s.children_named(loc.node, name);
                        let Some(first) = named.next() else {
                            if lenient {
                                continue;
                            }
                            return Err(self.invalid(&format!("no {name} here")));
                        };
                        let child = std::iter::once(first)
                            .chain(named)
                            .find(|&c| fits(c))
                            .unwrap_or(first);
                        let ok = fits(child);
                        if !ok {
                            if lenient {
                                continue;
                            }
                            return Err(
                                self.invalid(&format!("{name} is not of the kind the path names"))
                            );
                        }
                        next.push(Loc::new(child, loc.inst.clone()));
                    }
                    Segment::Instance(_) | Segment::Wildcard | Segment::Search(_) => {
                        if !loc.is_table(s) {
                            if lenient {
                                continue;
                            }
                            return Err(self.invalid(
                                "an instance identifier after a name that is not a table",
                            ));
                        }
                        self.select(loc, seg, &mut next)?;
                    }
                    Segment::Placeholder => {
                        return Err(self.invalid("{i} only belongs in GetSupportedDM"))
                    }
                    Segment::Reference { name, index } => {
                        let param = s
                            .child(loc.node, name)
                            .filter(|&p| s.node(p).param().is_some() && loc.is_object(s));
                        let Some(param) = param else {
                            if lenient {
                                continue;
                            }
                            return Err(self.invalid(&format!("{name} is not a parameter here")));
                        };
                        self.follow(param, &loc.inst, *index, &mut next);
                    }
                }
                if next.len() > MAX_RESOLVED {
                    return Err(self.invalid("resolves to too many places"));
                }
            }
            if matches!(seg, Segment::Reference { .. }) {
                lenient = true;
            }
            dedup(&mut next);
            cur = next;
        }
        Ok(cur)
    }

    fn select(&self, table: &Loc, seg: &Segment, out: &mut Vec<Loc>) -> Result<(), ResolveError> {
        let node = self.schema.node(table.node);
        let insts = self.data.instances(&node.path, &table.inst);
        let with = |n: u32| {
            let mut v = table.inst.clone();
            v.push(n);
            Loc::new(table.node, v)
        };
        match seg {
            Segment::Instance(n) => {
                if insts.contains(n) {
                    out.push(with(*n));
                } else if !self.search {
                    return Err(ResolveError::NotInstantiated(format!(
                        "{}{n}. does not exist",
                        Loc::new(table.node, table.inst.clone()).path(self.schema)
                    )));
                }
            }
            Segment::Wildcard => out.extend(insts.into_iter().map(with)),
            Segment::Search(expr) => {
                check_expr(self.schema, table.node, expr)?;
                for n in insts {
                    let loc = with(n);
                    if self.matches(&loc, expr)? {
                        out.push(loc);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Follows a reference parameter to the objects its value names.
    fn follow(&self, param: NodeId, inst: &[u32], index: RefIndex, out: &mut Vec<Loc>) {
        if self.depth >= MAX_REFERENCE_DEPTH {
            return;
        }
        let value = read_param(self.schema, self.data, param, inst).unwrap_or_default();
        let items: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let chosen: Vec<&str> = match index.item() {
            Some(n) => (n as usize)
                .checked_sub(1)
                .and_then(|i| items.get(i))
                .copied()
                .into_iter()
                .collect(),
            None => items,
        };
        for item in chosen {
            let Ok(target) = Path::parse_reference_value(item) else {
                continue;
            };
            if target.kind != PathKind::Object {
                continue;
            }
            if let Ok(r) = resolve_at(self.schema, self.data, &target, self.depth + 1) {
                out.extend(r.locs.into_iter().filter(|l| l.is_object(self.schema)));
            }
        }
    }

    fn matches(&self, inst: &Loc, expr: &Expr) -> Result<bool, ResolveError> {
        let mut all = true;
        for c in &expr.0 {
            // Evaluate every component, so a bad one is reported even when
            // an earlier one already failed to match.
            let values = self.operand(inst, &c.param);
            let mut any = false;
            for (p, v) in &values {
                any |= compare(p, v, c)?;
            }
            all &= any;
        }
        Ok(all)
    }

    /// The values (with their parameter facts) a component's relative path
    /// reaches from an instance: several when it follows `#*+`.
    fn operand(&self, from: &Loc, rel: &[Segment]) -> Vec<(Param, String)> {
        let s = self.schema;
        let mut cur = vec![from.clone()];
        for (i, seg) in rel.iter().enumerate() {
            let last = i + 1 == rel.len();
            let mut next = Vec::new();
            for loc in &cur {
                match seg {
                    Segment::Name(n) => {
                        let Some(c) = s.child(loc.node, n) else {
                            continue;
                        };
                        let node = s.node(c);
                        match (&node.kind, last) {
                            (Kind::Param(_), true) => next.push(Loc::new(c, loc.inst.clone())),
                            (Kind::Object(o), false) if !o.multi => {
                                next.push(Loc::new(c, loc.inst.clone()))
                            }
                            _ => {}
                        }
                    }
                    Segment::Reference { name, index } => {
                        if let Some(p) = s
                            .child(loc.node, name)
                            .filter(|&p| s.node(p).param().is_some())
                        {
                            self.follow(p, &loc.inst, *index, &mut next);
                        }
                    }
                    _ => {}
                }
            }
            cur = next;
        }
        cur.into_iter()
            .filter_map(|l| {
                let p = s.node(l.node).param()?.clone();
                let v = read_param(s, self.data, l.node, &l.inst)?;
                Some((p, v))
            })
            .collect()
    }
}

fn dedup(v: &mut Vec<Loc>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|l| seen.insert(l.clone()));
}
