//! `cwmp2usp credentials import`: loads per-device CWMP credentials into the
//! registry, for CPE that each have their own user name and password rather
//! than the shared `--cwmp-user`/`--cwmp-password`.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::PathBuf;

use acs::{DeviceCredential, DeviceKey, Secret, Store as _};
use anyhow::{bail, Context as _};

#[derive(clap::Args, Debug)]
pub struct CredentialsArgs {
    #[command(subcommand)]
    command: CredentialsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum CredentialsCommand {
    /// Load `oui,product_class,serial,username,password` rows (a header row
    /// with these names is optional) into a stopped gateway's registry. A
    /// device listed gets exactly the user name given here.
    Import {
        /// The data directory of a stopped `cwmp2usp run` (redb locks it
        /// while the gateway runs).
        #[arg(long, default_value = "data", env = "CWMP2USP_DATA_DIR")]
        data_dir: PathBuf,
        /// CSV file; quoted fields may hold commas and quotes.
        file: PathBuf,
    },
}

/// Larger files are refused before parsing: ten million devices' rows fit.
const MAX_FILE: u64 = 1 << 30;
/// Longest field accepted (TR-069 strings of this kind are 256 at most).
const MAX_FIELD: usize = 256;
const HEADER: [&str; 5] = ["oui", "product_class", "serial", "username", "password"];

pub fn run(args: &CredentialsArgs) -> anyhow::Result<()> {
    let CredentialsCommand::Import { data_dir, file } = &args.command;
    let mut text = Vec::new();
    std::fs::File::open(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .take(MAX_FILE + 1)
        .read_to_end(&mut text)
        .with_context(|| format!("cannot read {}", file.display()))?;
    if text.len() as u64 > MAX_FILE {
        bail!("{} is larger than {MAX_FILE} bytes", file.display());
    }
    let credentials = parse(&text).with_context(|| format!("{}", file.display()))?;
    let store = crate::run_cmd::open_registry(data_dir)
        .context("is `cwmp2usp run` still using this data directory? Stop it first")?;
    store.put_credentials(&credentials)?;
    println!(
        "{}",
        serde_json::json!({"event": "imported", "credentials": credentials.len()})
    );
    Ok(())
}

fn parse(text: &[u8]) -> anyhow::Result<Vec<DeviceCredential>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut out = Vec::new();
    let mut users = HashSet::new();
    let mut devices = HashSet::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| anyhow::anyhow!("{e}"))?;
        let line = row.position().map_or(0, |p| p.line());
        let fields: Vec<&str> = row.iter().collect();
        if i == 0 && is_header(&fields) {
            continue;
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let [oui, product_class, serial, username, password] = fields[..] else {
            bail!(
                "line {line}: {} fields, expected 5 ({})",
                fields.len(),
                HEADER.join(",")
            );
        };
        // Identity fields are trimmed of stray spaces; a password is kept
        // byte for byte.
        let named = [
            ("oui", oui.trim()),
            ("serial", serial.trim()),
            ("username", username.trim()),
            ("password", password),
        ];
        for (name, value) in named {
            if value.is_empty() {
                bail!("line {line}: empty {name}");
            }
        }
        for (name, value) in named.iter().chain([&("product_class", product_class)]) {
            if value.len() > MAX_FIELD {
                bail!("line {line}: {name} longer than {MAX_FIELD} bytes");
            }
        }
        let username = username.trim();
        // A colon would split Basic's user:password; quotes and control
        // characters break Digest's quoted username.
        if username.contains([':', '"', '\\']) || username.chars().any(char::is_control) {
            bail!("line {line}: username may not contain ':', '\"', '\\' or control characters");
        }
        let device = DeviceKey {
            oui: oui.trim().to_string(),
            product_class: product_class.trim().to_string(),
            serial: serial.trim().to_string(),
        };
        if !users.insert(username.to_string()) {
            bail!("line {line}: username {username:?} appears twice");
        }
        if !devices.insert(device.clone()) {
            bail!("line {line}: device {} appears twice", device.endpoint_id());
        }
        out.push(DeviceCredential {
            username: username.to_string(),
            password: Secret::new(password),
            device,
        });
    }
    if out.is_empty() {
        bail!("no credentials in the file");
    }
    Ok(out)
}

fn is_header(fields: &[&str]) -> bool {
    fields.len() == HEADER.len()
        && fields
            .iter()
            .zip(HEADER)
            .all(|(f, h)| f.trim().eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_or_without_a_header_and_quoted_fields() {
        let text = "oui,product_class,serial,username,password\r\n\
                    00D09E, HGW ,SN1,u1,\"pa,ss\"\"word\"\r\n\
                    \n\
                    00D09E,,SN2,u2, spaced \n";
        let creds = parse(text.as_bytes()).unwrap();
        assert_eq!(creds.len(), 2);
        assert_eq!(creds[0].device.product_class, "HGW");
        assert_eq!(creds[0].password.expose(), "pa,ss\"word");
        assert_eq!(creds[1].device.product_class, "");
        assert_eq!(creds[1].password.expose(), " spaced ");
        assert_eq!(parse(b"00D09E,HGW,SN1,u1,p").unwrap().len(), 1);
    }

    #[test]
    fn bad_rows_are_named_by_line_and_never_echo_passwords() {
        for (text, want) in [
            ("00D09E,HGW,SN1,u1\n", "line 1: 4 fields"),
            (
                "00D09E,HGW,SN1,u1,p\n00D09E,HGW,SN2,u1,q\n",
                "line 2: username \"u1\" appears twice",
            ),
            (
                "00D09E,HGW,SN1,u1,p\n00D09E,HGW,SN1,u2,q\n",
                "line 2: device os::00D09E-SN1 appears twice",
            ),
            (
                "00D09E,HGW,SN1,a:b,secret-pw\n",
                "line 1: username may not contain",
            ),
            ("00D09E,HGW,,u1,secret-pw\n", "line 1: empty serial"),
            ("00D09E,HGW,SN1,u1,\n", "line 1: empty password"),
            ("", "no credentials"),
        ] {
            let err = format!("{:#}", parse(text.as_bytes()).unwrap_err());
            assert!(err.starts_with(want), "{text:?}: {err}");
            assert!(!err.contains("secret-pw"), "{err}");
        }
        let long = format!("00D09E,HGW,SN1,u1,{}\n", "x".repeat(300));
        let err = format!("{:#}", parse(long.as_bytes()).unwrap_err());
        assert!(err.contains("password longer than 256"), "{err}");
    }
}
