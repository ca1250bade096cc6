//! A federation worker: its share of the wallets, placed on the relays the coordinator drew,
//! answering `burst`, `advert <wallet>`, `seen <wallet>` and `recovery <kill µs>`.

use std::collections::HashSet;
use std::sync::Arc;

use musig2_net::libp2p::Multiaddr;
use musig2_session::wire::signers_topic;

use crate::common::peer::{key_of, start_wallet, RelayLog, Shared, Wallet};
use crate::common::worker::{serve, Group};
use crate::common::{env_or, wall_us};

/// The transaction type advertised and watched.
pub const TX_TYPE: &str = "spend";

/// Relay indexes per wallet: wallets separated by `;`, relays by `.`.
pub fn encode_layout(sets: &[Vec<usize>]) -> String {
    let wallets: Vec<String> = sets
        .iter()
        .map(|s| {
            s.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    wallets.join(";")
}

fn decode_layout(text: &str) -> Vec<Vec<usize>> {
    text.split(';')
        .map(|w| w.split('.').filter_map(|r| r.parse().ok()).collect())
        .collect()
}

fn env_list(name: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `recovery <wallets that lost a reservation> <not back yet> <ms after the kill, …>`.
fn recovery(logs: &[RelayLog], kill_us: u64) -> String {
    let mut affected = 0;
    let mut pending = 0;
    let mut times = Vec::new();
    for log in logs {
        let after: Vec<&(u64, usize)> = log.changes.iter().filter(|(t, _)| *t >= kill_us).collect();
        if !after.iter().any(|(_, held)| *held < log.target) {
            continue;
        }
        affected += 1;
        if log.held.len() < log.target {
            pending += 1;
            continue;
        }
        // The last change that brought it back to its target.
        let back = after
            .iter()
            .rev()
            .find(|(_, held)| *held >= log.target)
            .map_or(kill_us, |(t, _)| *t);
        times.push(((back - kill_us) / 1000).to_string());
    }
    format!("recovery {affected} {pending} {}", times.join(","))
}

/// The worker's main.
pub async fn run() {
    let relays: Vec<Multiaddr> = env_list("FED_RELAY_ADDRS")
        .iter()
        .map(|a| a.parse().expect("relay address"))
        .collect();
    let first = env_or("FED_FIRST", 1) as u32;
    let layout = decode_layout(&std::env::var("FED_LAYOUT").expect("FED_LAYOUT"));
    let watchers: HashSet<u32> = env_list("FED_WATCHERS")
        .iter()
        .filter_map(|w| w.parse().ok())
        .collect();
    let shared = Shared::default();
    let mut wallets: Vec<Wallet> = Vec::new();
    for (g, group) in layout.chunks(3).enumerate() {
        let starts = group.iter().enumerate().map(|(j, set)| {
            let index = first + (g * 3 + j) as u32;
            let addrs = set.iter().map(|&r| relays[r].clone()).collect();
            start_wallet(index, addrs, set.len(), &shared)
        });
        wallets.extend(futures::future::join_all(starts).await);
    }
    for (i, w) in wallets.iter().enumerate() {
        if watchers.contains(&(first + i as u32)) {
            w.handle
                .subscribe(signers_topic(TX_TYPE))
                .await
                .expect("subscribe");
        }
    }
    let groups: Vec<Group> = wallets
        .chunks(3)
        .map(|c| Group {
            handles: c.iter().map(|w| w.handle.clone()).collect(),
            keys: c.iter().map(|w| w.key).collect(),
        })
        .collect();
    let handles = Arc::new(wallets.iter().map(|w| w.handle.clone()).collect::<Vec<_>>());
    serve(&groups, &shared, |parts| {
        let handles = handles.clone();
        let shared = shared.clone();
        async move {
            let arg = |i: usize| parts.get(i).and_then(|v| v.parse::<u64>().ok());
            match parts.first().map(String::as_str) {
                Some("advert") => {
                    let index = arg(1)? as u32;
                    let handle = handles.get(index.checked_sub(first)? as usize)?.clone();
                    let peer = handle.peer_id().to_bytes();
                    let t0 = wall_us();
                    handle
                        .with_machine(move |m, now, _| {
                            m.advertise(now, vec![TX_TYPE.into()], peer, None, 600_000)
                        })
                        .await
                        .ok()?
                        .ok()?;
                    Some(format!("advertised {t0}"))
                }
                Some("seen") => {
                    let key = key_of(arg(1)? as u32);
                    let r = shared.lock().unwrap();
                    let at = r.adverts.get(&key).cloned().unwrap_or_default();
                    let list: Vec<String> = at.iter().map(ToString::to_string).collect();
                    Some(format!("seen {}", list.join(",")))
                }
                Some("recovery") => Some(recovery(&shared.lock().unwrap().relays, arg(1)?)),
                _ => None,
            }
        }
    })
    .await;
}
