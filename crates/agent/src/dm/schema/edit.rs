//! Cutting a schema down to what one device has: a CPE's model is the
//! facts intersected with the names it reports, with its own writability
//! and its vendor extensions added.

use super::{Access, Kind, NodeId, Schema};

impl Schema {
    /// Adds one item after parsing, as a facts row would (`ty` as the facts
    /// name types: `object`, `string`, `boolean`, ...). An item whose
    /// parent is not in the schema is skipped, like a filtered subtree.
    pub fn extend(&mut self, path: &str, ty: &str, access: &str) -> Result<(), String> {
        if self.index.contains_key(path) {
            return Ok(());
        }
        self.add_row(path, ty, access, &[])
    }

    /// Overrides who may write a parameter, or whether a table takes Add
    /// and Delete: the device, not the standard, decides.
    pub fn set_writable(&mut self, id: NodeId, writable: bool) {
        let Some(node) = self.nodes.get_mut(id) else {
            return;
        };
        match &mut node.kind {
            Kind::Param(p) => {
                p.access = match (writable, p.access) {
                    (false, _) => Access::ReadOnly,
                    (true, Access::ReadOnly) => Access::ReadWrite,
                    (true, a) => a,
                }
            }
            Kind::Object(o) if o.multi => o.writable = writable,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    const FACTS: &str = "path\ttype\taccess\tflags\n\
Device.\tobject\treadOnly\t\n\
Device.A.\tobject\treadOnly\t\n\
Device.A.T.{i}.\tobject\treadWrite\tmulti\n\
Device.A.P\tstring\treadWrite\t\n";

    #[test]
    fn extends_and_overrides() {
        let mut s = Schema::parse(FACTS, "urn:x", &|_| true).unwrap();
        s.extend("Device.X_V_Box.", "object", "readOnly").unwrap();
        s.extend("Device.X_V_Box.Speed", "unsignedInt", "readWrite")
            .unwrap();
        s.extend("Device.Nowhere.Z", "string", "readOnly").unwrap();
        let speed = s.find("Device.X_V_Box.Speed").unwrap();
        assert_eq!(s.node(speed).param().unwrap().ty, ParamType::UnsignedInt);
        assert!(s.find("Device.Nowhere.Z").is_none());
        assert!(s.extend("Device.X_V_Box.Bad", "float", "readOnly").is_err());

        let p = s.find("Device.A.P").unwrap();
        s.set_writable(p, false);
        assert_eq!(s.node(p).param().unwrap().access, Access::ReadOnly);
        s.set_writable(p, true);
        assert_eq!(s.node(p).param().unwrap().access, Access::ReadWrite);
        let t = s.find("Device.A.T.{i}.").unwrap();
        s.set_writable(t, false);
        assert!(!s.node(t).object().unwrap().writable);
    }
}
