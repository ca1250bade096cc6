//! Starts the relay binary as a separate process for the multi-swarm tests.

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
    /// Its metrics endpoint (`host:port`), when started with `--metrics-addr`.
    pub metrics: Option<String>,
    data_dir: PathBuf,
    args: Vec<String>,
}

/// The relay binary: `MUSIG2_RELAY_BIN`, or `musig2-relay` next to the test's target folder.
pub fn relay_binary() -> PathBuf {
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

/// The TCP port of a `/ip4/…/tcp/N/…` address.
pub fn tcp_port(addr: &Multiaddr) -> u16 {
    addr.iter()
        .find_map(|p| match p {
            musig2_net::libp2p::multiaddr::Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .expect("a TCP address")
}

impl RelayProcess {
    /// Starts a relay on a free loopback TCP port with a fresh data folder named `name`.
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, &[]).await
    }

    /// As [`RelayProcess::start`], with extra command-line flags.
    pub async fn start_with(name: &str, extra: &[&str]) -> Self {
        // Unique per call: tests of one binary run in parallel and may reuse a name (two
        // federation tests both start "fed-0"), and two relays sharing a folder race to
        // create one identity key ("identity.key: File exists").
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let data_dir = std::env::temp_dir().join(format!(
            "musig2-net-relay-{name}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&data_dir);
        let args = extra.iter().map(|s| (*s).to_string()).collect();
        Self::start_in(data_dir, "/ip4/127.0.0.1/tcp/0", args).await
    }

    /// Starts a relay with `data_dir` listening on `listen`.
    pub async fn start_in(data_dir: PathBuf, listen: &str, args: Vec<String>) -> Self {
        let mut child = Command::new(relay_binary())
            .args([
                "--data-dir",
                data_dir.to_str().unwrap(),
                "--listen",
                listen,
                "--log",
                "warn",
            ])
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the relay");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (tcp, metrics) = tokio::time::timeout(Duration::from_secs(20), async {
            let mut metrics = None;
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("metrics on http://") {
                    metrics = url.strip_suffix("/metrics").map(str::to_string);
                }
                if let Some(addr) = line.strip_prefix("listening on ") {
                    return (addr.parse::<Multiaddr>().unwrap(), metrics);
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
            metrics,
            data_dir,
            args,
        }
    }

    /// Stops the relay with SIGTERM and waits for it to exit; its data folder stays.
    pub async fn terminate(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let _ = self.child.wait().await;
    }

    /// Stops the relay and starts a new process on the same port and data folder, so its
    /// peer ID and address stay the same.
    pub async fn restart(mut self) -> Self {
        self.terminate().await;
        let listen = format!("/ip4/127.0.0.1/tcp/{}", tcp_port(&self.tcp));
        let data_dir = self.data_dir.clone();
        let args = std::mem::take(&mut self.args);
        let next = Self::start_in(data_dir, &listen, args).await;
        assert_eq!(
            next.tcp, self.tcp,
            "same peer ID and address after a restart"
        );
        next
    }

    /// A memory figure of the process in KiB from `/proc/<pid>/status`: `VmRSS` (resident
    /// now) or `VmHWM` (peak resident).
    pub fn memory_kib(&self, field: &str) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU time the process used so far (user + system), from `/proc/<pid>/stat`.
    pub fn cpu_time(&self) -> Option<std::time::Duration> {
        let pid = self.child.id()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which is in parentheses); utime and stime are
        // fields 14 and 15, in clock ticks (100 per second on Linux).
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(std::time::Duration::from_millis(ticks * 10))
    }

    /// Fetches `GET /metrics` from the relay's metrics endpoint.
    pub async fn scrape(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.metrics.as_ref().expect("started with --metrics-addr");
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: relay\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap()
    }

    /// Stops the relay with SIGTERM, waits for it and removes its data folder.
    pub async fn stop(mut self) {
        self.terminate().await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// The value of the sample `name` (without labels) in a Prometheus text exposition.
pub fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}
