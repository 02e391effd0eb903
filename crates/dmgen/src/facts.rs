//! Renders a model as a facts file: one tab-separated line per object,
//! parameter, command and event (format described in mappings/README.md).

use std::fmt::Write as _;

use crate::bbf::{Argument, Model, Object, Parameter};

/// BBF inputs the facts are made from, and the facts file each one gives.
pub const SOURCES: [(&str, &str); 3] = [
    ("tr-181-2-17-0-cwmp-full.xml", "tr-181-2-17-0-cwmp.tsv"),
    ("tr-098-1-8-0-full.xml", "tr-098-1-8-0.tsv"),
    ("tr-181-2-16-0-usp-full.xml", "tr-181-2-16-0-usp.tsv"),
];

pub const HEADER: &str = "path\ttype\taccess\tflags";

pub fn render(model: &Model, source: &str) -> String {
    let mut out = String::with_capacity(512 * 1024);
    let _ = writeln!(
        out,
        "# {} from {source} by dmgen; do not edit (see mappings/README.md)",
        model.name
    );
    out.push_str(HEADER);
    out.push('\n');
    for obj in &model.objects {
        line(
            &mut out,
            &obj.path,
            "object",
            &obj.access,
            &object_flags(obj),
        );
        for p in &obj.parameters {
            let path = format!("{}{}", obj.path, p.name);
            line(
                &mut out,
                &path,
                &p.syntax.ty,
                &p.access,
                &parameter_flags(p),
            );
        }
        for c in &obj.commands {
            let mut flags = Vec::new();
            if c.is_async {
                flags.push("async".to_owned());
            }
            if !c.inputs.is_empty() {
                flags.push(format!("in={}", arguments(&c.inputs)));
            }
            if !c.outputs.is_empty() {
                flags.push(format!("out={}", arguments(&c.outputs)));
            }
            line(
                &mut out,
                &format!("{}{}", obj.path, c.name),
                "command",
                "-",
                &flags,
            );
        }
        for e in &obj.events {
            let flags: Vec<String> = if e.arguments.is_empty() {
                Vec::new()
            } else {
                vec![format!("args={}", arguments(&e.arguments))]
            };
            line(
                &mut out,
                &format!("{}{}", obj.path, e.name),
                "event",
                "-",
                &flags,
            );
        }
    }
    out
}

fn line(out: &mut String, path: &str, ty: &str, access: &str, flags: &[String]) {
    let _ = writeln!(out, "{path}\t{ty}\t{access}\t{}", flags.join(" "));
}

fn object_flags(obj: &Object) -> Vec<String> {
    let mut flags = Vec::new();
    if obj.multi {
        flags.push("multi".to_owned());
    }
    if !obj.unique_keys.is_empty() {
        let keys: Vec<String> = obj
            .unique_keys
            .iter()
            .map(|k| {
                let mark = if k.functional { "" } else { "~" };
                format!("{mark}{}", k.parameters.join(","))
            })
            .collect();
        flags.push(format!("keys={}", keys.join(";")));
    }
    if let Some(n) = &obj.num_entries {
        flags.push(format!("count={n}"));
    }
    if let Some(s) = &obj.status {
        flags.push(s.clone());
    }
    flags
}

fn parameter_flags(p: &Parameter) -> Vec<String> {
    let mut flags = Vec::new();
    if p.syntax.list {
        flags.push("list".to_owned());
    }
    if p.syntax.hidden {
        flags.push("hidden".to_owned());
    }
    if let Some(s) = &p.status {
        flags.push(s.clone());
    }
    flags
}

fn arguments(args: &[Argument]) -> String {
    args.iter()
        .map(|a| format!("{}:{}", a.path, a.ty))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bbf::{Command, Event, Syntax, UniqueKey};

    fn arg(path: &str, ty: &str) -> Argument {
        Argument {
            path: path.into(),
            ty: ty.into(),
        }
    }

    #[test]
    fn renders_every_kind_of_line() {
        let model = Model {
            name: "Device:2.99".into(),
            objects: vec![Object {
                path: "Device.Map.{i}.".into(),
                access: "readWrite".into(),
                multi: true,
                status: None,
                unique_keys: vec![
                    UniqueKey {
                        functional: false,
                        parameters: vec!["Alias".into()],
                    },
                    UniqueKey {
                        functional: true,
                        parameters: vec!["Port".into(), "Proto".into()],
                    },
                ],
                num_entries: Some("MapNumberOfEntries".into()),
                parameters: vec![Parameter {
                    name: "Ports".into(),
                    access: "readWrite".into(),
                    syntax: Syntax {
                        ty: "string".into(),
                        list: true,
                        hidden: true,
                        ..Syntax::default()
                    },
                    status: Some("deprecated".into()),
                }],
                commands: vec![Command {
                    name: "Ping()".into(),
                    is_async: true,
                    inputs: vec![arg("Host", "string")],
                    outputs: vec![arg("Hop.{i}.RTT", "int")],
                }],
                events: vec![Event {
                    name: "Boot!".into(),
                    arguments: vec![arg("Cause", "string")],
                }],
            }],
        };
        let text = render(&model, "x.xml");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("# Device:2.99 from x.xml"));
        assert_eq!(lines[1], HEADER);
        assert_eq!(
            lines[2],
            "Device.Map.{i}.\tobject\treadWrite\tmulti keys=~Alias;Port,Proto count=MapNumberOfEntries"
        );
        assert_eq!(
            lines[3],
            "Device.Map.{i}.Ports\tstring\treadWrite\tlist hidden deprecated"
        );
        assert_eq!(
            lines[4],
            "Device.Map.{i}.Ping()\tcommand\t-\tasync in=Host:string out=Hop.{i}.RTT:int"
        );
        assert_eq!(
            lines[5],
            "Device.Map.{i}.Boot!\tevent\t-\targs=Cause:string"
        );
        assert_eq!(lines.len(), 6);
    }
}
