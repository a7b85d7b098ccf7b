//! Replays the committed corpus and the regressions through every fuzz target, then a fixed,
//! deterministic mutation pass over the corpus: the stable-toolchain half of fuzzing, run by
//! `cargo test --workspace` in CI.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use pdu_fuzz_harness::{
    authenticated_path, config_text, control_body, decode_message, handle_datagram, recording_text,
    scenario_text,
};

/// Mutants made from each seed (each one or a few edits away from it).
const MUTANTS_PER_SEED: usize = 6000;

/// The files of `dir` (dotfiles and READMEs skipped), sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !name.eq_ignore_ascii_case("README.md")
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus of `target`; panics when it is empty, so a test cannot pass on nothing.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = root().join("corpus").join(target);
    let seeds = files(&dir);
    assert!(!seeds.is_empty(), "{} holds no seed", dir.display());
    seeds
}

/// Runs `f` on one input, naming the input if it panics.
fn run_one(f: fn(&[u8]), what: &dyn std::fmt::Display, input: &[u8]) {
    if let Err(e) = std::panic::catch_unwind(|| f(input)) {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!(
            "{what} broke an invariant: {msg}\ninput ({} bytes): {input:02x?}",
            input.len()
        );
    }
}

/// xorshift64*: a fixed-seed generator, so every run (and CI) tries the same mutants.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One to four edits of `seed`: bit flips, boundary bytes, truncation, deletion, insertion,
/// duplication and splicing with another seed.
fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut m = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let len = m.len();
        match rng.below(8) {
            0 | 1 if len > 0 => {
                let i = rng.below(len);
                m[i] ^= 1 << rng.below(8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                m[i] = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][rng.below(8)];
            }
            3 => m.truncate(rng.below(len + 1)),
            4 if len > 0 => {
                m.remove(rng.below(len));
            }
            5 => {
                let b = rng.next() as u8;
                m.insert(rng.below(len + 1), b);
            }
            6 if len > 0 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(16)).min(len);
                let chunk = m[start..end].to_vec();
                let at = rng.below(len + 1);
                m.splice(at..at, chunk);
            }
            _ if !other.is_empty() => {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                m.truncate(cut);
                m.extend_from_slice(&other[from..]);
            }
            _ => {}
        }
    }
    m
}

/// The corpus and regressions of `target` through `f`, then the mutants of every seed.
fn replay(target: &str, f: fn(&[u8])) {
    let seeds = corpus(target);
    for (path, bytes) in &seeds {
        run_one(f, &path.display(), bytes);
    }
    regressions(target, f);
    let mut rng = Rng(0x5eed_f00d_d00d_feed ^ target.len() as u64);
    for (i, (path, bytes)) in seeds.iter().enumerate() {
        let other = &seeds[(i + 1) % seeds.len()].1;
        for n in 0..MUTANTS_PER_SEED {
            let mutant = mutate(&mut rng, bytes, other);
            let what = format!("mutant {n} of {}", path.display());
            run_one(f, &what, &mutant);
        }
    }
}

/// Inputs a fuzzer once crashed on, kept in `regressions/<target>/` after the fix.
fn regressions(target: &str, f: fn(&[u8])) {
    for (path, bytes) in files(&root().join("regressions").join(target)) {
        run_one(f, &path.display(), &bytes);
    }
}

#[test]
fn decode_message_corpus() {
    replay("decode_message", decode_message);
}

#[test]
fn handle_datagram_corpus() {
    replay("handle_datagram", handle_datagram);
}

#[test]
fn authenticated_path_corpus() {
    replay("authenticated_path", authenticated_path);
}

#[test]
fn config_text_corpus() {
    replay("config_text", config_text);
}

#[test]
fn recording_text_corpus() {
    replay("recording_text", recording_text);
}

#[test]
fn scenario_text_corpus() {
    replay("scenario_text", scenario_text);
}

#[test]
fn control_body_corpus() {
    replay("control_body", control_body);
}
