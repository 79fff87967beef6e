//! Log lines of the node and the hub, set up the same way.
//!
//! Both log to stderr, so that stdout stays for what a command prints (a test or a
//! script reading a pipe sees only that). Lines carry a UTC timestamp, so that a node's
//! log and the hub's can be read side by side when a sync went wrong. Colour only when
//! stderr is a terminal: a log file or a journal gets no escape codes.

use std::io::IsTerminal;

/// The filter when `RUST_LOG` is not set: automerge, quinn and rustls log a lot at
/// info level about things that are not the operator's business.
pub const DEFAULT_FILTER: &str = "info,quinn=warn,rustls=warn,automerge=warn";

/// Sets up logging to stderr with `RUST_LOG` as the filter, [`DEFAULT_FILTER`] when it
/// is unset or unreadable. A second call (tests) leaves the first in place.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
