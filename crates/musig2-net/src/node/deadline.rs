//! One long-lived timer per deadline source (the session machine, relay re-dials).
//!
//! The driver loop runs once per swarm event. Creating a fresh timer on every turn costs a
//! `setTimeout` + `clearTimeout` pair per turn in browsers and a round trip to the timer
//! thread natively; this timer is only re-armed when the wanted deadline changes.

use std::task::{Context, Poll};
use std::time::Duration;

use futures::FutureExt;
use futures_timer::Delay;

use crate::clock::now_ms;

/// A timer that fires once at a deadline (milliseconds since the Unix epoch).
#[derive(Default)]
pub(super) struct DeadlineTimer {
    /// The armed deadline and its timer; `None` when nothing is due.
    armed: Option<(u64, Delay)>,
}

impl DeadlineTimer {
    /// Arms the timer for `at`, or disarms it with `None`. Keeps the running timer when the
    /// deadline is unchanged.
    pub(super) fn set(&mut self, at: Option<u64>) {
        match (at, self.armed.as_mut()) {
            (None, _) => self.armed = None,
            (Some(at), Some((armed_at, _))) if *armed_at == at => {}
            (Some(at), Some((armed_at, delay))) => {
                *armed_at = at;
                delay.reset(Self::wait_until(at));
            }
            (Some(at), None) => self.armed = Some((at, Delay::new(Self::wait_until(at)))),
        }
    }

    /// Ready once when the armed deadline has passed; the timer is then disarmed.
    pub(super) fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some((_, delay)) = self.armed.as_mut() else {
            return Poll::Pending;
        };
        match delay.poll_unpin(cx) {
            Poll::Ready(()) => {
                self.armed = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn wait_until(at: u64) -> Duration {
        Duration::from_millis(at.saturating_sub(now_ms()))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn poll_once(timer: &mut DeadlineTimer) -> Poll<()> {
        let waker = futures::task::noop_waker();
        timer.poll_fire(&mut Context::from_waker(&waker))
    }

    #[tokio::test]
    async fn fires_once_at_the_deadline_then_stays_quiet() {
        let mut timer = DeadlineTimer::default();
        assert_eq!(
            poll_once(&mut timer),
            Poll::Pending,
            "disarmed timer never fires"
        );
        timer.set(Some(now_ms() + 30));
        assert_eq!(poll_once(&mut timer), Poll::Pending, "not due yet");
        futures::future::poll_fn(|cx| timer.poll_fire(cx)).await;
        assert_eq!(
            poll_once(&mut timer),
            Poll::Pending,
            "fired once, then disarmed"
        );
    }

    #[tokio::test]
    async fn moving_the_deadline_re_arms_and_none_disarms() {
        let mut timer = DeadlineTimer::default();
        timer.set(Some(now_ms() + 60_000));
        timer.set(Some(now_ms()));
        futures::future::poll_fn(|cx| timer.poll_fire(cx)).await;
        timer.set(Some(now_ms()));
        timer.set(None);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            poll_once(&mut timer),
            Poll::Pending,
            "a disarmed timer does not fire"
        );
    }
}
