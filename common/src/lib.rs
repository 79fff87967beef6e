//! wishtree-common: what the node and the hub drivers both need and write once (the admin
//! socket, the clock, config files, the `--http-host` argument, CSV for spreadsheets, the
//! HTML document frame, key files, the data-directory lock, logging, metrics, the
//! shutdown signal, schema migrations, the online backup, password hashes). It holds driver helpers, not
//! protocol or domain policy, which live in `wishtree-protocol`.

pub mod admin_socket;
pub mod cli_args;
pub mod clock;
pub mod config;
pub mod csv;
pub mod dir_lock;
pub mod html;
pub mod key_file;
mod logging;
pub mod metrics;
pub mod migrations;
pub mod password;
pub mod report_csv;
mod shutdown;
pub mod sqlite_backup;

pub use logging::{DEFAULT_FILTER, LogFormat, init_logging};
pub use shutdown::shutdown_signal;
