//! `cwmp2usp`: the gateway binary. Today it carries the operator's `decode`
//! tool, the CPE fleet simulator (`sim`) and the first slice of the ACS
//! (`run`); the USP agents join it as they land.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod connreq_cmd;
mod credentials_cmd;
mod decode;
mod demo_cmd;
mod device_args;
mod http_dump;
mod jitter;
mod mappings_cmd;
mod north;
mod north_args;
mod run_cmd;
mod run_config;
mod sim_cmd;
mod usp_cmd;
mod usp_link;
mod wake_args;

use std::process::ExitCode;

/// Sessions allocate and free many small buffers on every core at once;
/// glibc's malloc spent about 15% of a simulated session's instructions
/// there, mimalloc's per-thread pages far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cwmp2usp",
    version,
    about = "TR-069 (CWMP) to USP (TR-369) migration gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole south side on loopback, nothing to install: the ACS plus a
    /// simulated TR-181 and TR-098 fleet, then the registry they filled.
    Demo(demo_cmd::DemoArgs),
    /// Pretty-print a CWMP SOAP envelope (bare XML or a raw HTTP request dump)
    /// or a binary USP Record with its Msg, as JSON.
    Decode {
        /// Input file; `-` or nothing reads standard input.
        file: Option<std::path::PathBuf>,
        /// Print one compact JSON line instead of indented JSON.
        #[arg(long)]
        compact: bool,
    },
    /// Simulate a fleet of TR-069 CPE against an ACS (see docs/simulator.md).
    Sim(Box<sim_cmd::SimArgs>),
    /// Run the gateway's ACS: CPE open CWMP sessions to it.
    Run(Box<run_cmd::RunArgs>),
    /// List the devices a stopped `run` has registered, one JSON line each.
    Devices(run_cmd::DevicesArgs),
    /// Send one connection request (HTTP, UDP or both) and print its result.
    Connreq(Box<connreq_cmd::ConnreqArgs>),
    /// Manage the CPE's own CWMP credentials in a stopped `run`'s registry.
    Credentials(credentials_cmd::CredentialsArgs),
    /// Act as a USP controller for one request: send it to an agent over
    /// WebSocket or MQTT 5 and print the answer as JSON.
    Usp(Box<usp_cmd::UspArgs>),
    /// TR-098 to TR-181 mapping packs (docs/mappings.md).
    Mappings(mappings_cmd::MappingsArgs),
}

/// Logs go to stderr, so that the JSON lines commands print on stdout
/// (ready, report, decoded messages) stay machine-readable. `RUST_LOG`
/// picks what is shown (`info` unless it says otherwise; a malformed one
/// falls back to that).
fn init_logging() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::builder()
        .with_default_directive(tracing_subscriber::filter::LevelFilter::INFO.into())
        .from_env_lossy();
    // Fails only if a subscriber is already set, which then does the job.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn main() -> ExitCode {
    init_logging();
    let cli = match run_config::matches(Cli::command()) {
        Ok(m) => Cli::from_arg_matches(&m).unwrap_or_else(|e| e.exit()),
        Err(err) => {
            eprintln!("cwmp2usp run: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Decode { file, compact } => match decode::run(file.as_deref(), compact) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                // Operators pipe this into scripts: one line, no backtrace.
                eprintln!("cwmp2usp decode: {err}");
                ExitCode::FAILURE
            }
        },
        Command::Demo(args) => finish("demo", demo_cmd::run(&args).map(|()| true)),
        Command::Run(args) => finish("run", run_cmd::run(&args).map(|()| true)),
        Command::Devices(args) => finish("devices", run_cmd::devices(&args).map(|()| true)),
        Command::Connreq(args) => finish("connreq", connreq_cmd::run(&args)),
        Command::Credentials(args) => {
            finish("credentials", credentials_cmd::run(&args).map(|()| true))
        }
        Command::Sim(args) => finish("sim", sim_cmd::run(&args).map(|()| true)),
        Command::Mappings(args) => finish("mappings", mappings_cmd::run(&args)),
        Command::Usp(args) => finish(
            "usp",
            usp_cmd::run(&args).map(|text| {
                println!("{text}");
                true
            }),
        ),
    }
}

/// The exit status of a subcommand: success only for `Ok(true)`; an error
/// is one line on stderr naming the subcommand, as scripts expect.
fn finish(command: &str, result: anyhow::Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("cwmp2usp {command}: {err:#}");
            ExitCode::FAILURE
        }
    }
}
