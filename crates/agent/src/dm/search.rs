//! Search expressions (`[Param==value && ...]`) checked against the
//! schema and applied to values: which operators suit which types, and
//! what a constant must look like, so a bad expression is 7008 before any
//! instance is read.

use std::cmp::Ordering;

use usp::path::{Comparison, Expr, Op, Segment, Value};

use super::resolve::ResolveError;
use super::schema::{Kind, NodeId, Param, ParamType, Schema};
use super::value::{compare_numbers, number};

/// Checks, from the schema alone, the components of an expression that do
/// not follow references: the parameter exists below the table without
/// entering a child table, and the operator suits its type.
pub(super) fn check_expr(schema: &Schema, table: NodeId, expr: &Expr) -> Result<(), ResolveError> {
    for c in &expr.0 {
        if c.param
            .iter()
            .any(|s| matches!(s, Segment::Reference { .. }))
        {
            continue;
        }
        let mut node = table;
        for (i, seg) in c.param.iter().enumerate() {
            let Segment::Name(n) = seg else {
                return Err(ResolveError::Syntax(format!(
                    "bad expression component {c}"
                )));
            };
            let Some(child) = schema.child(node, n) else {
                return Err(ResolveError::Invalid(format!("{c}: no parameter {n} here")));
            };
            let last = i + 1 == c.param.len();
            match (&schema.node(child).kind, last) {
                (Kind::Param(p), true) => {
                    compare(p, zero_for(p), c)?;
                }
                (Kind::Object(o), false) if !o.multi => {}
                (Kind::Object(o), false) if o.multi => {
                    return Err(ResolveError::Syntax(format!(
                        "{c}: an expression may not enter a child table"
                    )))
                }
                _ => {
                    return Err(ResolveError::Invalid(format!(
                        "{c}: {n} is not a parameter"
                    )))
                }
            }
            node = child;
        }
    }
    Ok(())
}

fn zero_for(p: &Param) -> &'static str {
    super::value::zero(p.ty)
}

/// Applies one comparison to one value; an operator or constant that does
/// not suit the parameter's type is 7008.
pub(super) fn compare(p: &Param, actual: &str, c: &Comparison) -> Result<bool, ResolveError> {
    let bad = |why: &str| Err(ResolveError::Syntax(format!("{c}: {why}")));
    let (constant, quoted) = match &c.value {
        Value::String(s) => (s.as_str(), true),
        Value::Raw(s) => (s.as_str(), false),
    };
    if c.op == Op::Contains {
        if !p.list {
            return bad("~= only applies to list parameters");
        }
        return Ok(actual.split(',').any(|i| i.trim() == constant));
    }
    if p.ty.is_numeric() && !p.list {
        if quoted || number(constant).is_none() {
            return bad("a numeric parameter compares with an unquoted number");
        }
        let Some(ord) = compare_numbers(actual, constant) else {
            return Ok(false);
        };
        return Ok(match c.op {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Gt => ord == Ordering::Greater,
            Op::Le => ord != Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
            Op::Contains => false,
        });
    }
    if !matches!(c.op, Op::Eq | Op::Ne) {
        return bad("only == and != apply to this parameter's type");
    }
    let equal = if p.ty == ParamType::Boolean && !p.list {
        let as_bool = |v: &str| match v {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        };
        if quoted {
            return bad("a boolean constant is unquoted");
        }
        let Some(want) = as_bool(constant) else {
            return bad("not a boolean constant");
        };
        as_bool(actual) == Some(want)
    } else {
        actual == constant
    };
    Ok(equal == (c.op == Op::Eq))
}
