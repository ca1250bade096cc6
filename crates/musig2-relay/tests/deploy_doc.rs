//! Every shell block of docs/deploy.md, run by `scripts/deploy-doc-test.sh` against this
//! build of the relay (see the script for the block tags), and the script's own refusals.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{temp_dir, BIN};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the script on `doc` in a fresh work folder.
fn run_doc(doc: &Path, name: &str) -> (Output, String) {
    let work = temp_dir(name);
    std::fs::create_dir_all(&work).unwrap();
    let out = Command::new("bash")
        .arg(repo().join("scripts/deploy-doc-test.sh"))
        .arg(doc)
        .arg(BIN)
        .arg(&work)
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(97),
        "the deploy doc test needs a network namespace (root or user namespaces)"
    );
    let _ = std::fs::remove_dir_all(&work);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    (out, stdout)
}

#[test]
fn every_command_in_the_deploy_guide_works() {
    let (out, stdout) = run_doc(&repo().join("docs/deploy.md"), "deploy-doc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("deploy-doc-test: all blocks passed\n"));

    // Relay A ran three times on one --data-dir (first start, TLS, upgrade), relay B once.
    let peers: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("peer id: "))
        .collect();
    assert_eq!(peers.len(), 4, "{stdout}");
    let a = peers[0];
    assert_eq!(
        peers.iter().filter(|p| **p == a).count(),
        3,
        "restarts keep the peer ID"
    );
    assert!(
        stdout.contains(&format!(
            "dialable at /dns4/relay.example.org/tcp/4443/tls/ws/p2p/{a}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(r#"{{"status":"ok","peer_id":"{a}","#)),
        "{stdout}"
    );
    for line in [
        "musig2_relay_reservations_active 0",
        "musig2_relay_circuits_active 0",
        "systemctl daemon-reload",
        "systemctl restart musig2-relay",
    ] {
        assert!(stdout.contains(line), "{line} missing: {stdout}");
    }
}

#[test]
fn the_script_refuses_untagged_blocks_bad_units_and_unknown_variables() {
    let dir = temp_dir("deploy-doc-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("untagged", "```sh\necho hi\n```\n", "needs a test tag"),
        (
            "bad-unit",
            "```sh test-root\nprintf '[Service]\\nExecStart=/usr/local/bin/x\\nNoSuchKey=1\\n' > /etc/systemd/system/musig2-relay.service\nsystemctl daemon-reload\n```\n",
            "NoSuchKey",
        ),
        (
            "bad-env",
            "```sh test-root\necho MUSIG2_RELAY_NO_SUCH=1 > /etc/musig2-relay.env\n```\n",
            "MUSIG2_RELAY_NO_SUCH is not a relay variable",
        ),
        (
            "failing",
            "```sh test\nfalse\n```\n",
            "--- block 01 (test)",
        ),
    ];
    for (name, doc, needle) in cases {
        let path = dir.join(format!("{name}.md"));
        std::fs::write(&path, doc).unwrap();
        let (out, stdout) = run_doc(&path, name);
        let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.status.success(), "{name} passed: {all}");
        assert!(all.contains(needle), "{name}: {all}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
