//! Frames on a stream: a u32 big-endian length, then that many payload bytes. What the
//! payload means is the sync protocol's business; this module only cuts the stream.
//!
//! The reader is generic over any tokio byte stream (quinn's `RecvStream` in use, an
//! in-memory stream in tests) and is cancel-safe: a `read` dropped halfway (say, in a
//! `tokio::select!`) loses nothing, and the next `read` carries on with the same frame.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::LinkError;

/// Bytes of the length prefix.
pub const HEADER_LEN: usize = 4;

/// How much payload buffer a frame gets ahead of the bytes that have come, so that a
/// peer announcing a large frame and then sending little costs little memory.
const GROWTH: usize = 64 * 1024;

/// Reads frames from a byte stream.
#[derive(Debug)]
pub struct FrameReader<R = quinn::RecvStream> {
    stream: R,
    max_frame: usize,
    header: [u8; HEADER_LEN],
    header_filled: usize,
    /// The payload length once the header is complete.
    payload_len: Option<usize>,
    /// The payload so far; may be longer than `payload_filled`, with zeros past it.
    payload: Vec<u8>,
    payload_filled: usize,
}

/// Writes frames to a byte stream.
#[derive(Debug)]
pub struct FrameWriter<W = quinn::SendStream> {
    stream: W,
    max_frame: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader of `stream` that refuses frames over `max_frame` bytes.
    pub fn new(stream: R, max_frame: usize) -> Self {
        Self {
            stream,
            max_frame,
            header: [0; HEADER_LEN],
            header_filled: 0,
            payload_len: None,
            payload: Vec::new(),
            payload_filled: 0,
        }
    }

    /// The next frame's payload, or `Ok(None)` when the stream ends cleanly between
    /// frames.
    ///
    /// A length over the limit is refused with [`LinkError::FrameTooLarge`] before any
    /// of the payload is allocated; a stream that ends inside a frame is
    /// [`LinkError::Truncated`]. After an error the stream is out of step and the
    /// connection should be closed ([`crate::CloseCode::TooLarge`] or
    /// [`crate::CloseCode::BadFrame`]).
    ///
    /// Cancel-safe.
    pub async fn read(&mut self) -> Result<Option<Vec<u8>>, LinkError> {
        let len = match self.payload_len {
            Some(len) => len,
            None => {
                while self.header_filled < HEADER_LEN {
                    let read = self
                        .stream
                        .read(&mut self.header[self.header_filled..])
                        .await?;
                    if read == 0 {
                        return match self.header_filled {
                            0 => Ok(None),
                            received => Err(LinkError::Truncated {
                                expected: HEADER_LEN,
                                received,
                            }),
                        };
                    }
                    self.header_filled += read;
                }
                // A u32 always fits the usize of the 32- and 64-bit targets we build for;
                // on a smaller one the frame is simply too large.
                let len = usize::try_from(u32::from_be_bytes(self.header)).unwrap_or(usize::MAX);
                if len > self.max_frame {
                    return Err(LinkError::FrameTooLarge {
                        size: len,
                        limit: self.max_frame,
                    });
                }
                self.payload_len = Some(len);
                len
            }
        };
        while self.payload_filled < len {
            let room = len.min(self.payload_filled.saturating_add(GROWTH));
            if self.payload.len() < room {
                self.payload.resize(room, 0);
            }
            let read = self
                .stream
                .read(&mut self.payload[self.payload_filled..room])
                .await?;
            if read == 0 {
                return Err(LinkError::Truncated {
                    expected: HEADER_LEN + len,
                    received: HEADER_LEN + self.payload_filled,
                });
            }
            self.payload_filled += read;
        }
        let mut payload = std::mem::take(&mut self.payload);
        payload.truncate(len);
        self.header_filled = 0;
        self.payload_len = None;
        self.payload_filled = 0;
        Ok(Some(payload))
    }

    /// The largest frame this reader accepts.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Bytes of memory held for the frame being read: they follow the bytes received
    /// (plus at most 64 KiB), not the length the peer announced.
    pub fn buffer_capacity(&self) -> usize {
        self.payload.capacity()
    }

    /// The stream underneath.
    pub fn into_inner(self) -> R {
        self.stream
    }
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// A writer to `stream` that refuses to send frames over `max_frame` bytes (the
    /// peer would refuse them anyway, and end the connection).
    pub fn new(stream: W, max_frame: usize) -> Self {
        Self { stream, max_frame }
    }

    /// Sends one frame. Not cancel-safe: a write dropped halfway leaves half a frame.
    pub async fn write(&mut self, payload: &[u8]) -> Result<(), LinkError> {
        let too_large = LinkError::FrameTooLarge {
            size: payload.len(),
            limit: self.max_frame,
        };
        if payload.len() > self.max_frame {
            return Err(too_large);
        }
        let len = u32::try_from(payload.len()).map_err(|_| too_large)?;
        self.stream.write_all(&len.to_be_bytes()).await?;
        self.stream.write_all(payload).await?;
        Ok(())
    }

    /// Ends the stream after the frames written: the peer's reader then returns
    /// `Ok(None)`. The bytes still travel after this returns, so close the connection
    /// only once the peer has answered (or its stream has ended too).
    pub async fn finish(&mut self) -> Result<(), LinkError> {
        self.stream.shutdown().await?;
        Ok(())
    }

    /// The largest frame this writer sends.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// The stream underneath.
    pub fn into_inner(self) -> W {
        self.stream
    }
}

/// The bytes of one frame, header and payload, for tests and for anyone writing frames
/// into a buffer. Fails if `payload` is longer than a u32 can say.
pub fn encode(payload: &[u8]) -> Result<Vec<u8>, LinkError> {
    let len = u32::try_from(payload.len()).map_err(|_| LinkError::FrameTooLarge {
        size: payload.len(),
        limit: u32::MAX as usize,
    })?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(payload);
    Ok(bytes)
}
