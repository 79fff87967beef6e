//! Command-line arguments that the node and the hub both take, declared once for clap
//! (`#[command(flatten)]`).

use std::path::PathBuf;

use wishtree_webguard::HostName;

use crate::LogFormat;

/// What every command of both binaries takes: the config file and the log format.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GlobalArgs {
    /// A TOML file of settings, one key per long flag (`http = "0.0.0.0:8081"`); flags
    /// and WISHTREE_* variables override it (or set WISHTREE_CONFIG).
    #[arg(long, global = true, env = "WISHTREE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How log lines are written: text on a terminal and JSON lines elsewhere (auto),
    /// or always one of them (or set WISHTREE_LOG_FORMAT).
    #[arg(
        long,
        global = true,
        env = "WISHTREE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Auto
    )]
    pub log_format: LogFormat,
}

/// `--http-host NAME`: the names besides localhost and the bound address that the web
/// side answers to.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HttpHostArgs {
    /// Another name the web page is opened by, e.g. `wishtree.example.lan:8080` (repeat,
    /// or comma-separate in WISHTREE_HTTP_HOSTS). Localhost and the address it listens
    /// on are always answered; a request for any other name is refused, so that no web
    /// page can pose as this server.
    #[arg(
        long = "http-host",
        value_name = "NAME",
        env = "WISHTREE_HTTP_HOSTS",
        value_delimiter = ','
    )]
    pub http_hosts: Vec<HostName>,
}
