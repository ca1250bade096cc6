//! Failover with a real process as the coordinator (issue 15): the coordinator of a 3-of-3
//! session runs in its own worker process and goes away right after its round-2 share,
//! either frozen with SIGSTOP (its connections stay open: only its silence tells) or killed
//! with SIGKILL (the kernel closes its connections). The two other signers run here.
//!
//! Each of `FO_RUNS` (10) runs per case starts a fresh coordinator process whose node stops
//! processing when it enters round 2 (`freeze_at_phase`, so that it cannot aggregate before
//! the signal lands), waits until both survivors hold every partial signature, sends the
//! signal, and times until both survivors hold the final signature.
//!
//! Run: `cargo build --release -p musig2-relay && cargo bench -p musig2-net --bench failover`

#[path = "../tests/common/relay.rs"]
#[allow(dead_code)]
mod relay;

mod common;

use std::time::{Duration, Instant};

use common::peer::{key_of, start_wallet, Shared, Wallet};
use common::worker::{serve, WorkerProc};
use common::{env_or, quantile};
use musig2_net::libp2p::Multiaddr;
use musig2_session::wire::TweakSpec;
use musig2_session::{ElectionMethod, Phase, SessionParams};
use relay::RelayProcess;

/// The coordinator's process: one wallet that freezes when it enters round 2.
async fn worker() {
    let relay: Multiaddr = std::env::var("FO_RELAY")
        .expect("FO_RELAY")
        .parse()
        .expect("relay address");
    let index = env_or("FO_INDEX", 1000) as u32;
    let shared = Shared::default();
    let wallet = start_wallet(index, vec![relay], 0, &shared).await;
    wallet
        .handle
        .freeze_at_phase(Phase::PartialSigCollection)
        .await
        .expect("node running");
    serve(&[], &shared, |_| async { None }).await;
}

/// The phase of session `id` at `w`.
async fn phase(w: &Wallet, id: [u8; 32]) -> Option<Phase> {
    w.handle
        .with_machine(move |m, _, _| m.session(&id).map(|i| i.phase))
        .await
        .ok()
        .flatten()
}

/// One run: ms from the signal until both survivors hold the signature.
async fn run_once(
    relay: &RelayProcess,
    survivors: &[Wallet; 2],
    shared: &Shared,
    run: u32,
    signal: &str,
) -> Duration {
    let index = 1000 + run;
    let mut coordinator = WorkerProc::spawn(
        0,
        &[
            ("FO_RELAY", relay.tcp.to_string()),
            ("FO_INDEX", index.to_string()),
        ],
    );
    coordinator.expect_ready().await;
    let mut message = vec![0x5fu8; 32];
    message[..4].copy_from_slice(&run.to_le_bytes());
    let params = SessionParams {
        // First-signer election: the coordinator process's wallet coordinates.
        signers: vec![key_of(index), survivors[0].key, survivors[1].key],
        message,
        tweak: TweakSpec::None,
        election: ElectionMethod::FirstSigner,
        tx_type: "bench".into(),
    };
    let id = survivors[0]
        .handle
        .with_machine(move |m, now, rng| m.create_session(now, params, rng))
        .await
        .expect("node running")
        .expect("session created");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let a = phase(&survivors[0], id).await;
        let b = phase(&survivors[1], id).await;
        if a >= Some(Phase::Aggregation) && b >= Some(Phase::Aggregation) {
            break;
        }
        assert!(Instant::now() < deadline, "round 2 never ended");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let pid = coordinator.pid().expect("coordinator pid");
    let t0 = Instant::now();
    let _ = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
    loop {
        let signed = shared
            .lock()
            .unwrap()
            .sessions
            .get(&id)
            .map_or(0, |t| t.signatures);
        if signed >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the survivors never signed");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let took = t0.elapsed();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    coordinator.finish().await;
    took
}

async fn coordinator() {
    let runs = env_or("FO_RUNS", 10).max(1) as u32;
    let relay = RelayProcess::start("failover-bench").await;
    let shared = Shared::default();
    let survivors = [
        start_wallet(1, vec![relay.tcp.clone()], 0, &shared).await,
        start_wallet(2, vec![relay.tcp.clone()], 0, &shared).await,
    ];
    let cfg = musig2_session::Config::default();
    println!(
        "## Failover with the coordinator in its own process (liveness timeout {} ms, heartbeat {} ms)\n",
        cfg.liveness_timeout_ms, cfg.heartbeat_interval_ms
    );
    println!("| coordinator after its round-2 share | runs | p50 ms | max ms | min ms |");
    println!("|---|---:|---:|---:|---:|");
    let mut run = 0;
    for (name, signal) in [
        ("frozen with SIGSTOP, connections open", "-STOP"),
        ("killed with SIGKILL, connections closed", "-KILL"),
    ] {
        let mut times = Vec::new();
        for _ in 0..runs {
            run += 1;
            times.push(run_once(&relay, &survivors, &shared, run, signal).await);
        }
        times.sort();
        println!(
            "| {name} | {runs} | {:.1} | {:.1} | {:.1} |",
            quantile(&times, 0.5),
            quantile(&times, 1.0),
            quantile(&times, 0.0),
        );
    }
    relay.stop().await;
}

fn main() {
    common::worker::main(worker, coordinator);
}
