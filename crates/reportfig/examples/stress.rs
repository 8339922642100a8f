//! The reliability harness (issue #17): drives the real `reportfig batch` binary on a tiny
//! random-weight model through `kill -9` at random moments, two runs at once, and a disk
//! that fills up, and counts what a user would lose. Run it with `tools/stress/run`; not part
//! of the product (an example, never installed).
//!
//!     stress --bin target/debug/reportfig [--trials 12] [--figures 12] [--seed N]
//!
//! After every trial the figures folder is checked as a user would meet it:
//! - corrupt: a file under a figure's name that does not decode, or whose bytes differ from
//!   the same figure made by an uninterrupted run (output is deterministic);
//! - lost: a figure missing, or missing from the manifest, or listed with a wrong hash, after
//!   the run that follows (which must finish the job with exit 0);
//! - temporaries: temporary files of ours still there after that run.
//!
//! Every number must be 0 but the counts of trials, kills and stops; the exit code is 1
//! otherwise.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

struct Args {
    bin: PathBuf,
    trials: usize,
    figures: usize,
    seed: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        bin: PathBuf::from("target/debug/reportfig"),
        trials: 12,
        figures: 12,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&a));
        match a.as_str() {
            "--bin" => args.bin = PathBuf::from(value()),
            "--trials" => args.trials = value().parse().unwrap_or_else(|_| usage("--trials")),
            "--figures" => args.figures = value().parse().unwrap_or_else(|_| usage("--figures")),
            "--seed" => args.seed = value().parse().unwrap_or_else(|_| usage("--seed")),
            other => usage(other),
        }
    }
    args
}

fn usage(at: &str) -> ! {
    eprintln!(
        "stress: bad argument {at}\nusage: stress --bin PATH [--trials N] [--figures N] [--seed N]"
    );
    std::process::exit(2)
}

/// xorshift64*: reproducible from the printed seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

struct Harness {
    bin: PathBuf,
    model: PathBuf,
    figures: usize,
    /// File name -> bytes of an uninterrupted run.
    reference: BTreeMap<String, Vec<u8>>,
    /// How long an uninterrupted run takes.
    full_run: Duration,
    _keep: tempfile::TempDir,
}

/// What one kind of test found, summed over its trials.
#[derive(Default)]
struct Tally {
    trials: usize,
    /// kills for the kill test, stops with the disk-full message for the disk test, runs
    /// turned away by the lock for the concurrency test.
    events: usize,
    corrupt: usize,
    lost: usize,
    temporaries: usize,
    /// Figures made more than once (concurrency) or runs that failed other than as expected.
    other: usize,
    notes: Vec<String>,
}

impl Tally {
    fn clean(&self) -> bool {
        self.corrupt == 0 && self.lost == 0 && self.temporaries == 0 && self.other == 0
    }
}

impl Harness {
    fn new(bin: PathBuf, figures: usize) -> Harness {
        let keep = tempfile::tempdir().expect("a temporary folder");
        let model = keep.path().join("turbo");
        reportfig_testkit::write_tiny_model(&model, reportfig_testkit::TinyFamily::Turbo)
            .expect("the tiny model");
        let mut h = Harness {
            bin,
            model,
            figures,
            reference: BTreeMap::new(),
            full_run: Duration::ZERO,
            _keep: keep,
        };
        let dir = h.trial_dir();
        let start = Instant::now();
        let out = h.batch(dir.path(), &[]).output().expect("reportfig runs");
        h.full_run = start.elapsed();
        assert!(
            out.status.success(),
            "the uninterrupted run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for f in pngs(&dir.path().join("figures")) {
            let bytes = std::fs::read(dir.path().join("figures").join(&f)).unwrap();
            h.reference.insert(f, bytes);
        }
        assert_eq!(h.reference.len(), figures, "every figure made");
        h
    }

    fn trial_dir(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let lines: String = (1..=self.figures)
            .map(|i| format!("Figure number {i} of the report\n"))
            .collect();
        std::fs::write(dir.path().join("report.txt"), lines).unwrap();
        dir
    }

