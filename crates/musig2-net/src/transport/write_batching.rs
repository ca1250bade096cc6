//! Coalesces the writes of one JavaScript turn into one WebSocket message.
//!
//! Every layer above a browser WebSocket flushes on its own: the outer Noise and Yamux to
//! the relay, and inside each relayed circuit the end-to-end Noise, Yamux and the
//! multistream-select header of every new substream. `websocket-websys` sends each write
//! as its own WebSocket message, so one session message became 10–25 messages, each an IPC
//! hop to the browser's network process and a frame for the relay to forward.
//!
//! [`WriteBatching`] buffers writes and hands them to the connection once, from a deferred
//! task (in browsers: a microtask, which runs after every Rust task woken in this
//! turn has settled). A flush reports done once the bytes were handed to the connection;
//! it does not wait until the browser has put them on the wire (`websocket-websys` checks
//! that with a 100 ms interval).

use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures::{ready, AsyncRead, AsyncWrite};

/// Bytes buffered before a write hands them to the connection at once instead of waiting
/// for the deferred task.
const MAX_BATCH: usize = 64 * 1024;

/// Runs a task after the current turn's synchronous work and woken tasks.
pub(crate) trait Defer {
    /// Schedules `task`.
    fn defer(task: Box<dyn FnOnce()>);
}

/// Defers to a microtask (`queueMicrotask`: browsers, workers, Node).
#[cfg(target_arch = "wasm32")]
pub(crate) struct Microtask;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &wasm_bindgen::JsValue);
}

#[cfg(target_arch = "wasm32")]
impl Defer for Microtask {
    fn defer(task: Box<dyn FnOnce()>) {
        // `once_into_js` frees the closure after its one call.
        queue_microtask(&wasm_bindgen::closure::Closure::once_into_js(task));
    }
}

/// A connection whose writes are batched per turn; see the module docs.
pub(crate) struct WriteBatching<C, D> {
    shared: Arc<Mutex<Shared<C>>>,
    _defer: PhantomData<fn() -> D>,
}

struct Shared<C> {
    io: C,
    /// Written, not yet handed to `io`.
    out: Vec<u8>,
    /// A deferred hand-off is scheduled.
    scheduled: bool,
    /// Who waits for the deferred hand-off (a flush).
    flush_waker: Option<Waker>,
    /// The task that last wrote. A deferred hand-off the connection cannot take yet (a
    /// WebSocket still connecting) registers this waker with it, never a no-op one: the
    /// connection keeps a single waker for "open", shared with reads, and a no-op there
    /// would swallow the wake-up the owner's pending read waits for.
    writer: Option<Waker>,
    /// An error of a deferred hand-off, reported by the next call.
    error: Option<io::Error>,
}

impl<C: AsyncWrite + Unpin> Shared<C> {
    /// Hands every buffered byte to the connection.
    fn hand_off(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.out))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out.drain(..n);
        }
        Poll::Ready(Ok(()))
    }

    fn take_error(&mut self) -> io::Result<()> {
        self.error.take().map_or(Ok(()), Err)
    }
}

fn lock<C>(shared: &Mutex<Shared<C>>) -> MutexGuard<'_, Shared<C>> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<C, D> WriteBatching<C, D>
where
    C: AsyncWrite + Unpin + 'static,
    D: Defer,
{
    /// Wraps `io`.
    pub(crate) fn new(io: C) -> Self {
        Self {
            shared: Arc::new(Mutex::new(Shared {
                io,
                out: Vec::new(),
                scheduled: false,
                flush_waker: None,
                writer: None,
                error: None,
            })),
            _defer: PhantomData,
        }
    }

    fn schedule(&self, shared: &mut Shared<C>) {
        if shared.scheduled {
            return;
        }
        shared.scheduled = true;
        let weak = Arc::downgrade(&self.shared);
        D::defer(Box::new(move || {
            if let Some(shared) = weak.upgrade() {
                Self::deferred_hand_off(&shared);
            }
        }));
    }

    fn deferred_hand_off(shared: &Mutex<Shared<C>>) {
        let mut s = lock(shared);
        s.scheduled = false;
        let waiter = s.flush_waker.take();
        let waker = waiter
            .clone()
            .or_else(|| s.writer.clone())
            .unwrap_or_else(futures::task::noop_waker);
        match s.hand_off(&mut Context::from_waker(&waker)) {
            Poll::Ready(result) => {
                if let Err(e) = result {
                    s.error = Some(e);
                }
                drop(s);
                if let Some(w) = waiter {
                    w.wake();
                }
            }
            // The connection is full and will wake the waiter when it drains; without a
            // waiter the bytes wait for the next write or flush.
            Poll::Pending => s.flush_waker = waiter,
        }
    }
}

impl<C, D> AsyncRead for WriteBatching<C, D>
where
    C: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut s = lock(&self.shared);
        // Bytes a deferred hand-off could not give to the connection yet go out whenever the
        // owner polls (the answer it reads for may depend on them).
        if !s.out.is_empty() && !s.scheduled {
            if let Poll::Ready(Err(e)) = s.hand_off(cx) {
                s.error = Some(e);
            }
        }
        Pin::new(&mut s.io).poll_read(cx, buf)
    }
}

