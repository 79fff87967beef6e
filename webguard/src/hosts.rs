//! The `Host` names a server answers to: the localhost names, the address it was bound
//! to (or, bound to every address, the one each client reached), and names the operator
//! added.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::uri::Authority;

/// The names a server answers to. Anything else in `Host` is a page that made its own
/// name point at the server (DNS rebinding) and is refused.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    bound: SocketAddr,
    names: Vec<HostName>,
}

/// A name the operator lets the server answer to (`--http-host`): a DNS name or an IP
/// literal, with a port when the server is reached through a forwarded port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName {
    name: String,
    port: Option<u16>,
}

/// Why a `--http-host` value is not a host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a host name: give a name as the browser's address bar shows it, e.g. `node.example.lan`, `192.168.1.20` or `node.example.lan:8443`, without http:// or a path"
)]
pub struct HostNameError {
    given: String,
}

/// The names every server answers to: this computer, by name and by address.
const LOCALHOST_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

impl AllowedHosts {
    /// The localhost names and the address of a server bound to `bound`.
    pub fn new(bound: SocketAddr) -> Self {
        Self {
            bound,
            names: Vec::new(),
        }
    }

    /// Also answers to these names.
    pub fn with_names(mut self, names: impl IntoIterator<Item = HostName>) -> Self {
        self.names.extend(names);
        self
    }

    /// Whether a request with this `Host`, arriving on a connection to `local` (when
    /// known), is meant for this server.
    pub fn allows(&self, host: &str, local: Option<SocketAddr>) -> bool {
        let Ok(authority) = host.parse::<Authority>() else {
            return false;
        };
        if authority.as_str().contains('@') {
            return false;
        }
        let name = authority.host().to_ascii_lowercase();
        let port = authority.port_u16();
        let named = self
            .names
            .iter()
            .any(|allowed| allowed.name == name && allowed.port.is_some() && allowed.port == port);
        if named {
            return true;
        }
        let own_port = port.is_none_or(|port| {
            port == self.bound.port() || local.is_some_and(|local| local.port() == port)
        });
        if !own_port {
            return false;
        }
        LOCALHOST_NAMES.contains(&name.as_str())
            || self
                .names
                .iter()
                .any(|allowed| allowed.name == name && allowed.port.is_none())
            || bound_literal(self.bound.ip()).is_some_and(|literal| literal == name)
            || local.is_some_and(|local| ip_literal(local.ip()) == name)
    }
}

impl FromStr for HostName {
    type Err = HostNameError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let error = || HostNameError {
            given: given.chars().take(100).collect(),
        };
        let authority: Authority = given.trim().parse().map_err(|_| error())?;
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return Err(error());
        }
        Ok(Self {
            name: authority.host().to_ascii_lowercase(),
            port: authority.port_u16(),
        })
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The address as it appears in a `Host` header, unless it is 0.0.0.0 or [::], which
/// no client can reach by that name.
fn bound_literal(ip: IpAddr) -> Option<String> {
    (!ip.is_unspecified()).then(|| ip_literal(ip))
}

/// An IP as a `Host` header writes it: IPv6 in brackets, an IPv4 address that reached
/// a dual-stack socket as itself.
fn ip_literal(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(hosts: &AllowedHosts, local: Option<&str>, host: &str, expected: bool) {
        let local = local.map(|local| local.parse().expect("a socket address in the test"));
        assert_eq!(
            hosts.allows(host, local),
            expected,
            "Host: {host} via {local:?}"
        );
    }

    #[test]
    fn a_loopback_server_answers_to_localhost_names_only() {
        let hosts = AllowedHosts::new("127.0.0.1:8081".parse().expect("address"));
        for host in [
            "localhost",
            "localhost:8081",
            "LOCALHOST:8081",
            "127.0.0.1",
            "127.0.0.1:8081",
            "[::1]:8081",
            "[::1]",
        ] {
            check(&hosts, None, host, true);
        }
        for host in [
            "attacker.example:8081",
            "attacker.example",
            "localhost:9999",
            "localhost.attacker.example",
            "127.0.0.2:8081",
            "user@localhost:8081",
            "",
            "local host",
        ] {
            check(&hosts, None, host, false);
        }
    }

    #[test]
    fn a_server_on_every_address_answers_to_the_address_reached_and_named_hosts() {
        let names = ["node.example.lan", "Forwarded.example:9443"]
            .map(|name| name.parse::<HostName>().expect("a host name"));
        let hosts = AllowedHosts::new("0.0.0.0:8081".parse().expect("address")).with_names(names);
        let lan = Some("192.168.1.20:8081");
        for (local, host, expected) in [
            (lan, "192.168.1.20:8081", true),
            (
                Some("[::ffff:192.168.1.20]:8081"),
                "192.168.1.20:8081",
                true,
            ),
            (Some("[fe80::1]:8081"), "[fe80::1]:8081", true),
            (lan, "node.example.lan:8081", true),
            (lan, "forwarded.example:9443", true),
            (lan, "0.0.0.0:8081", false),
            (lan, "192.168.1.21:8081", false),
            (lan, "forwarded.example:8081", false),
            (lan, "evil.example:8081", false),
            (None, "192.168.1.20:8081", false),
        ] {
            check(&hosts, local, host, expected);
        }
    }

    #[test]
    fn a_server_bound_to_one_address_answers_to_it() {
        let hosts = AllowedHosts::new("10.0.0.5:80".parse().expect("address"));
        check(&hosts, None, "10.0.0.5", true);
        check(&hosts, None, "10.0.0.5:80", true);
        check(&hosts, None, "10.0.0.6", false);
    }

    #[test]
    fn host_names_must_be_bare_names() {
        assert!("node.example.lan".parse::<HostName>().is_ok());
        assert!("[fe80::1]:8081".parse::<HostName>().is_ok());
        for bad in ["http://node.example.lan", "node/x", "", "a b", "u@node"] {
            let error = bad.parse::<HostName>().expect_err(bad);
            assert!(error.to_string().contains("without http://"), "{error}");
        }
    }
}
