//! `cwmp2usp mappings check`: every TR-098 mapping pack (those built in,
//! and an operator's own from `--packs DIR`) held against the BBF facts
//! the binary carries. One line per problem; the exit status says whether
//! there were any.

use std::path::PathBuf;

use anyhow::Context as _;
use mapping::check::{check, Facts};
use mapping::Library;

const TR181_CWMP: &str = include_str!("../../../mappings/facts/tr-181-2-17-0-cwmp.tsv");
const TR098: &str = include_str!("../../../mappings/facts/tr-098-1-8-0.tsv");
/// Pack files read from a directory, and their size: a pack is a page or
/// two of TOML.
const MAX_FILES: usize = 256;
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(clap::Args)]
pub struct MappingsArgs {
    #[command(subcommand)]
    pub command: MappingsCommand,
}

#[derive(clap::Subcommand)]
pub enum MappingsCommand {
    /// Check the packs: every target exists, types fit, writability makes
    /// sense.
    Check {
        /// Also check the `*.toml` packs in this directory (they may
        /// extend the built-in ones).
        #[arg(long, value_name = "DIR")]
        packs: Option<PathBuf>,
    },
}

pub fn run(args: &MappingsArgs) -> anyhow::Result<bool> {
    let MappingsCommand::Check { packs } = &args.command;
    let mut files: Vec<(String, String)> = builtin();
    if let Some(dir) = packs {
        files.extend(read_dir(dir)?);
    }
    let lib = Library::from_texts(files)?;
    let tr181 = Facts::parse_all(&[agent::local::FACTS, TR181_CWMP]);
    let tr098 = Facts::parse(TR098);
    let mut problems = 0;
    for pack in lib.packs() {
        let found = check(pack, &tr181, &tr098);
        for p in &found {
            println!("{p}");
        }
        problems += found.len();
        eprintln!(
            "{}: {} rules, {} problems",
            pack.name,
            pack.rules.len(),
            found.len()
        );
    }
    Ok(problems == 0)
}

fn builtin() -> Vec<(String, String)> {
    mapping::embedded_texts()
        .iter()
        .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
        .collect()
}

fn read_dir(dir: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        anyhow::ensure!(
            out.len() < MAX_FILES,
            "more than {MAX_FILES} packs in {}",
            dir.display()
        );
        let size = std::fs::metadata(&path)?.len();
        anyhow::ensure!(
            size <= MAX_FILE_BYTES,
            "{} is over {MAX_FILE_BYTES} bytes",
            path.display()
        );
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        out.push((path.display().to_string(), text));
    }
    out.sort();
    Ok(out)
}
