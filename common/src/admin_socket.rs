//! The admin socket: how a command (`wishtree-hub import`, `wishtree-node export
//! --bundle`) hands its work to the process that runs on a data directory, instead of
//! asking the operator to stop it.
//!
//! The running process holds the directory's lock (see [`crate::dir_lock`]), so it may
//! remove a socket file a crashed process left and bind a new one. The socket is a Unix
//! socket in the data directory with mode 0600, and the server also checks that the
//! peer runs as the socket's owner or as root: whoever may read the data directory may
//! ask, nobody else. One request per connection, served one at a time on a blocking
//! thread, with read and write timeouts, so a stuck client holds nothing for long.
//!
//! The wire is frames: a kind byte, a 4-byte big-endian length, the payload. A request
//! is a `Q` frame (the command, text) and a `B` frame (its body, maybe empty). The
//! answer is any number of `P` frames (progress lines), then either a `D` frame (done:
//! text for the person) and a `B` frame (a body), or an `E` frame (why not). Every
//! length is checked before anything is allocated for it.
//!
//! Windows has no socket here: [`AdminSocket::bind`] and [`call`] answer
//! `Unsupported`, and the commands ask the operator to stop the process as before.

// The frame helpers serve the Unix socket only.
#![cfg_attr(not(unix), allow(dead_code))]

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The largest text frame (a command, a progress line, an answer).
const MAX_TEXT: u64 = 1024 * 1024;
/// How long the server waits for a client's next bytes, and a client for the server's.
const SERVER_PATIENCE: Duration = Duration::from_secs(30);
/// A big import can take minutes between two progress lines.
const CLIENT_PATIENCE: Duration = Duration::from_secs(30 * 60);

const QUERY: u8 = b'Q';
const BODY: u8 = b'B';
const PROGRESS: u8 = b'P';
const DONE: u8 = b'D';
const FAILED: u8 = b'E';

/// What a command asks the running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRequest {
    /// The command and its arguments, as the two sides agree (e.g. JSON).
    pub command: String,
    /// Its bytes (a bundle), maybe none.
    pub body: Vec<u8>,
}

/// What the running process answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminReply {
    /// What to tell the person.
    pub text: String,
    /// Bytes for the command (a bundle to write), maybe none.
    pub body: Vec<u8>,
}

/// Why a command could not be handed over, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nothing listens on the socket (no process runs, or it has no socket).
    #[error("nothing answers on {path}: {source}")]
    NotListening {
        /// The socket's path.
        path: String,
        /// The error.
        source: io::Error,
    },
    /// This platform has no admin socket.
    #[error("this platform has no admin socket")]
    Unsupported,
    /// The connection broke.
    #[error("the admin socket connection broke: {0}")]
    Io(#[from] io::Error),
    /// The other side sent something this side does not understand.
    #[error("the admin socket answered something unexpected: {0}")]
    Protocol(String),
    /// The running process refused, saying why.
    #[error("{0}")]
    Refused(String),
}

/// What a running process does with a request. `progress` sends a line to the
/// command as the work goes on; an `Err` is the refusal the command shows.
pub trait AdminHandler: Send + Sync + 'static {
    /// Handles one request.
    fn handle(
        &self,
        request: AdminRequest,
        progress: &mut dyn FnMut(&str),
    ) -> Result<AdminReply, String>;
}

/// A bound admin socket, removed when dropped.
#[derive(Debug)]
pub struct AdminSocket {
    #[cfg(unix)]
    listener: tokio::net::UnixListener,
    path: PathBuf,
}

impl AdminSocket {
    /// Binds `file_name` in `data`, replacing a file of that name. Call it only while
    /// holding the directory's lock, inside a tokio runtime.
    #[cfg(unix)]
    pub fn bind(data: &Path, file_name: &str) -> io::Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        let path = data.join(file_name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        let listener = tokio::net::UnixListener::bind(&path)?;
        // Bound sockets get the umask's mode; nobody but the owner may connect.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Self { listener, path })
    }

