//! Length-prefixed frames on a long-lived stream, driven one poll at a time: each frame is a
//! big-endian `u32` length followed by that many bytes. The reader refuses a frame longer than
//! its limit before reading the body; the writer bounds the bytes it queues.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{AsyncRead, AsyncWrite};

/// Bytes a frame takes on the stream: its length prefix and its body.
pub(super) fn encoded_len(frame: &[u8]) -> usize {
    frame.len() + 4
}

/// Reads frames from one stream, keeping a partly read frame across polls.
#[derive(Debug)]
pub(super) struct FrameReader {
    max: usize,
    header: [u8; 4],
    header_filled: usize,
    /// The body being read, once its header is complete.
    body: Option<(Vec<u8>, usize)>,
}

impl FrameReader {
    /// A reader that refuses frames longer than `max` bytes.
    pub(super) fn new(max: usize) -> Self {
        Self {
            max,
            header: [0; 4],
            header_filled: 0,
            body: None,
        }
    }

    /// The next whole frame; `Ok(None)` when the stream ended cleanly between frames.
    ///
    /// # Errors
    /// The stream's I/O error, `InvalidData` for a frame over the limit, `UnexpectedEof` when
    /// the stream ends inside a frame.
    pub(super) fn poll_frame<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        loop {
            if let Some((body, filled)) = self.body.as_mut() {
                if *filled == body.len() {
                    let frame = std::mem::take(body);
                    self.body = None;
                    self.header_filled = 0;
                    return Poll::Ready(Ok(Some(frame)));
                }
                let n = std::task::ready!(Pin::new(&mut *io).poll_read(cx, &mut body[*filled..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
                }
                *filled += n;
                continue;
            }
            let n = std::task::ready!(
                Pin::new(&mut *io).poll_read(cx, &mut self.header[self.header_filled..])
            )?;
            if n == 0 {
                return Poll::Ready(if self.header_filled == 0 {
                    Ok(None)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                });
            }
            self.header_filled += n;
            if self.header_filled == self.header.len() {
                let len = u32::from_be_bytes(self.header) as usize;
                if len > self.max {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("frame of {len} bytes exceeds the limit of {}", self.max),
                    )));
                }
                self.body = Some((vec![0; len], 0));
            }
        }
    }
}

/// Frames refused by [`FrameWriter::push`] because the queue is full.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct QueueFull;

/// Queues frames and writes them to one stream, flushing once the queue is empty.
#[derive(Debug)]
pub(super) struct FrameWriter {
    max_frame: usize,
    max_queued_bytes: usize,
    queued_bytes: usize,
    /// Encoded frames (header and body) not yet started.
    queue: VecDeque<Vec<u8>>,
    /// The encoded frame being written and how much of it is written.
    current: Option<(Vec<u8>, usize)>,
    /// Frames written completely since the last flush.
    written: usize,
}

impl FrameWriter {
    /// A writer that takes frames of at most `max_frame` bytes and queues at most
    /// `max_queued_bytes` of them.
    pub(super) fn new(max_frame: usize, max_queued_bytes: usize) -> Self {
        Self {
            max_frame,
            max_queued_bytes,
            queued_bytes: 0,
            queue: VecDeque::new(),
            current: None,
            written: 0,
        }
    }

    /// Queues `frame` after the ones queued before it.
    ///
    /// # Errors
    /// [`QueueFull`] when the frame is over the frame limit or does not fit in the queue.
    pub(super) fn push(&mut self, frame: &[u8]) -> Result<(), QueueFull> {
        let len = u32::try_from(frame.len()).map_err(|_| QueueFull)?;
        if frame.len() > self.max_frame
            || self.queued_bytes + encoded_len(frame) > self.max_queued_bytes
        {
            return Err(QueueFull);
        }
        let mut encoded = Vec::with_capacity(encoded_len(frame));
        encoded.extend_from_slice(&len.to_be_bytes());
        encoded.extend_from_slice(frame);
        self.queued_bytes += encoded.len();
        self.queue.push_back(encoded);
        Ok(())
    }

    /// Frames queued or written and not yet flushed.
    pub(super) fn unflushed(&self) -> usize {
        self.queue.len() + usize::from(self.current.is_some()) + self.written
    }

    /// Whether frames wait to be written (a stream is needed).
    pub(super) fn has_queued(&self) -> bool {
        !self.queue.is_empty() || self.current.is_some()
    }

    /// Forgets every frame not yet flushed (the stream failed) and says how many there were.
    pub(super) fn discard(&mut self) -> usize {
        let n = self.unflushed();
        self.queue.clear();
        self.current = None;
        self.queued_bytes = 0;
        self.written = 0;
        n
    }

    /// Forgets the frames written to a stream that failed before they were flushed, keeping
    /// the ones not yet started for the next stream; says how many were forgotten.
    pub(super) fn discard_written(&mut self) -> usize {
        let n = self.written + usize::from(self.current.is_some());
        if let Some((frame, _)) = self.current.take() {
            self.queued_bytes -= frame.len();
        }
        self.written = 0;
        n
    }

