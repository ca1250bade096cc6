//! Support shared by the multi-process benches (`capacity`, `federation`): native wallets
//! started in worker processes, bursts of concurrent 3-of-3 sessions timed from
//! `create_session` to the third signer's `SignatureReady`, and the line protocol between a
//! coordinator and its workers.

#![allow(dead_code)] // each bench uses its own part

pub mod peer;
pub mod worker;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The value of environment variable `name` as a number, or `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time (user + system) of process `pid` so far, from `/proc/<pid>/stat`.
pub fn cpu_of(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// The 1-minute load average.
pub fn load1() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// The `q`-quantile (nearest rank) of sorted samples, in ms.
pub fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

/// Wall-clock time in µs since the Unix epoch: the one clock every process on the machine
/// shares, for intervals that start in one process and end in another.
pub fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// How one session of a burst ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every signer's `SignatureReady` arrived in time, this long after creation.
    Done(Duration),
    /// Some signer had not finished at the deadline.
    Unfinished,
    /// Finished at every signer; its last event arrived after the deadline, within the grace.
    Late,
    /// Finished at every signer, but an event never arrived.
    Lost,
    /// Some signer reported the session failed.
    Failed,
}

impl Outcome {
    fn encode(self) -> String {
        match self {
            Self::Done(d) => format!("d{}", d.as_micros()),
            Self::Unfinished => "u".into(),
            Self::Late => "l".into(),
            Self::Lost => "x".into(),
            Self::Failed => "f".into(),
        }
    }

    fn decode(s: &str) -> Option<Self> {
        Some(match s {
            "u" => Self::Unfinished,
            "l" => Self::Late,
            "x" => Self::Lost,
            "f" => Self::Failed,
            _ => Self::Done(Duration::from_micros(s.strip_prefix('d')?.parse().ok()?)),
        })
    }
}

/// The sessions of one burst: for each, the group it ran in (numbered within its worker
/// from `first_group`) and how it ended.
pub type Outcomes = Vec<(usize, Outcome)>;

/// `result <group>:<outcome>,…`: one burst's outcomes on one line.
pub fn encode_outcomes(outcomes: &Outcomes) -> String {
    let list: Vec<String> = outcomes
        .iter()
        .map(|(g, o)| format!("{g}:{}", o.encode()))
        .collect();
    format!("result {}", list.join(","))
}

/// The outcomes of a `result` line.
pub fn decode_outcomes(line: &str) -> Outcomes {
    let list = line
        .strip_prefix("result")
        .unwrap_or_else(|| panic!("unexpected worker output: {line}"))
        .trim();
    list.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|item| {
            let (g, o) = item.split_once(':')?;
            Some((g.parse().ok()?, Outcome::decode(o)?))
        })
        .collect()
}

/// Counts of a burst's outcomes, and its latencies sorted.
#[derive(Default)]
pub struct Summary {
    /// Latencies of the sessions done in time, sorted.
    pub latencies: Vec<Duration>,
    /// Not finished at the deadline.
    pub unfinished: usize,
    /// Finished, events late.
    pub late: usize,
    /// Finished, an event lost.
    pub lost: usize,
    /// Failed.
    pub failed: usize,
}

impl Summary {
    /// Summarises `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Self {
        let mut s = Self::default();
        for o in outcomes {
            match o {
                Outcome::Done(d) => s.latencies.push(*d),
                Outcome::Unfinished => s.unfinished += 1,
                Outcome::Late => s.late += 1,
                Outcome::Lost => s.lost += 1,
                Outcome::Failed => s.failed += 1,
            }
        }
        s.latencies.sort();
        s
    }

    /// Sessions in this summary.
    pub fn total(&self) -> usize {
        self.latencies.len() + self.unfinished + self.late + self.lost + self.failed
    }

    /// The `q`-quantile of the latencies, in ms.
    pub fn q(&self, q: f64) -> f64 {
        quantile(&self.latencies, q)
    }
}
