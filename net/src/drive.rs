//! Drives one sync [`Session`] over one QUIC [`Link`]: the loop that both the node and
//! the hub run per connection.
//!
//! Frames are read by their own task (a read cut short by `select!` would lose the
//! bytes already taken from the stream) and come in through a channel beside the
//! caller's local events. Each event is handled by the session on a blocking thread,
//! because the [`Host`] writes to SQLite and waits for the disk; at most one step of a
//! session runs at a time, and `work` (a [`StepGate`] and this session's rank in it)
//! bounds how many sessions step at once across the process, the lowest rank first. Effects are carried out in order: frames written, the close sent with its
//! code and reason, everything else handed to the caller's [`Observer`].

use std::sync::Arc;

use crate::steps::StepGate;
use crate::{CloseCode, Link, LinkError};
use tokio::sync::{mpsc, watch};
use wishtree_protocol::Timestamp;
use wishtree_protocol::frame::Frame;
use wishtree_protocol::sync::{Effect, Ending, Event, Host, Session};

/// What the caller wants to know of a running session.
pub trait Observer: Send {
    /// An effect other than a frame to send (those the driver writes itself).
    fn effect(&mut self, effect: &Effect);
    /// Bytes of a frame read (length prefix included).
    fn bytes_in(&mut self, _bytes: usize) {}
    /// Bytes of a frame written (length prefix included).
    fn bytes_out(&mut self, _bytes: usize) {}
}

/// How a driven session ended.
#[derive(Debug)]
pub struct Ended {
    /// The close code.
    pub ending: Ending,
    /// Why, in words.
    pub reason: String,
    /// What the transport said, when the link broke or the peer closed it.
    pub link_error: Option<LinkError>,
}

/// What the reading task saw.
enum Read {
    Frame(Vec<u8>),
    End,
    Failed(LinkError),
}

/// Runs `session` over `link` until it ends. `local` brings the caller's events
/// (`Start` for a dialer, `Changed` and `Attested` as documents change); `shutdown`
/// turning true closes the session cleanly. `now` is the clock.
#[allow(clippy::too_many_arguments)]
pub async fn drive<H: Host + Send + 'static>(
    mut session: Session,
    link: Link,
    mut host: H,
    mut local: mpsc::UnboundedReceiver<Event>,
    mut shutdown: watch::Receiver<bool>,
    work: Option<(Arc<StepGate>, u64)>,
    now: impl Fn() -> Timestamp + Send + Sync,
    observer: &mut dyn Observer,
) -> Ended {
    let (mut reader, mut writer, closer) = link.split();
    let (frames_tx, mut frames) = mpsc::channel::<Read>(16);
    let reading = tokio::spawn(async move {
        loop {
            let (item, end) = match reader.read().await {
                Ok(Some(bytes)) => (Read::Frame(bytes), false),
                Ok(None) => (Read::End, true),
                Err(error) => (Read::Failed(error), true),
            };
            if frames_tx.send(item).await.is_err() || end {
                return;
            }
        }
    });
    let mut local_open = true;
    let mut link_error = None;
    let ended = loop {
        let event = tokio::select! {
            biased;
            _ = shutdown.changed() => Event::Close,
            read = frames.recv() => match read {
                Some(Read::Frame(bytes)) => {
                    observer.bytes_in(bytes.len() + 4);
                    match Frame::decode(&bytes) {
                        Ok(frame) => Event::Frame(frame),
                        Err(error) => Event::Malformed(error.to_string()),
                    }
                }
                Some(Read::Failed(error @ LinkError::FrameTooLarge { .. })) => {
                    Event::Malformed(error.to_string())
                }
                // The peer closed after its Bye (the close can overtake the frame).
                Some(Read::Failed(LinkError::ClosedByPeer {
                    code: Some(CloseCode::Done | CloseCode::ShuttingDown),
                    ..
                })) => {
                    Event::Frame(Frame::Bye)
                }
                Some(Read::Failed(error)) => {
                    link_error = Some(error);
                    Event::Lost
                }
                Some(Read::End) | None => Event::Lost,
            },
            event = local.recv(), if local_open => match event {
                Some(Event::Changed(doc)) if !session.syncs(&doc) => continue,
                Some(event) => event,
                None => { local_open = false; continue; }
            },
        };
        // Ending a session merges nothing: it does not queue behind the work of
        // others, so a hub stopping with thousands of sessions stops at once.
        let ends = matches!(event, Event::Close | Event::Lost);
        let _permit = match &work {
            Some((gate, rank)) if !ends => Some(gate.acquire(*rank).await),
            _ => None,
        };
        // Read here, after the wait for a permit, so the clock need not be 'static.
        let at = now();
        let stepped = tokio::task::spawn_blocking(move || {
            let effects = session.handle_event(at, event, &mut host);
            (session, host, effects)
        })
        .await;
        let effects;
        (session, host, effects) = match stepped {
            Ok(stepped) => stepped,
            Err(error) => {
                closer.close(CloseCode::Internal, "the session failed");
                break Ended {
                    ending: Ending::Internal,
                    reason: format!("the session step failed: {error}"),
                    link_error,
                };
            }
        };
        let mut closed = None;
        for effect in effects {
            match effect {
                Effect::Send(frame) => {
                    let bytes = frame.encode();
                    observer.bytes_out(bytes.len() + 4);
                    if let Err(error) = writer.write(&bytes).await {
                        tracing::debug!("writing a {} frame failed: {error}", frame.kind());
                    }
                }
                Effect::Close { ending, reason } => {
                    observer.effect(&Effect::Close {
                        ending,
                        reason: reason.clone(),
                    });
                    if ending == Ending::Done {
                        // Let the peer read what was written before the close.
                        let _ = writer.finish().await;
                    }
                    closer.close(close_code(ending), &reason);
                    closed = Some(Ended {
                        ending,
                        reason,
                        link_error: link_error.take(),
                    });
                }
                other => observer.effect(&other),
            }
        }
        if let Some(ended) = closed {
            break ended;
        }
    };
    reading.abort();
    ended
}

/// The transport's close code for a session's ending.
pub fn close_code(ending: Ending) -> CloseCode {
    match ending {
        Ending::Done => CloseCode::Done,
        Ending::Refused => CloseCode::Refused,
        Ending::BadFrame => CloseCode::BadFrame,
        Ending::Internal => CloseCode::Internal,
    }
}
