//! `dmgen`: regenerates mappings/facts and mappings/profiles from the BBF XML.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage:
  dmgen facts --bbf DIR --out DIR
  dmgen profiles --bbf DIR [--out DIR] [--csv] SPEC.spec.json...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the cause chain.
            eprintln!("dmgen: error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

#[derive(Default)]
struct Options {
    bbf: Option<PathBuf>,
    out: Option<PathBuf>,
    csv: bool,
    files: Vec<PathBuf>,
}

fn parse_options(args: &[String]) -> Result<Options> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .map(PathBuf::from)
                .with_context(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--bbf" => o.bbf = Some(value()?),
            "--out" => o.out = Some(value()?),
            "--csv" => o.csv = true,
            flag if flag.starts_with("--") => bail!("unknown option {flag}\n{USAGE}"),
            file => o.files.push(PathBuf::from(file)),
        }
    }
    Ok(o)
}

fn run(args: &[String]) -> Result<()> {
    let (cmd, rest) = args.split_first().context(USAGE)?;
    let o = parse_options(rest)?;
    let bbf = o
        .bbf
        .as_deref()
        .with_context(|| format!("--bbf DIR is required\n{USAGE}"))?;
    if !bbf.is_dir() {
        bail!("BBF directory {} does not exist", bbf.display());
    }
    match cmd.as_str() {
        "facts" => {
            let out = o
                .out
                .as_deref()
                .with_context(|| format!("--out DIR is required\n{USAGE}"))?;
            if !o.files.is_empty() || o.csv {
                bail!("facts takes only --bbf and --out\n{USAGE}");
            }
            facts(bbf, out)
        }
        "profiles" => {
            if o.files.is_empty() {
                bail!("profiles needs at least one spec file\n{USAGE}");
            }
            for spec in &o.files {
                profile(spec, bbf, o.out.as_deref(), o.csv)?;
            }
            Ok(())
        }
        other => bail!("unknown command {other}\n{USAGE}"),
    }
}

fn facts(bbf: &Path, out: &Path) -> Result<()> {
    let generated = dmgen::generate_facts(bbf)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, text) in generated {
        let path = out.join(name);
        write(&path, &text)?;
        println!(
            "{}: {} lines, {} bytes",
            path.display(),
            text.lines().count(),
            text.len()
        );
    }
    Ok(())
}

fn profile(spec: &Path, bbf: &Path, out: Option<&Path>, csv: bool) -> Result<()> {
    let file = spec
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    let Some(stem) = file.strip_suffix(".spec.json") else {
        bail!(
            "spec file {} should be named NAME.spec.json",
            spec.display()
        );
    };
    let dir = out.or_else(|| spec.parent()).unwrap_or(Path::new("."));
    let profile = dmgen::generate_profile(spec, bbf)?;
    let json = dir.join(format!("{stem}.json"));
    write(&json, &profile.to_json()?)?;
    println!(
        "{}: {} rows, {} instance parameters",
        json.display(),
        profile.parameters.len(),
        profile.parameter_count()
    );
    if csv {
        let path = dir.join(format!("{stem}.csv"));
        write(&path, &profile.to_csv())?;
        println!("{}", path.display());
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
