//! The frame codec over in-memory byte streams: frames written come back exactly, in
//! whatever pieces the bytes arrive and however often a read is abandoned halfway;
//! arbitrary bytes never panic; a length over the limit allocates nothing, and memory
//! for a frame grows with the bytes that come rather than with the length announced.

#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use proptest::prelude::*;
use tokio::io::{AsyncRead, ReadBuf};
use wishtree_net::LinkError;
use wishtree_net::frame::{self, FrameReader, FrameWriter, HEADER_LEN};

proptest! {
    #[test]
    fn frames_come_back_exactly_in_any_pieces(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..12),
        pieces in prop::collection::vec(1_usize..40, 1..8),
        stall in any::<bool>(),
    ) {
        let bytes: Vec<u8> = frames.iter().flat_map(|f| frame::encode(f).unwrap()).collect();
        let mut reader = FrameReader::new(Pieces::new(bytes, pieces, stall), 300);
        let mut read = Vec::new();
        while let Some(frame) = run(read_abandoning(&mut reader)).unwrap() {
            read.push(frame);
        }
        prop_assert_eq!(read, frames);
        // The end stays the end.
        prop_assert!(run(reader.read()).unwrap().is_none());
    }

    #[test]
    fn any_bytes_give_frames_then_an_end_or_an_error(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        pieces in prop::collection::vec(1_usize..40, 1..8),
        max_frame in 0_usize..200,
    ) {
        let mut reader = FrameReader::new(Pieces::new(bytes.clone(), pieces, false), max_frame);
        let mut consumed = 0;
        let outcome = loop {
            match run(reader.read()) {
                Ok(Some(frame)) => {
                    prop_assert!(frame.len() <= max_frame);
                    prop_assert_eq!(&bytes[consumed + HEADER_LEN..][..frame.len()], &frame[..]);
                    consumed += HEADER_LEN + frame.len();
                }
                other => break other,
            }
        };
        let rest = &bytes[consumed..];
        match outcome {
            Ok(None) => prop_assert!(rest.is_empty()),
            Err(LinkError::FrameTooLarge { size, limit }) => {
                prop_assert_eq!(limit, max_frame);
                prop_assert_eq!(size as u64, u64::from(u32::from_be_bytes(rest[..4].try_into().unwrap())));
                prop_assert!(size > max_frame);
            }
            Err(LinkError::Truncated { expected, received }) => {
                prop_assert_eq!(received, rest.len());
                prop_assert!(received < expected);
            }
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

#[test]
fn an_oversized_length_allocates_nothing_of_its_size() {
    // A header that announces 4 GiB, then a stream that stays open: the reader must
    // neither allocate the size nor wait for the payload.
    let stream = Pieces::new(u32::MAX.to_be_bytes().to_vec(), vec![1], false).then_pending();
    let mut reader = FrameReader::new(stream, 1024 * 1024);
    let outcome = run(reader.read());
    assert!(
        matches!(outcome, Err(LinkError::FrameTooLarge { size, limit: 1_048_576 }) if size == u32::MAX as usize),
        "{outcome:?}"
    );
    assert_eq!(reader.buffer_capacity(), 0);
}

#[test]
fn a_large_announced_frame_grows_with_the_bytes_that_come() {
    // 16 MiB announced, 100 bytes sent, then the stream ends: memory follows the bytes.
    let mut bytes = (16_u32 * 1024 * 1024).to_be_bytes().to_vec();
    bytes.extend_from_slice(&[7; 100]);
    let mut reader = FrameReader::new(Pieces::new(bytes, vec![1000], false), 32 * 1024 * 1024);
    let outcome = run(reader.read());
    assert!(
        matches!(outcome, Err(LinkError::Truncated { expected, received: 104 }) if expected == 16 * 1024 * 1024 + 4),
        "{outcome:?}"
    );
    let held = reader.buffer_capacity();
    assert!(held <= 128 * 1024, "{held} bytes held for 100 received");
}

#[test]
fn a_stream_ending_inside_the_length_is_truncated() {
    let mut reader = FrameReader::new(Pieces::new(vec![0, 0], vec![1], false), 10);
    let outcome = run(reader.read());
    assert!(
        matches!(
            outcome,
            Err(LinkError::Truncated {
                expected: 4,
                received: 2
            })
        ),
        "{outcome:?}"
    );
}

#[test]
fn the_writer_writes_what_the_reader_reads() {
    let mut writer = FrameWriter::new(Vec::new(), 10);
    run(writer.write(b"abc")).unwrap();
    run(writer.write(b"")).unwrap();
    assert!(matches!(
        run(writer.write(&[0; 11])),
        Err(LinkError::FrameTooLarge {
            size: 11,
            limit: 10
        })
    ));
    let bytes = writer.into_inner();
    assert_eq!(bytes, [0, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 0]);
}

/// A byte stream that hands out its bytes in pieces of the given sizes, in turn, and
/// (when `stall`) answers "not yet" before every piece.
struct Pieces {
    bytes: Vec<u8>,
    at: usize,
    pieces: Vec<usize>,
    turn: usize,
    stall: bool,
    stalled: bool,
    pending_at_end: bool,
}

impl Pieces {
    fn new(bytes: Vec<u8>, pieces: Vec<usize>, stall: bool) -> Self {
        Self {
            bytes,
            at: 0,
            pieces,
            turn: 0,
            stall,
            stalled: false,
            pending_at_end: false,
        }
    }

    /// Stays open (pending forever) after the bytes instead of ending.
    fn then_pending(mut self) -> Self {
        self.pending_at_end = true;
        self
    }
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.stall && !this.stalled {
            this.stalled = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.stalled = false;
        if this.at == this.bytes.len() && this.pending_at_end {
            return Poll::Pending;
        }
        let piece = this.pieces[this.turn % this.pieces.len()];
        this.turn += 1;
        let end = this
            .bytes
            .len()
            .min(this.at + piece)
            .min(this.at + buf.remaining());
        buf.put_slice(&this.bytes[this.at..end]);
        this.at = end;
        Poll::Ready(Ok(()))
    }
}

/// Reads a frame, abandoning the read every time it is not ready and starting again,
/// as a `tokio::select!` loop does.
async fn read_abandoning(reader: &mut FrameReader<Pieces>) -> Result<Option<Vec<u8>>, LinkError> {
    loop {
        let once = {
            let mut read = pin!(reader.read());
            std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await
        };
        match once {
            Poll::Ready(outcome) => return outcome,
            // The stream woke us already; yield so that the poll_fn above is a fresh one.
            Poll::Pending => tokio::task::yield_now().await,
        }
    }
}

/// Runs a future on a fresh single-threaded runtime, on this thread.
fn run<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}
