//! The real-socket client, for where a connection is the point: the web guard's check
//! of the address the client reached, the login throttle counting per client address,
//! a body refused before it is all sent, a binary running in another process, or a
//! bench that measures what a browser's kept-alive connection costs.
//!
//! A minimal blocking HTTP/1.1 client over `std::net`, so no HTTP client crate is
//! needed: [`send`] opens one connection per request (`Connection: close`),
//! [`KeepAlive`] sends many over one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::http::{Answer, Request};

/// Sends `request` to `address` on a connection of its own and reads the answer to
/// the end. `Host` is `address` unless the request names another. A connection that
/// fails, or an answer cut short, is an error (the server may be gone).
pub fn send(address: SocketAddr, request: &Request) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = head(address, request, "Connection: close\r\n");
    stream.write_all(head.as_bytes())?;
    // A refused large body may be answered before it is all sent.
    let _ = stream.write_all(&request.body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw)
}

/// A GET of `url` (`http://host:port/path`) for a JSON answer; `Null` if the server
/// cannot be reached or does not answer with JSON (a poll of a process that may not
/// be up yet).
pub fn get_json(url: &str) -> serde_json::Value {
    get_json_with(url, &[])
}

/// As [`get_json`], with `headers` (e.g. `Authorization: Bearer …` for the hub's API).
pub fn get_json_with(url: &str, headers: &[(&str, &str)]) -> serde_json::Value {
    let Some((address, path)) = url.strip_prefix("http://").and_then(|rest| {
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        Some((host.parse::<SocketAddr>().ok()?, path))
    }) else {
        return serde_json::Value::Null;
    };
    let path = if path.is_empty() { "/" } else { path };
    send(address, &Request::get(path).headers(headers))
        .ok()
        .and_then(|answer| serde_json::from_slice(&answer.body).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// Many requests over one kept-alive connection, as a browser sends them. Answers
/// must carry `Content-Length` (every answer of ours that is not streamed does).
#[derive(Debug)]
pub struct KeepAlive {
    address: SocketAddr,
    stream: BufReader<TcpStream>,
}

impl KeepAlive {
    /// Connects to `address`, with Nagle's delay off as browsers have it.
    pub fn connect(address: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Self {
            address,
            stream: BufReader::new(stream),
        })
    }

    /// Sends `request` and reads its answer, leaving the connection open.
    pub fn send(&mut self, request: &Request) -> std::io::Result<Answer> {
        let head = head(self.address, request, "");
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(&request.body)?;
        let mut raw = Vec::new();
        loop {
            let before = raw.len();
            self.stream.read_until(b'\n', &mut raw)?;
            if raw.len() == before {
                return Err(std::io::Error::other("the connection closed mid-answer"));
            }
            if raw.ends_with(b"\r\n\r\n") {
                break;
            }
        }
        let mut answer = parse_head(raw.trim_ascii_end())?;
        let length = answer
            .header("content-length")
            .and_then(|value| value.parse::<usize>().ok())
            .ok_or_else(|| std::io::Error::other("a kept-alive answer without a length"))?;
        answer.body = vec![0; length];
        self.stream.read_exact(&mut answer.body)?;
        Ok(answer)
    }
}

/// The request line and headers, ending in the blank line.
fn head(address: SocketAddr, request: &Request, connection: &str) -> String {
    let mut head = format!(
        "{} {} HTTP/1.1\r\n{connection}Content-Length: {}\r\n",
        request.method,
        request.path,
        request.body.len()
    );
    if !request.has_header("host") {
        head.push_str(&format!("Host: {address}\r\n"));
    }
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// An answer read to its end: status line, headers, body (de-chunked). A body shorter
/// or longer than its `Content-Length` is an error.
fn parse(raw: &[u8]) -> std::io::Result<Answer> {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no complete answer"))?;
    let mut answer = parse_head(&raw[..split])?;
    answer.body = raw[split + 4..].to_vec();
    if answer
        .header("transfer-encoding")
        .is_some_and(|value| value.contains("chunked"))
    {
        answer.body =
            dechunk(&answer.body).ok_or_else(|| std::io::Error::other("bad chunked body"))?;
    }
    let length = answer
        .header("content-length")
        .and_then(|value| value.parse::<usize>().ok());
    if length.is_some_and(|length| length != answer.body.len()) {
        return Err(std::io::Error::other("the answer was cut short"));
    }
    Ok(answer)
}

/// The status line and headers, with an empty body.
fn parse_head(raw: &[u8]) -> std::io::Result<Answer> {
    let head = String::from_utf8_lossy(raw);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: Vec::new(),
    })
}

/// A chunked body's data; `None` if the framing is broken.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|pair| pair == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}