impl<C, D> AsyncWrite for WriteBatching<C, D>
where
    C: AsyncWrite + Unpin + 'static,
    D: Defer,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut s = lock(&self.shared);
        s.take_error()?;
        if s.out.len() >= MAX_BATCH {
            ready!(s.hand_off(cx))?;
        }
        s.out.extend_from_slice(buf);
        if !s.writer.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            s.writer = Some(cx.waker().clone());
        }
        self.schedule(&mut s);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut s = lock(&self.shared);
        s.take_error()?;
        if s.out.is_empty() {
            return Poll::Ready(Ok(()));
        }
        if s.scheduled {
            s.flush_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        s.hand_off(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut s = lock(&self.shared);
        ready!(s.hand_off(cx))?;
        Pin::new(&mut s.io).poll_close(cx)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::cell::RefCell;

    use futures::{AsyncReadExt, AsyncWriteExt, FutureExt};

    use super::*;

    thread_local! {
        static DEFERRED: RefCell<Vec<Box<dyn FnOnce()>>> = RefCell::new(Vec::new());
    }

    /// Collects deferred tasks; the test runs them as the end of a turn.
    struct Manual;

    impl Defer for Manual {
        fn defer(task: Box<dyn FnOnce()>) {
            DEFERRED.with(|d| d.borrow_mut().push(task));
        }
    }

    fn end_turn() -> usize {
        let tasks: Vec<_> = DEFERRED.with(|d| d.borrow_mut().drain(..).collect());
        let n = tasks.len();
        for task in tasks {
            task();
        }
        n
    }

    /// Records each `poll_write` as one message; refuses writes while `full`.
    #[derive(Default, Clone)]
    struct Messages {
        sent: Arc<Mutex<Vec<Vec<u8>>>>,
        full: Arc<Mutex<bool>>,
        closed: Arc<Mutex<bool>>,
    }

    impl AsyncWrite for Messages {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if *self.full.lock().unwrap() {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.sent.lock().unwrap().push(buf.to_vec());
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            *self.closed.lock().unwrap() = true;
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncRead for Messages {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            buf[..3].copy_from_slice(b"abc");
            Poll::Ready(Ok(3))
        }
    }

    #[test]
    fn the_writes_of_one_turn_leave_as_one_message_in_order() {
        let io = Messages::default();
        let mut conn = WriteBatching::<_, Manual>::new(io.clone());
        for part in [&b"he"[..], b"llo", b" world"] {
            assert_eq!(
                conn.write(part).now_or_never().unwrap().unwrap(),
                part.len()
            );
            assert!(
                conn.flush().now_or_never().is_none(),
                "flush waits for the turn"
            );
        }
        assert!(io.sent.lock().unwrap().is_empty(), "nothing sent mid-turn");
        assert_eq!(end_turn(), 1, "one deferred hand-off per turn");
        assert_eq!(*io.sent.lock().unwrap(), vec![b"hello world".to_vec()]);
        assert!(conn.flush().now_or_never().unwrap().is_ok(), "flushed");
        conn.write_all(b"next").now_or_never().unwrap().unwrap();
        end_turn();
        assert_eq!(
            io.sent.lock().unwrap().len(),
            2,
            "a later turn is a new message"
        );
    }

    #[test]
    fn a_full_connection_keeps_the_bytes_until_it_drains() {
        let io = Messages::default();
        let mut conn = WriteBatching::<_, Manual>::new(io.clone());
        *io.full.lock().unwrap() = true;
        conn.write_all(b"kept").now_or_never().unwrap().unwrap();
        end_turn();
        assert!(conn.flush().now_or_never().is_none(), "still buffered");
        *io.full.lock().unwrap() = false;
        conn.flush().now_or_never().unwrap().unwrap();
        assert_eq!(*io.sent.lock().unwrap(), vec![b"kept".to_vec()]);
    }

    #[test]
    fn a_connection_not_ready_wakes_the_writer_not_nobody() {
        struct Count(std::sync::atomic::AtomicUsize);
        impl futures::task::ArcWake for Count {
            fn wake_by_ref(arc: &Arc<Self>) {
                arc.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let io = Messages::default();
        let mut conn = WriteBatching::<_, Manual>::new(io.clone());
        *io.full.lock().unwrap() = true;
        let count = Arc::new(Count(Default::default()));
        let waker = futures::task::waker(count.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut conn).poll_write(&mut cx, b"early").is_ready());
        end_turn();
        assert!(
            count.0.load(std::sync::atomic::Ordering::SeqCst) > 0,
            "the writer is told when the connection can take the bytes"
        );
        *io.full.lock().unwrap() = false;
        let mut buf = [0u8; 8];
        assert!(Pin::new(&mut conn).poll_read(&mut cx, &mut buf).is_ready());
        assert_eq!(
            *io.sent.lock().unwrap(),
            vec![b"early".to_vec()],
            "sent on the next poll"
        );
    }

    #[test]
    fn close_hands_off_first_and_reads_pass_through() {
        let io = Messages::default();
        let mut conn = WriteBatching::<_, Manual>::new(io.clone());
        conn.write_all(b"last").now_or_never().unwrap().unwrap();
        conn.close().now_or_never().unwrap().unwrap();
        assert_eq!(*io.sent.lock().unwrap(), vec![b"last".to_vec()]);
        assert!(*io.closed.lock().unwrap());
        assert_eq!(end_turn(), 1);
        assert_eq!(io.sent.lock().unwrap().len(), 1, "nothing left to send");
        let mut buf = [0u8; 8];
        assert_eq!(conn.read(&mut buf).now_or_never().unwrap().unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
    }

    #[test]
    fn a_dropped_connection_ignores_its_pending_hand_off() {
        let io = Messages::default();
        let mut conn = WriteBatching::<_, Manual>::new(io.clone());
        conn.write_all(b"gone").now_or_never().unwrap().unwrap();
        drop(conn);
        assert_eq!(end_turn(), 1);
        assert!(io.sent.lock().unwrap().is_empty());
    }
}
