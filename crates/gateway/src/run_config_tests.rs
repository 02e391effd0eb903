use std::collections::BTreeMap;

use clap::CommandFactory as _;

use super::*;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cwmp2usp.toml");

fn cli() -> Command {
    crate::Cli::command()
}

fn run_cmd() -> Command {
    cli().find_subcommand(SUBCOMMAND).unwrap().clone()
}

/// `key = value` lines of the example, commented out or not, with whether
/// they are live and whether a comment explains them.
fn example_keys(text: &str) -> BTreeMap<String, (bool, bool, String)> {
    let ids: Vec<String> = settings(&run_cmd())
        .map(|a| a.get_id().to_string())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let (live, body) = match line.strip_prefix("# ") {
            Some(rest) => (false, rest),
            None => (true, *line),
        };
        let Some((key, value)) = body.split_once(" = ") else {
            continue;
        };
        if !live && !ids.iter().any(|id| id == key) {
            continue; // prose that happens to contain " = "
        }
        // The explanation: a comment right above, above the commented-out
        // example if there is one.
        let above = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.starts_with(&format!("# {key} ")))
            .is_some_and(|l| l.starts_with("# ") && !l.contains(" = "));
        let old = out.insert(key.to_string(), (live, above, value.to_string()));
        assert!(old.is_none(), "{key} twice in the example");
    }
    out
}

#[test]
fn the_example_documents_every_setting_with_its_default() {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let keys = example_keys(&text);
    let run = run_cmd();
    let ids: Vec<String> = settings(&run).map(|a| a.get_id().to_string()).collect();
    assert_eq!(
        keys.keys().cloned().collect::<Vec<_>>(),
        {
            let mut v = ids.clone();
            v.sort();
            v
        },
        "examples/cwmp2usp.toml and the flags of `run` differ"
    );
    for arg in settings(&run) {
        let id = arg.get_id().as_str();
        let (live, explained, value) = &keys[id];
        assert!(explained, "{id} has no comment above it");
        let defaults = arg.get_default_values();
        // A live line is the default; a setting without one is shown
        // commented out. Flags (SetTrue) default to "false" implicitly.
        let default = match defaults.first() {
            Some(d) => Some(d.to_string_lossy().into_owned()),
            None if matches!(arg.get_action(), clap::ArgAction::SetTrue) => {
                Some("false".to_string())
            }
            None => None,
        };
        match (live, default) {
            (true, Some(d)) => assert_eq!(value.trim_matches('"'), d, "{id}: default"),
            (false, None) => {}
            (live, d) => panic!("{id}: live={live} but default {d:?}"),
        }
    }
    // Both the file as shipped and every commented-out example are valid.
    let dir = tempfile::tempdir().unwrap();
    let shipped = file_defaults(&run, Path::new(EXAMPLE)).unwrap();
    assert!(shipped.len() >= 10, "{shipped:?}");
    let all: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if keys.contains_key(rest.split(" = ").next().unwrap_or("")) => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.path().join("all.toml");
    std::fs::write(&path, all).unwrap();
    assert_eq!(file_defaults(&run, &path).unwrap().len(), ids.len());
}

fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn parse(path: &Path, extra: &[&str]) -> anyhow::Result<ArgMatches> {
    let mut args: Vec<OsString> = vec!["cwmp2usp".into(), "run".into(), "--config".into()];
    args.push(path.into());
    args.extend(extra.iter().map(OsString::from));
    layered(cli(), path, &args)
}

