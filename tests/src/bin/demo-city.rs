//! `demo-city`: the README's first command. Builds the demo city under `--data` the
//! first time (reusing it afterwards), starts its hub and three community nodes on
//! loopback, prints the URLs to open, and stops cleanly on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use wishtree_tests::demo::run::{DemoOptions, start};

/// The demo city of wishtree (心愿树): one city hub and three community nodes of
/// 沧州市 on this machine, with sample data.
#[derive(Debug, Parser)]
#[command(name = "demo-city", about, long_about = None)]
struct Args {
    /// Where the demo city keeps its data; a second run reuses it.
    #[arg(long, value_name = "DIR", default_value = "./demo-data")]
    data: PathBuf,
    /// Where the hub's dashboard and API listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    hub_http: SocketAddr,
    /// Where the hub listens for nodes (QUIC, UDP).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4433")]
    hub_quic: SocketAddr,
    /// The port of the first node's UI; the other two take the next ports (0: any).
    #[arg(long, value_name = "PORT", default_value_t = 8081)]
    first_node_port: u16,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging();
    let mut options = DemoOptions::new(&args.data);
    options.hub_http = args.hub_http;
    options.hub_quic = args.hub_quic;
    options.first_node_port = args.first_node_port;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut out = std::io::stdout();
        let city = start(&options, &mut out).await?;
        println!("press Ctrl-C to stop");
        let interrupted = tokio::select! {
            synced = city.wait_in_sync(&mut out) => {
                if let Err(error) = synced {
                    println!("not in sync yet ({error:#}); the nodes keep trying");
                }
                false
            }
            signal = tokio::signal::ctrl_c() => {
                signal.context("cannot wait for Ctrl-C")?;
                true
            }
        };
        if !interrupted {
            tokio::signal::ctrl_c()
                .await
                .context("cannot wait for Ctrl-C")?;
        }
        println!("stopping: the nodes say Bye to the hub, then the hub stops");
        city.stop().await;
        println!("stopped; the data stays in {}", options.data.display());
        Ok(())
    })
}

/// Logs go to stderr, so that the URLs on stdout stand out.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,quinn=warn,rustls=warn,automerge=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
