//! Every `amrkit` command line of README.md and docs/cli.md runs as
//! written (issue 26, item 14): the lines of their ```sh blocks, in a
//! scratch folder holding the demo output (`cargo run --release` writes
//! it) and `sim` (the shared `clumps` output, a run with the clump
//! finder). The other lines (cargo, pip, the cluster examples) must be in
//! the list below, with why they are not run here, so that a new command
//! line in the docs is either run or listed.

use std::path::{Path, PathBuf};

/// Lines of the docs that are not amrkit command lines run here.
const NOT_RUN: [(&str, &str); 10] = [
    (
        "cargo run --release",
        "builds the binary this test runs, then runs the demo (run below)",
    ),
    ("cargo test --workspace --release", "the test suite itself"),
    ("bash pool/loom.sh", "the loom models: CI's own step"),
    ("pool/mutants/run.sh", "the mutation check, run by hand"),
    ("pip install ./python", "the Python package: CI's own step"),
    ("apt-get install", "system packages for MPI"),
    (
        "cargo build --release --features mpi",
        "the MPI build: CI's own step",
    ),
    (
        "mpirun",
        "a cluster example (/data/run); tests/mpi.rs runs mpirun",
    ),
    ("srun", "a Slurm example"),
    (
        "target/release/amrkit --threads 16",
        "continuation of a cluster example",
    ),
];

/// The shared data folder, or `None` with the reason (a failure under CI).
fn data() -> Option<PathBuf> {
    let root = std::env::var_os("AMRKIT_TEST_DATA")
        .map(|p| PathBuf::from(p).join(".."))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if root.join("ramses-variants/clumps/output_00002").is_dir() {
        return Some(root);
    }
    let msg = format!("shared RAMSES outputs not found under {root:?}");
    assert!(
        std::env::var("CI").map_or(true, |c| c != "true"),
        "{msg}: required under CI=true"
    );
    eprintln!("SKIPPED: {msg}");
    None
}

/// The lines of the ```sh blocks of a Markdown file (continuations
/// joined, comments cut).
fn sh_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = Vec::new();
    let mut inside = false;
    let mut pending = String::new();
    for l in text.lines() {
        if l.trim_start().starts_with("```") {
            inside = l.trim() == "```sh";
            continue;
        }
        if !inside {
            continue;
        }
        let l = match l.find(" #") {
            Some(i) => &l[..i],
            None => l,
        };
        let l = l.trim();
        if let Some(head) = l.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(l);
        if !pending.trim().is_empty() {
            lines.push(std::mem::take(&mut pending).trim().to_string());
        }
        pending.clear();
    }
    lines
}

#[test]
fn every_amrkit_command_line_of_the_docs_runs() {
    let Some(root) = data() else { return };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = env!("CARGO_BIN_EXE_amrkit");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::os::unix::fs::symlink(root.join("ramses-variants/clumps"), dir.join("sim")).unwrap();
    let run = |cmd: &str| {
        // Through the shell, as a reader would type it; `tune` stores its
        // figure under the scratch HOME.
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "set -e; B={bin}; O=amrkit-demo/output_00001; {cmd}"
            ))
            .current_dir(dir)
            .env("HOME", dir)
            .env("XDG_CACHE_HOME", dir.join(".cache"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{cmd}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    };
    // What `cargo run --release` does: the demo into ./amrkit-demo.
    run("$B -q demo amrkit-demo");
    let mut ran = 0;
    for doc in ["README.md", "docs/cli.md"] {
        for line in sh_lines(&repo.join(doc)) {
            let line =
                line.trim_start_matches("B=target/release/amrkit; O=amrkit-demo/output_00001");
            let line = line.trim_start_matches(';').trim();
            if line.is_empty() {
                continue;
            }
            let is_amrkit = line.starts_with("$B ") || line.starts_with("amrkit ");
            if !is_amrkit {
                assert!(
                    NOT_RUN.iter().any(|(p, _)| line.starts_with(p)),
                    "{doc}: `{line}` is neither an amrkit command run here nor listed in NOT_RUN"
                );
                continue;
            }
            run(&line.replace("amrkit ", "$B "));
            ran += 1;
        }
    }
    assert!(ran >= 10, "{ran} command lines run");
}
