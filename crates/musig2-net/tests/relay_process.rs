//! Starts the relay binary as a separate process for the multi-swarm tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use musig2_net::libp2p::Multiaddr;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running relay process, killed on drop.
pub struct RelayProcess {
    /// The process.
    pub child: Child,
    /// Its TCP address with `/p2p/<peer id>`.
    pub tcp: Multiaddr,
    data_dir: PathBuf,
}

fn relay_binary() -> PathBuf {
    if let Ok(p) = std::env::var("MUSIG2_RELAY_BIN") {
        return PathBuf::from(p);
    }
    // target/<profile>/deps/<test> -> target/<profile>/musig2-relay
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .join("musig2-relay");
    assert!(
        bin.exists(),
        "{} missing: run `cargo build -p musig2-relay` first",
        bin.display()
    );
    bin
}

impl RelayProcess {
    /// Starts a relay on a free loopback TCP port with a fresh data folder named `name`.
    pub async fn start(name: &str) -> Self {
        let data_dir =
            std::env::temp_dir().join(format!("musig2-net-relay-{name}-{}", std::process::id()));
        Self::start_in(data_dir, "/ip4/127.0.0.1/tcp/0").await
    }

    /// Starts a relay with `data_dir` listening on `listen`.
    pub async fn start_in(data_dir: PathBuf, listen: &str) -> Self {
        let mut child = Command::new(relay_binary())
            .args([
                "--data-dir",
                data_dir.to_str().unwrap(),
                "--listen",
                listen,
                "--log",
                "warn",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the relay");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let tcp = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    return addr.parse::<Multiaddr>().unwrap();
                }
            }
            panic!("relay exited before listening");
        })
        .await
        .expect("relay ready in time");
        // Keep reading stdout so the relay never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            tcp,
            data_dir,
        }
    }

    /// Stops the relay with SIGTERM and waits for it.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let _ = self.child.wait().await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