    /// Writes every queued frame, then flushes. Ready with the number of frames flushed by
    /// this call (0 when nothing was waiting).
    ///
    /// # Errors
    /// The stream's I/O error; `WriteZero` when the stream accepts no more bytes.
    pub(super) fn poll_write_all<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        loop {
            if self.current.is_none() {
                self.current = self.queue.pop_front().map(|frame| (frame, 0));
            }
            let Some((frame, offset)) = self.current.as_mut() else {
                break;
            };
            let n = std::task::ready!(Pin::new(&mut *io).poll_write(cx, &frame[*offset..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *offset += n;
            if *offset == frame.len() {
                self.queued_bytes -= frame.len();
                self.current = None;
                self.written += 1;
            }
        }
        if self.written == 0 {
            return Poll::Ready(Ok(0));
        }
        std::task::ready!(Pin::new(&mut *io).poll_flush(cx))?;
        Poll::Ready(Ok(std::mem::take(&mut self.written)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;
    use futures::task::noop_waker_ref;

    fn encode(frames: &[&[u8]]) -> Vec<u8> {
        let mut writer = FrameWriter::new(1024, 1 << 20);
        for f in frames {
            writer.push(f).unwrap();
        }
        let mut out = Cursor::new(Vec::new());
        let mut cx = Context::from_waker(noop_waker_ref());
        match writer.poll_write_all(&mut out, &mut cx) {
            Poll::Ready(Ok(n)) => assert_eq!(n, frames.len()),
            other => panic!("write did not complete: {other:?}"),
        }
        assert_eq!(writer.unflushed(), 0);
        out.into_inner()
    }

    /// Hands out one byte per poll and is pending every other poll, like a slow stream.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        pending_next: bool,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            let pending = self.pending_next;
            self.pending_next = !pending;
            if pending {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if self.at == self.bytes.len() || buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            buf[0] = self.bytes[self.at];
            self.at += 1;
            Poll::Ready(Ok(1))
        }
    }

    fn read_all<R: AsyncRead + Unpin>(
        reader: &mut FrameReader,
        io: &mut R,
    ) -> io::Result<Vec<Vec<u8>>> {
        let mut cx = Context::from_waker(noop_waker_ref());
        let mut frames = Vec::new();
        loop {
            match reader.poll_frame(io, &mut cx) {
                Poll::Pending => {}
                Poll::Ready(Ok(Some(frame))) => frames.push(frame),
                Poll::Ready(Ok(None)) => return Ok(frames),
                Poll::Ready(Err(e)) => return Err(e),
            }
        }
    }

    #[test]
    fn frames_written_are_read_back_in_order() {
        let bytes = encode(&[b"first", b"", b"third frame"]);
        assert_eq!(&bytes[..4], &5u32.to_be_bytes());
        let frames = read_all(&mut FrameReader::new(1024), &mut Cursor::new(bytes)).unwrap();
        assert_eq!(
            frames,
            vec![b"first".to_vec(), vec![], b"third frame".to_vec()]
        );
    }

    #[test]
    fn a_frame_arriving_a_byte_at_a_time_is_reassembled() {
        let mut io = Trickle {
            bytes: encode(&[b"slow", b"and steady"]),
            at: 0,
            pending_next: true,
        };
        let frames = read_all(&mut FrameReader::new(1024), &mut io).unwrap();
        assert_eq!(frames, vec![b"slow".to_vec(), b"and steady".to_vec()]);
    }

    #[test]
    fn an_oversized_frame_is_refused_before_its_body() {
        let mut bytes = 2000u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0; 10]);
        let err = read_all(&mut FrameReader::new(1024), &mut Cursor::new(bytes)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_stream_ending_inside_a_frame_is_an_error() {
        let mut bytes = encode(&[b"whole", b"cut short"]);
        bytes.truncate(bytes.len() - 3);
        let err = read_all(&mut FrameReader::new(1024), &mut Cursor::new(bytes)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let err = read_all(&mut FrameReader::new(1024), &mut Cursor::new(vec![0, 0])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn the_writer_refuses_what_exceeds_its_bounds() {
        let mut writer = FrameWriter::new(100, 250);
        assert_eq!(writer.push(&[0; 101]), Err(QueueFull));
        writer.push(&[0; 100]).unwrap();
        writer.push(&[0; 100]).unwrap();
        // 2 × 104 bytes queued; a 39-byte frame (43 encoded) does not fit in 250, 38 does.
        assert_eq!(writer.push(&[0; 39]), Err(QueueFull));
        writer.push(&[0; 38]).unwrap();
        assert_eq!(writer.unflushed(), 3);
        assert_eq!(writer.discard(), 3);
        writer.push(&[0; 100]).unwrap();
    }

    /// Accepts at most `room` bytes, then reports a broken pipe.
    struct Breaks {
        room: usize,
    }

    impl AsyncWrite for Breaks {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if self.room == 0 {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn a_broken_stream_loses_only_the_frames_written_to_it() {
        let mut writer = FrameWriter::new(100, 1000);
        for _ in 0..3 {
            writer.push(&[1; 10]).unwrap();
        }
        let mut cx = Context::from_waker(noop_waker_ref());
        // The first frame (14 bytes) fits, the second is cut after 6 bytes.
        let mut io = Breaks { room: 20 };
        assert!(matches!(
            writer.poll_write_all(&mut io, &mut cx),
            Poll::Ready(Err(_))
        ));
        assert_eq!(writer.discard_written(), 2);
        assert!(writer.has_queued());
        let mut fresh = Cursor::new(Vec::new());
        assert!(matches!(
            writer.poll_write_all(&mut fresh, &mut cx),
            Poll::Ready(Ok(1))
        ));
        assert_eq!(fresh.into_inner().len(), 14);
        // Everything left fits again.
        writer.push(&[0; 100]).unwrap();
    }
}
