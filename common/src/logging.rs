//! Log lines of the node and the hub, set up the same way.
//!
//! Both log to stderr, so that stdout stays for what a command prints (a test or a
//! script reading a pipe sees only that). Lines carry a UTC timestamp, so that a node's
//! log and the hub's can be read side by side when a sync went wrong. On a terminal the
//! lines are for people (colour included); elsewhere — a journal, a container runtime, a
//! file — they are JSON lines, one object a line, for a log collector to read.

use std::io::IsTerminal;

/// The filter when `RUST_LOG` is not set: automerge, quinn and rustls log a lot at
/// info level about things that are not the operator's business.
pub const DEFAULT_FILTER: &str = "info,quinn=warn,rustls=warn,automerge=warn";

/// How log lines are written: `--log-format` (or `WISHTREE_LOG_FORMAT`) of both binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Text on a terminal, JSON lines anywhere else.
    #[default]
    Auto,
    /// Lines for people.
    Text,
    /// One JSON object a line: `timestamp`, `level`, `fields.message`, the span's fields.
    Json,
}

/// Sets up logging to stderr in `format`, with `RUST_LOG` as the filter,
/// [`DEFAULT_FILTER`] when it is unset or unreadable. A second call (tests) leaves the
/// first in place.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_FILTER));
    let on_terminal = std::io::stderr().is_terminal();
    let json = match format {
        LogFormat::Auto => !on_terminal,
        LogFormat::Text => false,
        LogFormat::Json => true,
    };
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if json {
        lines.json().try_init()
    } else {
        lines.with_ansi(on_terminal).try_init()
    };
}