    fn batch(&self, dir: &Path, extra: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(dir)
            .env("HOME", dir.join(".home"))
            .env("XDG_DATA_HOME", dir.join(".home/data"))
            .env("XDG_CONFIG_HOME", dir.join(".home/config"))
            .env("HF_HOME", dir.join(".home/hf"))
            .env("HF_HUB_OFFLINE", "1")
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("HF_TOKEN")
            .args(["batch", "report.txt", "--model"])
            .arg(&self.model)
            .args(["--size", "64x64", "--steps", "1", "--no-translate", "-q"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Checks a folder after the run that should have finished the job.
    fn check_finished(&self, figures: &Path, t: &mut Tally, label: &str) {
        let names = pngs(figures);
        for (name, want) in &self.reference {
            match std::fs::read(figures.join(name)) {
                Ok(bytes) if &bytes == want => {}
                Ok(_) => {
                    t.corrupt += 1;
                    t.notes.push(format!("{label}: {name} differs"));
                }
                Err(_) => {
                    t.lost += 1;
                    t.notes.push(format!("{label}: {name} missing"));
                }
            }
        }
        for n in names.iter().filter(|n| !self.reference.contains_key(*n)) {
            t.other += 1;
            t.notes.push(format!("{label}: unexpected file {n}"));
        }
        let listed = manifest_hashes(figures);
        for (name, want) in &self.reference {
            if listed.get(name) != Some(&hex(want)) {
                t.lost += 1;
                t.notes
                    .push(format!("{label}: {name} not in the manifest with its hash"));
            }
        }
        t.temporaries += temporaries(figures);
    }

    /// Checks a folder right after a killed or failed run: what is there must be whole.
    fn check_partial(&self, figures: &Path, t: &mut Tally, label: &str) {
        for name in pngs(figures) {
            let bytes = std::fs::read(figures.join(&name)).unwrap_or_default();
            if self.reference.get(&name) != Some(&bytes) || image::load_from_memory(&bytes).is_err()
            {
                t.corrupt += 1;
                t.notes.push(format!("{label}: {name} damaged"));
            }
        }
        for (name, sha) in manifest_hashes(figures) {
            let on_disk = std::fs::read(figures.join(&name)).ok().map(|b| hex(&b));
            if on_disk.as_ref() != Some(&sha) {
                t.corrupt += 1;
                t.notes
                    .push(format!("{label}: manifest lists {name} wrongly"));
            }
        }
    }

    /// Kill -9 a batch 1 to 3 times at random moments, then let it finish.
    fn kill_test(&self, trials: usize, rng: &mut Rng) -> Tally {
        let mut t = Tally::default();
        for trial in 0..trials {
            t.trials += 1;
            let dir = self.trial_dir();
            let figures = dir.path().join("figures");
            for _ in 0..rng.range(1, 4) {
                let mut child = self.batch(dir.path(), &[]).spawn().expect("reportfig runs");
                let wait = rng.range(0, self.full_run.as_millis() as u64 * 11 / 10);
                std::thread::sleep(Duration::from_millis(wait));
                if child.try_wait().ok().flatten().is_none() {
                    let _ = child.kill();
                    t.events += 1;
                }
                let _ = child.wait();
                self.check_partial(&figures, &mut t, &format!("kill trial {trial}"));
            }
            let out = self.batch(dir.path(), &[]).output().unwrap();
            if !out.status.success() {
                t.other += 1;
                t.notes.push(format!(
                    "kill trial {trial}: the run after failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            // A kill -9 mid-write leaves its temporary file; runs remove ours once they are
            // ten minutes old (a live write of another shard is never touched), so the ones
            // of the last few seconds are still there: counted apart, not as a failure.
            let left = temporaries(&figures);
            if left > 0 {
                t.notes.push(format!(
                    "kill trial {trial}: {left} temporary file(s) of a killed write, removed by a run ten minutes later"
                ));
            }
            let mut finished = Tally::default();
            self.check_finished(&figures, &mut finished, &format!("kill trial {trial}"));
            t.corrupt += finished.corrupt;
            t.lost += finished.lost;
            t.other += finished.other;
            t.notes.extend(finished.notes);
        }
        t
    }

    /// Two identical batches at once, then two shards at once, into one folder.
    fn concurrency_test(&self, trials: usize) -> Tally {
        let mut t = Tally::default();
        for trial in 0..trials {
            t.trials += 1;
            let (a, b): (&[&str], &[&str]) = if trial % 2 == 0 {
                (&[], &[])
            } else {
                (&["--shard", "1/2"], &["--shard", "2/2"])
            };
            let dir = self.trial_dir();
            let figures = dir.path().join("figures");
            let runs: Vec<std::process::Output> = [a, b]
                .map(|extra| {
                    self.batch(dir.path(), extra)
                        .spawn()
                        .expect("reportfig runs")
                })
                .into_iter()
                .map(|c| c.wait_with_output().unwrap())
                .collect();
            let mut made = 0;
            for out in &runs {
                let stdout = String::from_utf8_lossy(&out.stdout);
                let stderr = String::from_utf8_lossy(&out.stderr);
                if out.status.success() {
                    made += stdout
                        .split(" generated")
                        .next()
                        .and_then(|n| n.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                } else if stderr.contains("another batch is making figures") {
                    t.events += 1;
                } else {
                    t.other += 1;
                    t.notes
                        .push(format!("concurrency trial {trial}: {}", stderr.trim()));
                }
            }
            if made > self.figures {
                t.other += made - self.figures;
                t.notes.push(format!(
                    "concurrency trial {trial}: {made} figures made for {}",
                    self.figures
                ));
            }
            self.check_finished(&figures, &mut t, &format!("concurrency trial {trial}"));
        }
        t
    }

    /// A file-size limit somewhere between "no figure fits" and "everything fits", then a
    /// run without it that must finish the job.
    fn disk_full_test(&self, trials: usize, rng: &mut Rng) -> Tally {
        let mut t = Tally::default();
        let largest = self
            .reference
            .values()
            .map(|b| b.len() as u64)
            .max()
            .unwrap();
        for trial in 0..trials {
            t.trials += 1;
            let dir = self.trial_dir();
            let figures = dir.path().join("figures");
            // Up to the size of the review page, which embeds every figure.
            let limit = rng.range(512, largest * (self.figures as u64 + 2) * 3 / 2);
            let mut cmd = self.batch(dir.path(), &[]);
            reportfig_testkit::limits::limit_file_size(&mut cmd, limit);
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => {}
                Some(1) if stderr.contains("the disk is full or a file-size limit") => {
                    t.events += 1;
                }
                _ => {
                    t.other += 1;
                    t.notes.push(format!(
                        "disk trial {trial} (limit {limit} B): {:?} {}",
                        out.status.code(),
                        stderr.trim()
                    ));
                }
            }
            t.temporaries += temporaries(&figures);
            self.check_partial(&figures, &mut t, &format!("disk trial {trial}"));
            let out = self.batch(dir.path(), &[]).output().unwrap();
            if !out.status.success() {
                t.other += 1;
                t.notes.push(format!(
                    "disk trial {trial}: the run after failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            self.check_finished(&figures, &mut t, &format!("disk trial {trial}"));
        }
        t
    }
}

fn pngs(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    v.sort();
    v
}

fn temporaries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count()
    })
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// File -> SHA-256 as the manifest records them (empty when there is none). A manifest that
/// is not whole JSON is reported by its absence from the map, so its figures count as lost.
fn manifest_hashes(dir: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return BTreeMap::new();
    };
    let Ok(m) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeMap::new();
    };
    m["figures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| Some((f["file"].as_str()?.into(), f["sha256"].as_str()?.into())))
        .collect()
}

fn report(name: &str, what: &str, t: &Tally) {
    println!(
        "{name:<12} {:>3} trials  {:>3} {what:<8} {:>2} corrupt  {:>2} lost  {:>2} temporaries  {:>2} other",
        t.trials, t.events, t.corrupt, t.lost, t.temporaries, t.other
    );
    for n in &t.notes {
        println!("    {n}");
    }
}

fn main() {
    let args = parse_args();
    let mut rng = Rng(args.seed | 1);
    println!(
        "reportfig stress: {} figures per outline, {} trials per test, seed {}",
        args.figures, args.trials, args.seed
    );
    let h = Harness::new(args.bin, args.figures);
    println!(
        "an uninterrupted batch takes {:.1} s",
        h.full_run.as_secs_f64()
    );
    let kill = h.kill_test(args.trials, &mut rng);
    report("kill -9", "kills", &kill);
    let conc = h.concurrency_test(args.trials);
    report("two at once", "waited", &conc);
    let disk = h.disk_full_test(args.trials, &mut rng);
    report("disk full", "stopped", &disk);
    if !(kill.clean() && conc.clean() && disk.clean()) {
        std::process::exit(1);
    }
}
