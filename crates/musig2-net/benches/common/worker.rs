//! Worker processes and their line protocol. The coordinator starts copies of the bench
//! binary with `CAP_ROLE=worker`; each prints `ready` once its wallets hold their
//! reservations, then answers one line per command read on stdin (`burst <count> <salt>` →
//! a `result` line; each bench adds its own commands).

use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::StreamExt;
use musig2_net::NodeHandle;
use musig2_session::wire::TweakSpec;
use musig2_session::{ElectionMethod, Phase, SessionParams};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::peer::{Shared, Track};
use super::{cpu_of, decode_outcomes, env_or, Outcome, Outcomes};

/// Three wallets that sign together.
pub struct Group {
    /// Their nodes.
    pub handles: Vec<NodeHandle>,
    /// Their keys, in the same order.
    pub keys: Vec<[u8; 33]>,
}

/// The commands a worker reads on stdin, one per line, read on a plain thread (no tokio
/// `io-std` needed).
pub fn commands() -> futures::channel::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = futures::channel::mpsc::unbounded::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.unbounded_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Prints one reply line for the coordinator.
pub fn reply(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Creates `count` sessions at once over `groups` (session `k` in group `k mod groups`,
/// created by its `⌊k / groups⌋ mod 3`th wallet) and waits up to `CAP_TIMEOUT_S` (30 s) for
/// them. A session done at every signer after the deadline is *late* if its events arrived
/// within a 5 s grace period and *lost* otherwise.
pub async fn run_burst(groups: &[Group], shared: &Shared, count: usize, salt: u64) -> Outcomes {
    let creations = (0..count).map(|k| {
        let group = &groups[k % groups.len()];
        let creator = group.handles[(k / groups.len()) % 3].clone();
        let mut message = vec![0x42u8; 32];
        message[..8].copy_from_slice(&(salt + k as u64).to_le_bytes());
        let params = SessionParams {
            signers: group.keys.clone(),
            message,
            tweak: TweakSpec::None,
            election: ElectionMethod::Lexicographic,
            tx_type: "bench".into(),
        };
        let shared = shared.clone();
        async move {
            let t0 = Instant::now();
            let id = creator
                .with_machine(move |m, now, rng| m.create_session(now, params, rng))
                .await
                .expect("node running")
                .expect("session created");
            let mut r = shared.lock().unwrap();
            r.sessions.entry(id).or_default().created = Some(t0);
            (id, k % groups.len())
        }
    });
    let ids: Vec<([u8; 32], usize)> = futures::future::join_all(creations).await;
    let deadline = Instant::now() + Duration::from_secs(env_or("CAP_TIMEOUT_S", 30) as u64);
    let open = |tr: Option<&Track>| tr.is_none_or(|tr| tr.finished.is_none() && !tr.failed);
    loop {
        let left = {
            let r = shared.lock().unwrap();
            ids.iter()
                .filter(|(id, _)| open(r.sessions.get(id)))
                .count()
        };
        if left == 0 || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut outcomes: Vec<Option<Outcome>> = {
        let r = shared.lock().unwrap();
        ids.iter()
            .map(|(id, _)| match r.sessions.get(id) {
                Some(Track {
                    created: Some(c),
                    finished: Some(f),
                    ..
                }) => Some(Outcome::Done(f.duration_since(*c))),
                Some(tr) if tr.failed => Some(Outcome::Failed),
                _ => None,
            })
            .collect()
    };
    // Finished at every signer although its events did not arrive in time?
    let checks = ids.iter().zip(&outcomes).map(|((id, g), o)| {
        let id = *id;
        let handles = if o.is_none() {
            groups[*g].handles.clone()
        } else {
            Vec::new()
        };
        async move {
            if handles.is_empty() {
                return false;
            }
            for h in handles {
                let phase = h
                    .with_machine(move |m, _, _| m.session(&id).map(|i| i.phase))
                    .await
                    .ok()
                    .flatten();
                if !matches!(phase, Some(Phase::BroadcastConfirmation | Phase::Completed)) {
                    return false;
                }
            }
            true
        }
    });
    let done_everywhere: Vec<bool> = futures::future::join_all(checks).await;
    if done_everywhere.iter().any(|d| *d) {
        // Give late events a grace period: an event still missing after it was lost.
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let r = shared.lock().unwrap();
    for (((id, _), o), done) in ids.iter().zip(&mut outcomes).zip(done_everywhere) {
        if o.is_none() {
            let arrived = r.sessions.get(id).is_some_and(|tr| tr.finished.is_some());
            *o = Some(match (done, arrived) {
                (false, _) => Outcome::Unfinished,
                (true, true) => Outcome::Late,
                (true, false) => Outcome::Lost,
            });
        }
    }
    ids.iter()
        .zip(outcomes)
        .map(|((_, g), o)| (*g, o.expect("every outcome set")))
        .collect()
}

/// A worker process, seen from the coordinator.
pub struct WorkerProc {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    /// Groups it runs.
    pub groups: usize,
}

impl WorkerProc {
    /// Starts this binary as a worker running `groups` groups, with `env` added.
    pub fn spawn(groups: usize, env: &[(&str, String)]) -> Self {
        let mut command = tokio::process::Command::new(std::env::current_exe().expect("exe"));
        command.env("CAP_ROLE", "worker");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start a worker");
        let stdin = child.stdin.take().expect("stdin");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self {
            child,
            stdin,
            lines,
            groups,
        }
    }

    /// Waits for `ready`.
    pub async fn expect_ready(&mut self) {
        let line = self.read().await;
        assert_eq!(line, "ready", "worker did not start");
    }

    /// Sends one command line.
    pub async fn send(&mut self, command: &str) {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .expect("worker stdin");
    }

    /// Reads one reply line.
    pub async fn read(&mut self) -> String {
        self.lines
            .next_line()
            .await
            .expect("worker output")
            .expect("worker alive")
    }

    /// The worker's process ID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// CPU time the worker used so far.
    pub fn cpu(&self) -> Duration {
        self.child.id().map(cpu_of).unwrap_or_default()
    }

    /// Ends its input and waits for it to exit.
    pub async fn finish(self) {
        let Self {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        let _ = child.wait().await;
    }
}

/// Sends `burst` commands for `total` sessions, split in proportion to each worker's groups,
/// and collects the outcomes as (worker, group within it, outcome).
pub async fn burst(
    workers: &mut [WorkerProc],
    total: usize,
    salt: u64,
) -> Vec<(usize, usize, Outcome)> {
    let all_groups: usize = workers.iter().map(|w| w.groups).sum();
    let last = workers.len() - 1;
    let mut left = total;
    for (i, w) in workers.iter_mut().enumerate() {
        let share = if i == last {
            left
        } else {
            (total * w.groups).div_ceil(all_groups).min(left)
        };
        left -= share;
        w.send(&format!("burst {share} {}", salt + (i as u64) * 1_000_000))
            .await;
    }
    let mut out = Vec::new();
    for (i, w) in workers.iter_mut().enumerate() {
        let line = w.read().await;
        out.extend(decode_outcomes(&line).into_iter().map(|(g, o)| (i, g, o)));
    }
    out
}

/// Runs `burst <count> <salt>` commands against `groups` until stdin ends, handing any other
/// command to `other` (which returns the reply line, or `None` to stop).
pub async fn serve<F, Fut>(groups: &[Group], shared: &Shared, mut other: F)
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    reply("ready");
    let mut commands = commands();
    while let Some(line) = commands.next().await {
        let parts: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let answer = match parts.as_slice() {
            [cmd, count, salt] if cmd == "burst" => {
                let count: usize = count.parse().unwrap_or(0);
                let salt: u64 = salt.parse().unwrap_or(0);
                Some(super::encode_outcomes(
                    &run_burst(groups, shared, count, salt).await,
                ))
            }
            _ => other(parts).await,
        };
        match answer {
            Some(a) => reply(&a),
            None => break,
        }
    }
}

/// A bench's `main`: runs `worker` in a worker process (`CAP_ROLE=worker`), else
/// `coordinator`, on a runtime of `CAP_THREADS` (1) threads. `cargo bench` passes `--bench`;
/// arguments are ignored.
pub fn main<W, C>(worker: impl FnOnce() -> W, coordinator: impl FnOnce() -> C)
where
    W: std::future::Future<Output = ()>,
    C: std::future::Future<Output = ()>,
{
    let threads = env_or("CAP_THREADS", 1).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    if std::env::var("CAP_ROLE").as_deref() == Ok("worker") {
        runtime.block_on(worker());
    } else {
        runtime.block_on(coordinator());
    }
}
