//! The hub's sync side: the QUIC accept loop ([`serve_quic`]), one [`HubHost`] per
//! session over the shared [`crate::state::Hub`], and a district hub's link to the hub
//! above ([`run_upstream`]).

mod host;
mod serve;
mod upstream;

pub use host::HubHost;
pub use serve::{ServeOptions, serve_quic};
pub use upstream::{Upstream, run_upstream};
