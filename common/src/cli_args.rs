//! Command-line arguments that the node's and the hub's `run` both take, declared once
//! for clap (`#[command(flatten)]`).

use wishtree_webguard::HostName;

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
