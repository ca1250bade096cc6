//! The direct protocol's length-prefixed codec (`musig2_net::codec::DirectCodec`) reading
//! requests and responses from an arbitrary byte stream that arrives in fuzz-chosen pieces,
//! with spurious wake-ups, interrupted reads and injected I/O errors. A frame that is read
//! must be exactly what the prefix announced and within the limit; one that is written must
//! read back unchanged.
#![no_main]

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::executor::block_on;
use futures::io::{AsyncRead, Cursor};
use libfuzzer_sys::fuzz_target;
use musig2_net::codec::DirectCodec;
use musig2_net::libp2p::request_response::Codec;
use musig2_net::protocol::{DIRECT_PROTOCOL, MAX_DIRECT_REQUEST_BYTES, MAX_DIRECT_RESPONSE_BYTES};
use musig2_p2p_fuzz::FuzzRng;
use rand_core::RngCore;

/// A stream over `data` whose reads are cut, delayed and failed at the whim of `rng`.
struct Choppy<'a> {
    data: &'a [u8],
    rng: FuzzRng,
    interrupts_left: u8,
    fail: bool,
    /// Whether an error was injected (futures' `read_exact` passes even `Interrupted` on).
    injected: bool,
}

impl AsyncRead for Choppy<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let roll = self.rng.next_u32() % 64;
        if roll < 8 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if roll < 10 && self.interrupts_left > 0 {
            self.interrupts_left -= 1;
            self.injected = true;
            return Poll::Ready(Err(io::ErrorKind::Interrupted.into()));
        }
        if roll == 10 && self.fail {
            self.injected = true;
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let want = 1 + (self.rng.next_u32() as usize % 4096);
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Poll::Ready(Ok(n))
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (seed, stream) = rest.split_at(rest.len().min(8));
    let mut seed_bytes = [0u8; 8];
    seed_bytes[..seed.len()].copy_from_slice(seed);
    let is_request = flags & 1 == 0;
    let mut io = Choppy {
        data: stream,
        rng: FuzzRng::new(u64::from_le_bytes(seed_bytes)),
        interrupts_left: 4,
        fail: flags & 2 != 0,
        injected: false,
    };
    let mut codec = DirectCodec::default();
    let (result, max) = if is_request {
        (
            block_on(codec.read_request(&DIRECT_PROTOCOL, &mut io)),
            MAX_DIRECT_REQUEST_BYTES,
        )
    } else {
        (
            block_on(codec.read_response(&DIRECT_PROTOCOL, &mut io)),
            MAX_DIRECT_RESPONSE_BYTES,
        )
    };
    let announced = stream
        .get(..4)
        .map(|p| u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize);
    match result {
        Ok(frame) => {
            assert_eq!(
                Some(frame.len()),
                announced,
                "frame length differs from its prefix"
            );
            assert!(frame.len() <= max, "oversized frame accepted");
            assert_eq!(frame.as_slice(), &stream[4..4 + frame.len()]);
        }
        Err(e) => {
            let explained = match announced {
                None => true,
                Some(len) => len > max || stream.len() < 4 + len || io.injected,
            };
            assert!(explained, "a well-formed frame was refused: {e}");
        }
    }

    // Writing the stream's payload (capped) and reading it back gives it unchanged.
    let payload = &stream[..stream.len().min(max)];
    let mut out = Cursor::new(Vec::new());
    let written = if is_request {
        block_on(codec.write_request(&DIRECT_PROTOCOL, &mut out, payload.to_vec()))
    } else {
        block_on(codec.write_response(&DIRECT_PROTOCOL, &mut out, payload.to_vec()))
    };
    written.expect("a frame within the limit is written");
    let mut back = Cursor::new(out.into_inner());
    let read = if is_request {
        block_on(codec.read_request(&DIRECT_PROTOCOL, &mut back))
    } else {
        block_on(codec.read_response(&DIRECT_PROTOCOL, &mut back))
    };
    assert_eq!(read.expect("written frame reads back"), payload);
});
