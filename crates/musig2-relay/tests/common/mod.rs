//! A relay process for the integration tests: started with flags, its stdout read line by line
//! on a thread (so a silent relay fails the test at a deadline instead of hanging it), killed
//! when dropped.

#![allow(dead_code)] // each test file uses a part of it

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// The relay binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_musig2-relay");

/// How long a relay may take to print an expected line.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A fresh (removed) folder under the system temp dir, unique to this test process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("musig2-relay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Polls the file `path` until it contains `needle` (a relay's log).
///
/// # Panics
/// If it does not within [`DEADLINE`].
pub fn wait_in_file(path: &Path, needle: &str) -> String {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running relay process.
pub struct Relay {
    child: Child,
    lines: Receiver<String>,
    /// Every stdout line read so far.
    pub seen: Vec<String>,
}

impl Relay {
    /// Starts the relay with `--data-dir data_dir` and `args` (and `--log warn` unless `args`
    /// give `--log`).
    pub fn start(data_dir: &Path, args: &[&str]) -> Self {
        Self::spawn(Self::command(data_dir, args), None)
    }

    /// As [`Relay::start`], with the log (stderr) written to the file `log`.
    pub fn start_logging(data_dir: &Path, args: &[&str], log: &Path) -> Self {
        Self::spawn(Self::command(data_dir, args), Some(log))
    }

    fn command(data_dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(["--data-dir", data_dir.to_str().unwrap()]);
        if !args.contains(&"--log") {
            command.args(["--log", "warn"]);
        }
        command.args(args);
        command
    }

    /// Starts `command` (the relay binary with its flags) with stdout captured and stderr
    /// written to `log` (or dropped).
    pub fn spawn(mut command: Command, log: Option<&Path>) -> Self {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
            None => Stdio::null(),
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line.trim().to_string()).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one starts with `prefix` and returns the rest of it.
    ///
    /// # Panics
    /// If the relay exits or stays silent past [`DEADLINE`] first (with the lines seen).
    pub fn wait_for(&mut self, prefix: &str) -> String {
        self.wait_for_match(|l| l.starts_with(prefix))
            .strip_prefix(prefix)
            .unwrap()
            .to_string()
    }

    /// Reads lines until one satisfies `matches` and returns it.
    ///
    /// # Panics
    /// If the relay exits or stays silent past [`DEADLINE`] first (with the lines seen).
    pub fn wait_for_match(&mut self, matches: impl Fn(&str) -> bool) -> String {
        if let Some(line) = self.seen.iter().find(|l| matches(l)) {
            return line.clone();
        }
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if matches(&line) {
                        return line;
                    }
                }
                Err(e) => panic!("relay output ended ({e}); lines: {:#?}", self.seen),
            }
        }
    }

    /// The relay's peer ID (its `peer id:` line).
    pub fn peer_id(&mut self) -> String {
        self.wait_for("peer id: ")
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(mut self) -> ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
