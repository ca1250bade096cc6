//! The reputation table's import of stored entries (`Reputation::import`): the wasm facade
//! reads them back from IndexedDB, where any script of the origin may have rewritten them, so
//! they are untrusted bytes turned into numbers. Importing must never panic, never make a
//! peer already in the table look better (higher score, lifted ban, shorter graylisting),
//! must clamp what it takes in, and a table built only from imports must survive its own
//! export and re-import unchanged.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use musig2_session::config::ReputationConfig;
use musig2_session::reputation::{Reputation, ReputationEntry, Standing};
use musig2_session::{Offence, PeerId};

/// Start of fuzz time (ms since the epoch).
const T0: u64 = 1_700_000_000_000;
/// Graylisting duration (ms).
const GRAY_MS: u64 = 600_000;

const OFFENCES: [Offence; 11] = [
    Offence::Malformed,
    Offence::ForgedSignature,
    Offence::NotASigner,
    Offence::Duplicate,
    Offence::Regression,
    Offence::UnknownSession,
    Offence::OutOfPhase,
    Offence::Equivocation,
    Offence::InvalidContribution,
    Offence::RateLimited,
    Offence::KeyCap,
];

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn peer(u: &mut Unstructured<'_>) -> Result<PeerId> {
    // Few distinct peers, so imports collide with known records and with each other.
    Ok(PeerId::new(vec![u.int_in_range(0..=15u8)?]))
}

fn entry(u: &mut Unstructured<'_>) -> Result<ReputationEntry> {
    let graylisted_until = match u.int_in_range(0..=3u8)? {
        0 => 0,
        1 => u64::MAX,
        2 => T0.saturating_add(u.int_in_range(0..=2 * GRAY_MS)?),
        _ => u.arbitrary()?,
    };
    Ok(ReputationEntry {
        peer: peer(u)?,
        score: u.arbitrary()?,
        graylisted_until,
        blacklisted: u.arbitrary()?,
    })
}

fn by_peer(mut v: Vec<ReputationEntry>) -> Vec<ReputationEntry> {
    v.sort_by(|a, b| a.peer.cmp(&b.peer));
    v
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let config = ReputationConfig::default();
    let capacity = u.int_in_range(1..=12usize)?;
    let mut rep = Reputation::new(config.clone(), GRAY_MS, capacity);
    let mut now = T0;
    // A table with some history.
    for _ in 0..u.int_in_range(0..=24u8)? {
        let p = peer(u)?;
        match u.int_in_range(0..=2u8)? {
            0 => {
                let o = OFFENCES[usize::from(u.int_in_range(0..=10u8)?)];
                let _ = rep.penalize(&p, o, now);
            }
            1 => rep.reward(&p, now),
            _ => rep.ban(&p, now),
        }
        now = now.saturating_add(u.int_in_range(0..=GRAY_MS / 4)?);
    }
    let entries: Vec<ReputationEntry> = (0..u.int_in_range(0..=24u8)?)
        .map(|_| entry(u))
        .collect::<Result<_>>()?;

    // 1. Import into the table with history: nobody known looks better afterwards.
    let before: Vec<(PeerId, i32, Standing)> = (0..=15u8)
        .map(|i| PeerId::new(vec![i]))
        .map(|p| (p.clone(), rep.score(&p), rep.standing(&p, now)))
        .collect();
    let known_before: Vec<PeerId> = rep.export(now).into_iter().map(|e| e.peer).collect();
    rep.import(&entries, now);
    let after: Vec<PeerId> = rep.export(now).into_iter().map(|e| e.peer).collect();
    for (p, score, standing) in before {
        if !known_before.contains(&p) || !after.contains(&p) {
            continue;
        }
        assert!(
            rep.score(&p) <= score,
            "an import raised a known peer's score"
        );
        let now_standing = rep.standing(&p, now);
        match standing {
            Standing::Blacklisted => {
                assert_eq!(
                    now_standing,
                    Standing::Blacklisted,
                    "an import lifted a ban"
                )
            }
            Standing::Graylisted { until } => assert!(
                matches!(now_standing, Standing::Blacklisted)
                    || matches!(now_standing, Standing::Graylisted { until: u2 } if u2 >= until),
                "an import shortened a graylisting"
            ),
            Standing::Good => {}
        }
    }

    // 2. A table of imports only: clamped, and a fixed point of export + import.
    let mut fresh = Reputation::new(config.clone(), GRAY_MS, capacity);
    fresh.import(&entries, now);
    let exported = fresh.export(now);
    assert!(exported.len() <= capacity, "the table outgrew its capacity");
    for e in &exported {
        assert!(
            (config.ban_score.saturating_sub(1)..=config.max_score).contains(&e.score),
            "score {} not clamped",
            e.score
        );
        assert!(
            e.graylisted_until <= now.saturating_add(GRAY_MS),
            "graylisting not shortened"
        );
        assert!(
            e.score > config.ban_score || e.blacklisted,
            "a ban score without a ban"
        );
    }
    let mut again = Reputation::new(config, GRAY_MS, capacity);
    again.import(&exported, now);
    assert_eq!(
        by_peer(again.export(now)),
        by_peer(exported),
        "export + import changed the table"
    );
    Ok(())
}