    /// No admin socket on this platform.
    #[cfg(not(unix))]
    pub fn bind(data: &Path, file_name: &str) -> io::Result<Self> {
        let _ = (data, file_name);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves requests one at a time until `shutdown` completes; a request's body may
    /// have up to `max_body` bytes.
    pub async fn serve(
        self,
        handler: Arc<dyn AdminHandler>,
        max_body: u64,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        #[cfg(unix)]
        {
            let mut shutdown = std::pin::pin!(shutdown);
            loop {
                let stream = tokio::select! {
                    accepted = self.listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(error) => {
                            tracing::warn!("admin socket: cannot accept: {error}");
                            continue;
                        }
                    },
                    () = &mut shutdown => return,
                };
                if let Err(refusal) = check_peer(&stream, &self.path) {
                    tracing::warn!("admin socket: {refusal}");
                    continue;
                }
                let stream = match stream
                    .into_std()
                    .and_then(|stream| stream.set_nonblocking(false).map(|()| stream))
                {
                    Ok(stream) => stream,
                    Err(error) => {
                        tracing::warn!("admin socket: {error}");
                        continue;
                    }
                };
                let handler = Arc::clone(&handler);
                let served =
                    tokio::task::spawn_blocking(move || serve_one(stream, &*handler, max_body));
                match served.await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::warn!("admin socket: {error}"),
                    Err(error) => tracing::error!("admin socket: a request failed: {error}"),
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (handler, max_body);
            shutdown.await;
        }
    }
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        // The next process removes it anyway; this keeps a stopped directory tidy.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Hands `request` to the process serving `file_name` in `data`, passing its progress
/// lines to `progress`. A reply body may have up to `max_body` bytes.
pub fn call(
    data: &Path,
    file_name: &str,
    request: &AdminRequest,
    max_body: u64,
    progress: &mut dyn FnMut(&str),
) -> Result<AdminReply, AdminError> {
    #[cfg(unix)]
    {
        let path = data.join(file_name);
        let mut stream = std::os::unix::net::UnixStream::connect(&path).map_err(|source| {
            AdminError::NotListening {
                path: path.display().to_string(),
                source,
            }
        })?;
        stream.set_read_timeout(Some(CLIENT_PATIENCE))?;
        stream.set_write_timeout(Some(CLIENT_PATIENCE))?;
        write_frame(&mut stream, QUERY, request.command.as_bytes())?;
        write_frame(&mut stream, BODY, &request.body)?;
        stream.flush()?;
        loop {
            let (kind, payload) = read_frame(&mut stream, max_body)?;
            match kind {
                PROGRESS => progress(&text(payload)?),
                DONE => {
                    let answer = text(payload)?;
                    let (kind, body) = read_frame(&mut stream, max_body)?;
                    if kind != BODY {
                        return Err(AdminError::Protocol("a done frame without its body".into()));
                    }
                    return Ok(AdminReply { text: answer, body });
                }
                FAILED => return Err(AdminError::Refused(text(payload)?)),
                other => {
                    return Err(AdminError::Protocol(format!("a frame of kind {other}")));
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (data, file_name, request, max_body, progress);
        Err(AdminError::Unsupported)
    }
}

/// Refuses a peer that runs as neither the socket's owner nor root.
#[cfg(unix)]
fn check_peer(stream: &tokio::net::UnixStream, path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?
        .uid();
    let peer = stream
        .peer_cred()
        .map_err(|error| format!("cannot tell who connected: {error}"))?
        .uid();
    if peer == owner || peer == 0 {
        Ok(())
    } else {
        Err(format!(
            "refused a connection from uid {peer}: only uid {owner} and root may ask"
        ))
    }
}

/// Reads one request, hands it to `handler` and writes the answer.
#[cfg(unix)]
fn serve_one(
    mut stream: std::os::unix::net::UnixStream,
    handler: &dyn AdminHandler,
    max_body: u64,
) -> io::Result<()> {
    stream.set_read_timeout(Some(SERVER_PATIENCE))?;
    stream.set_write_timeout(Some(SERVER_PATIENCE))?;
    let request = match read_request(&mut stream, max_body) {
        Ok(request) => request,
        Err(problem) => return write_frame(&mut stream, FAILED, problem.as_bytes()),
    };
    // A client that went away does not stop the work: it is whole or nothing anyway.
    let mut gone = false;
    let result = handler.handle(request, &mut |line| {
        if !gone && write_frame(&mut stream, PROGRESS, line.as_bytes()).is_err() {
            gone = true;
        }
    });
    match result {
        Ok(reply) => {
            write_frame(&mut stream, DONE, reply.text.as_bytes())?;
            write_frame(&mut stream, BODY, &reply.body)?;
        }
        Err(refusal) => write_frame(&mut stream, FAILED, refusal.as_bytes())?,
    }
    stream.flush()
}

/// A `Q` frame and a `B` frame, or why not, in words for the client.
#[cfg(unix)]
fn read_request(stream: &mut impl Read, max_body: u64) -> Result<AdminRequest, String> {
    let (kind, command) = read_frame(stream, max_body).map_err(|error| error.to_string())?;
    if kind != QUERY {
        return Err(format!("a request starts with a command, not kind {kind}"));
    }
    let command = text(command).map_err(|error| error.to_string())?;
    let (kind, body) = read_frame(stream, max_body).map_err(|error| error.to_string())?;
    if kind != BODY {
        return Err(format!(
            "a command is followed by its body, not kind {kind}"
        ));
    }
    Ok(AdminRequest { command, body })
}

fn write_frame(stream: &mut impl Write, kind: u8, payload: &[u8]) -> io::Result<()> {
    let length = u32::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a frame over 4 GiB"))?;
    stream.write_all(&[kind])?;
    stream.write_all(&length.to_be_bytes())?;
    stream.write_all(payload)
}

/// One frame; its length is checked against the limit of its kind before reading.
fn read_frame(stream: &mut impl Read, max_body: u64) -> Result<(u8, Vec<u8>), AdminError> {
    let mut head = [0u8; 5];
    stream.read_exact(&mut head)?;
    let [kind, length @ ..] = head;
    let length = u64::from(u32::from_be_bytes(length));
    let limit = if kind == BODY { max_body } else { MAX_TEXT };
    if length > limit {
        return Err(AdminError::Protocol(format!(
            "a frame of {length} bytes, over the limit of {limit}"
        )));
    }
    let mut payload = Vec::new();
    stream.take(length).read_to_end(&mut payload)?;
    if payload.len() as u64 != length {
        return Err(AdminError::Protocol("a frame cut short".into()));
    }
    Ok((kind, payload))
}

fn text(bytes: Vec<u8>) -> Result<String, AdminError> {
    String::from_utf8(bytes).map_err(|_| AdminError::Protocol("text that is not UTF-8".into()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Echoes the body back, after one progress line; refuses the command `no`.
    struct Echo;

    impl AdminHandler for Echo {
        fn handle(
            &self,
            request: AdminRequest,
            progress: &mut dyn FnMut(&str),
        ) -> Result<AdminReply, String> {
            if request.command == "no" {
                return Err("refused: no".into());
            }
            progress(&format!("got {} bytes", request.body.len()));
            Ok(AdminReply {
                text: request.command,
                body: request.body,
            })
        }
    }

    #[allow(clippy::unwrap_used)]
    fn with_server(check: impl FnOnce(&Path) + Send + 'static) {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let path = dir.path().to_owned();
        runtime.block_on(async move {
            let socket = AdminSocket::bind(&path, "x.sock").unwrap();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(socket.serve(Arc::new(Echo), 16, async move {
                let _ = stopped.await;
            }));
            let client_path = path.clone();
            tokio::task::spawn_blocking(move || check(&client_path))
                .await
                .unwrap();
            let _ = stop.send(());
            server.await.unwrap();
            assert!(!path.join("x.sock").exists(), "removed when dropped");
        });
    }

    #[test]
    fn a_request_gets_its_progress_and_its_answer_or_the_refusal() {
        with_server(|dir| {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("x.sock"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
            let mut lines = Vec::new();
            let request = AdminRequest {
                command: "echo".into(),
                body: b"bytes".to_vec(),
            };
            let reply = call(dir, "x.sock", &request, 16, &mut |line| {
                lines.push(line.to_owned())
            })
            .unwrap();
            assert_eq!(reply.text, "echo");
            assert_eq!(reply.body, b"bytes");
            assert_eq!(lines, ["got 5 bytes"]);
            let refused = AdminRequest {
                command: "no".into(),
                body: Vec::new(),
            };
            let error = call(dir, "x.sock", &refused, 16, &mut |_| {}).unwrap_err();
            assert!(matches!(error, AdminError::Refused(ref why) if why == "refused: no"));
        });
    }

    #[test]
    fn a_body_over_the_limit_is_refused_before_it_is_read() {
        with_server(|dir| {
            let request = AdminRequest {
                command: "echo".into(),
                body: vec![0; 17],
            };
            // The server refuses at the header; the client may see the refusal or a
            // broken pipe while it still writes, never an answer.
            match call(dir, "x.sock", &request, 16, &mut |_| {}) {
                Err(AdminError::Refused(why)) => assert!(why.contains("over the limit"), "{why}"),
                Err(AdminError::Io(_)) => {}
                other => panic!("a body over the limit was served: {other:?}"),
            }
            // Bytes that are not frames get a refusal too, and the server goes on.
            let mut stream = std::os::unix::net::UnixStream::connect(dir.join("x.sock")).unwrap();
            stream.write_all(b"Zgarbage").unwrap();
            let (kind, _) = read_frame(&mut stream, 16).unwrap();
            assert_eq!(kind, FAILED);
            let reply = call(
                dir,
                "x.sock",
                &AdminRequest {
                    command: "echo".into(),
                    body: Vec::new(),
                },
                16,
                &mut |_| {},
            )
            .unwrap();
            assert_eq!(reply.text, "echo");
        });
    }

    #[test]
    fn nothing_listening_is_said_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let request = AdminRequest {
            command: "echo".into(),
            body: Vec::new(),
        };
        let error = call(dir.path(), "x.sock", &request, 16, &mut |_| {}).unwrap_err();
        assert!(matches!(error, AdminError::NotListening { .. }), "{error}");
    }
}