#[test]
fn flags_beat_the_file_and_the_file_beats_the_defaults() {
    let (_dir, path) = write(
        "read_timeout = 3\nsession_timeout = 7\ncwmp_auth = \"none\"\n\
         cwmp_listen = \"none\"\nallow_basic_over_http = true\nduration = 4\n",
    );
    let m = parse(&path, &["--session-timeout", "9"]).unwrap();
    let run = m.subcommand_matches(SUBCOMMAND).unwrap();
    assert_eq!(run.get_one::<u64>("read_timeout"), Some(&3));
    assert_eq!(run.get_one::<u64>("session_timeout"), Some(&9));
    assert_eq!(run.get_one::<u64>("duration"), Some(&4));
    assert_eq!(run.get_one::<bool>("allow_basic_over_http"), Some(&true));
    assert_eq!(run.get_one::<usize>("max_sessions"), Some(&10_000));
    assert_eq!(
        run.get_one::<PathBuf>("data_dir"),
        Some(&PathBuf::from("data"))
    );
    let m = parse(&path, &["--cwmp-listen", "127.0.0.1:9"]).unwrap();
    let run = m.subcommand_matches(SUBCOMMAND).unwrap();
    assert_eq!(
        format!("{:?}", run.get_raw("cwmp_listen").unwrap().next()),
        "Some(\"127.0.0.1:9\")"
    );
}

#[test]
fn file_mistakes_are_errors_that_name_the_key() {
    let cases = [
        ("tls_certs = \"x\"\n", "unknown key `tls_certs`"),
        ("config = \"other.toml\"\n", "unknown key `config`"),
        (
            "read_timeout = \"soon\"\n",
            "key `read_timeout`: invalid value",
        ),
        ("read_timeout = -1\n", "key `read_timeout`: invalid value"),
        ("cwmp_auth = \"ntlm\"\n", "one of: none, basic, digest"),
        ("cwmp_listen = \"here\"\n", "neither host:port nor none"),
        (
            "allow_basic_over_http = \"maybe\"\n",
            "allow_basic_over_http",
        ),
        ("max_body = [1, 2]\n", "takes one value, not an array"),
        (
            "max_body = { a = 1 }\n",
            "expected a string, number or boolean",
        ),
        ("controller = [1]\n", "invalid value"),
        ("controller = [[\"x\"]]\n", "expected an array of strings"),
        ("controller = [\"no-eid\"]\n", "EID=TOPIC"),
        ("[cwmp]\nlisten = 1\n", "unknown key `cwmp`"),
        ("read_timeout = \n", "c.toml"),
    ];
    for (text, want) in cases {
        let (_dir, path) = write(text);
        let err = format!("{:#}", parse(&path, &[]).unwrap_err());
        assert!(err.contains(want), "{text:?}: {err}");
        assert!(err.contains("c.toml"), "{text:?}: {err}");
    }
    let err = format!(
        "{:#}",
        parse(Path::new("/nonexistent/c.toml"), &[]).unwrap_err()
    );
    assert!(
        err.contains("/nonexistent/c.toml") && err.contains("cannot open"),
        "{err}"
    );
}

#[test]
fn every_setting_has_its_environment_variable() {
    for arg in settings(&run_cmd()) {
        let want = format!("CWMP2USP_{}", arg.get_id().as_str().to_uppercase());
        assert_eq!(
            arg.get_env().map(|e| e.to_string_lossy().into_owned()),
            Some(want),
            "{}",
            arg.get_id()
        );
    }
}

#[test]
fn a_repeatable_setting_takes_an_array() {
    let (_dir, path) = write("controller = [\"proto::a=usp/a\", \"proto::b=stomp:/queue/b\"]\n");
    let m = parse(&path, &[]).unwrap();
    let run = m.subcommand_matches(SUBCOMMAND).unwrap();
    let got: Vec<&crate::north_args::ControllerArg> = run.get_many("controller").unwrap().collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].endpoint_id, "proto::b");
    // The command line still wins over the file.
    let m = parse(&path, &["--controller", "proto::c=usp/c"]).unwrap();
    let run = m.subcommand_matches(SUBCOMMAND).unwrap();
    assert_eq!(
        run.get_many::<crate::north_args::ControllerArg>("controller")
            .unwrap()
            .count(),
        1
    );
}
