//! `cwmp2usp run --config FILE`: settings from a TOML file, under the
//! environment and the command line.
//!
//! A key is a `run` flag's name with `_` for `-` (`cwmp_tls_listen` is
//! `--cwmp-tls-listen` is `CWMP2USP_CWMP_TLS_LISTEN`), so one list of flags
//! defines all three and a new flag is a new key with no code here. The
//! file's values become the flags' defaults before the command line is
//! parsed again, which makes clap itself apply flag > env > file > default.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use clap::{Arg, ArgMatches, Command};

const SUBCOMMAND: &str = "run";
/// A configuration file is a few kilobytes; refuse to slurp anything huge.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Parses the process's arguments, with `run --config FILE` layered in.
/// Command-line mistakes exit as clap does; file mistakes are errors.
pub fn matches(cli: Command) -> anyhow::Result<ArgMatches> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let first = cli.clone().get_matches_from(&args);
    match config_path(&first) {
        None => Ok(first),
        Some(path) => layered(cli, &path, &args),
    }
}

fn config_path(m: &ArgMatches) -> Option<PathBuf> {
    m.subcommand_matches(SUBCOMMAND)?
        .get_one::<PathBuf>("config")
        .cloned()
}

/// Parses `args` again with the settings in `path` as `run`'s defaults.
fn layered(cli: Command, path: &Path, args: &[OsString]) -> anyhow::Result<ArgMatches> {
    let run = cli
        .find_subcommand(SUBCOMMAND)
        .ok_or_else(|| anyhow!("no `{SUBCOMMAND}` command"))?;
    let defaults = file_defaults(run, path)?;
    let cli = cli.mut_subcommand(SUBCOMMAND, |mut run| {
        for (key, values) in defaults {
            run = run.mut_arg(key, |a| a.default_values(values));
        }
        run
    });
    cli.try_get_matches_from(args)
        .map_err(|e| anyhow!("{}", e.to_string().trim_end()))
}

/// The arguments of `run` a file may set.
fn settings(run: &Command) -> impl Iterator<Item = &Arg> {
    run.get_arguments()
        .filter(|a| !matches!(a.get_id().as_str(), "config" | "help" | "version"))
}

/// Each key of the file with its values as command-line text (one, or
/// several for an array given to a repeatable flag), every one checked by
/// its flag's own parser so a bad value names its key.
fn file_defaults(run: &Command, path: &Path) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let shown = path.display();
    let text = read_limited(path).with_context(|| format!("--config {shown}"))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| anyhow!("--config {shown}: {}", e.to_string().trim()))?;
    let mut out = Vec::with_capacity(table.len());
    for (key, value) in &table {
        let Some(arg) = settings(run).find(|a| a.get_id().as_str() == key) else {
            let known: Vec<&str> = settings(run).map(|a| a.get_id().as_str()).collect();
            bail!(
                "--config {shown}: unknown key `{key}` (known keys: {})",
                known.join(", ")
            );
        };
        let repeatable = matches!(arg.get_action(), clap::ArgAction::Append);
        let texts = match value {
            toml::Value::Array(items) if repeatable => items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| {
                    anyhow!("--config {shown}: key `{key}`: expected an array of strings")
                })?,
            toml::Value::Array(_) => {
                bail!("--config {shown}: key `{key}`: takes one value, not an array")
            }
            v => vec![scalar(v).ok_or_else(|| {
                anyhow!("--config {shown}: key `{key}`: expected a string, number or boolean")
            })?],
        };
        for text in &texts {
            check(arg, text).map_err(|why| anyhow!("--config {shown}: key `{key}`: {why}"))?;
        }
        out.push((key.clone(), texts));
    }
    Ok(out)
}

fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Runs `text` through `arg`'s parser, as clap would for a default.
fn check(arg: &Arg, text: &str) -> Result<(), String> {
    let probe = arg
        .clone()
        .env(None::<&'static str>)
        .default_value(text.to_string());
    let err = match Command::new("check")
        .no_binary_name(true)
        .arg(probe)
        .try_get_matches_from(Vec::<OsString>::new())
    {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let mut why = match std::error::Error::source(&err) {
        Some(src) => format!("invalid value {text:?}: {src}"),
        None => format!("invalid value {text:?}"),
    };
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .map(|p| p.get_name().to_string())
        .collect();
    if !choices.is_empty() {
        why.push_str(&format!(" (one of: {})", choices.join(", ")));
    }
    Err(why)
}

fn read_limited(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).context("cannot open")?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .context("cannot read (is it UTF-8 text?)")?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        bail!("larger than {MAX_CONFIG_BYTES} bytes");
    }
    Ok(text)
}

#[cfg(test)]
#[path = "run_config_tests.rs"]
mod tests;
