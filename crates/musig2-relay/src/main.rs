//! The relay node binary: circuit relay v2 server, Kademlia DHT server and bootstrap peer,
//! GossipSub router. Any peer may run one; wallets may use several.
#![forbid(unsafe_code)]

mod behaviour;
mod cli;
mod dst_cap;
mod health;
mod metrics;
mod peering;
mod persist;
mod records;
mod relay_events;
mod server;
mod state;
mod tls;
mod validator;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    init_logging(&cli);
    match server::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &cli::Cli) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match cli.log_format {
        cli::LogFormat::Text => builder.init(),
        cli::LogFormat::Json => builder.json().init(),
    }
}
