//! `stats`, `project`, `profile`, `phase` and `slice` reduce a CPU file at
//! a time, so they run in a memory limit far below what holding every
//! column would need: a
//! synthetic output of 32 CPU files (levels 6–8, 0.93 M leaf cells,
//! 165 MB of files; its columns alone ~88 MB) is reduced under
//! `prlimit --data=32 MiB` (RLIMIT_DATA: the process's private writable
//! memory, thread stacks and heap included), and the results are the
//! bytes of an unlimited run. Before the per-file reductions (main
//! 25b509a) `stats` and `project` abort here ("memory allocation …
//! failed"), and so do `profile` and `phase` before theirs (main 18910ca),
//! and `slice --center com` under half the limit.

use amrkit_io::{SynthPlan, SynthSpec};
use std::path::Path;
use std::process::Command;

/// The limit: 32 MiB of data.
const LIMIT: u64 = 32 << 20;

/// `amrkit --threads 2 -q ARGS…` under `prlimit --data=limit` (none when
/// `None`): its stdout, or a panic naming the command and its stderr.
fn run(limit: Option<u64>, args: &[&str]) -> Vec<u8> {
    let bin = assert_cmd::cargo::cargo_bin("amrkit");
    let mut c = match limit {
        Some(l) => {
            let mut c = Command::new("prlimit");
            c.arg(format!("--data={l}")).arg("--").arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    let out = c
        .env("AMRKIT_NO_TUNE_CACHE", "1")
        .args(["--threads", "2", "-q", "--progress", "never"])
        .args(args)
        .output()
        .expect("prlimit (util-linux) must be installed to run this test");
    assert!(
        out.status.success(),
        "amrkit {args:?} under --data={limit:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn write_output(dir: &Path) -> (std::path::PathBuf, usize) {
    let spec = SynthSpec {
        ncpu: 32,
        levelmin: 6,
        levelmax: 8,
        n_dm: 1000,
        n_star: 0,
        ..SynthSpec::default()
    };
    let plan = SynthPlan::new(spec).unwrap();
    let out = plan.output_dir(dir);
    plan.write(&out).unwrap();
    (out, plan.leaf_cells_per_level().iter().sum())
}

#[test]
fn stats_and_project_run_in_a_memory_limit_below_the_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, leaves) = write_output(tmp.path());
    let out = out.to_str().unwrap();
    // Not vacuous: every column of `stats` (5 hydro + 4 gravity f64s,
    // level and 3 u32 coordinates per cell) would not fit, nor would the
    // files.
    let columns = leaves as u64 * (9 * 8 + 13);
    assert!(
        columns > 2 * LIMIT,
        "{leaves} leaf cells: {columns} B of columns"
    );
    let bytes: u64 = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(bytes > 4 * LIMIT, "output of {bytes} B");

    let stats = ["stats", "--json", out];
    assert!(run(Some(LIMIT), &stats) == run(None, &stats));

    // Every hydro variable at once: ~49 MB of columns in one table.
    let vars = "density,velocity_x,velocity_y,velocity_z,pressure";
    let maps = |name: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let d = format!("{}/", dir.display());
        (dir, d)
    };
    let (limited, ld) = maps("limited");
    let (free, fd) = maps("free");
    run(
        Some(LIMIT),
        &["project", out, "--var", vars, "--res", "64", "--out", &ld],
    );
    run(
        None,
        &["project", out, "--var", vars, "--res", "64", "--out", &fd],
    );
    for v in vars.split(',') {
        let name = format!("proj_{v}_z.npy");
        let a = std::fs::read(limited.join(&name)).unwrap();
        assert!(
            a == std::fs::read(free.join(&name)).unwrap(),
            "{name} differs"
        );
    }
}

/// Runs `args` (its output files `outs` named bare, written into a folder
/// of `tmp`) under `limit` and without, and checks every file is the same
/// bytes.
fn same_files_limited(tmp: &Path, name: &str, limit: u64, args: &[&str], outs: &[&str]) {
    let mut got = Vec::new();
    for limit in [Some(limit), None] {
        let dir = tmp.join(format!("{name}-{}", limit.is_some()));
        std::fs::create_dir_all(&dir).unwrap();
        let args: Vec<String> = args
            .iter()
            .map(|a| match outs.contains(a) {
                true => dir.join(a).display().to_string(),
                false => a.to_string(),
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(limit, &args);
        got.push(
            outs.iter()
                .map(|f| std::fs::read(dir.join(f)).unwrap())
                .collect::<Vec<_>>(),
        );
    }
    for (k, f) in outs.iter().enumerate() {
        assert!(
            got[0][k] == got[1][k],
            "{name}: {f} differs under the limit"
        );
    }
}

#[test]
fn profile_phase_and_slice_run_in_a_memory_limit_below_the_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, leaves) = write_output(tmp.path());
    let out = out.to_str().unwrap();
    // Not vacuous: a profile's columns (positions, level, density,
    // pressure, velocity_x and the temperature made from them) would not
    // fit, nor a phase diagram's.
    let columns = leaves as u64 * (4 * 8 + 13);
    assert!(
        columns > LIMIT,
        "{leaves} leaf cells: {columns} B of columns"
    );
    // The centre found over the whole output (densest), then the sphere;
    // r0 and the phase ranges from their first passes.
    same_files_limited(
        tmp.path(),
        "profile",
        LIMIT,
        &[
            "profile",
            out,
            "--var",
            "density,temperature,velocity_x",
            "--center",
            "densest",
            "--radius",
            "0.45box",
            "--cumulative",
            "--json",
            "p.json",
        ],
        &["p.json"],
    );
    same_files_limited(
        tmp.path(),
        "phase",
        LIMIT,
        &[
            "phase",
            out,
            "--x",
            "density",
            "--y",
            "temperature",
            "--z",
            "velocity_x",
            "--out",
            "h.npy",
            "--json",
            "h.json",
        ],
        &["h.npy", "h.json"],
    );
    // A slice reads the files near its plane only, so what it once held
    // whole was the centre's pass (level, position, density: 21 B a
    // cell): half the limit is below that.
    assert!(leaves as u64 * 21 > LIMIT / 2);
    same_files_limited(
        tmp.path(),
        "slice",
        LIMIT / 2,
        &[
            "slice",
            out,
            "--var",
            "density,pressure",
            "--center",
            "com",
            "--res",
            "256",
            "--out",
            "a.npy",
            "--out",
            "b.npy",
        ],
        &["a.npy", "b.npy"],
    );
}

#[test]
fn ssc_centres_and_face_on_views_run_in_a_memory_limit_below_the_columns() {
    // The shrinking sphere once held the levels, positions and densities
    // of every cell (21 B a cell: 19.5 MB here) and `L` for a face-on view
    // or `center` the density and velocities of every cell in its sphere
    // (45 B a cell): main 4334ead needs 27 MiB (slice), 56 MiB (face-on)
    // and over 40 MiB (center) and aborts under three quarters of the
    // limit. Now each pass reads a CPU file per worker, and the shrinking
    // sphere keeps at most 4 MB of cells between passes (16 MiB suffice).
    let limit = LIMIT * 3 / 4;
    let tmp = tempfile::tempdir().unwrap();
    let (out, leaves) = write_output(tmp.path());
    let out = out.to_str().unwrap();
    assert!(leaves as u64 * 21 > limit * 3 / 4);
    same_files_limited(
        tmp.path(),
        "slice-ssc",
        limit,
        &[
            "slice", out, "--var", "density", "--center", "ssc", "--res", "128", "--out", "a.npy",
        ],
        &["a.npy"],
    );
    // A sphere of 0.6 box about the box centre holds most cells.
    same_files_limited(
        tmp.path(),
        "face-on",
        limit,
        &[
            "project",
            out,
            "--face-on",
            "0.6box",
            "--var",
            "density",
            "--res",
            "128",
            "--out",
            "p.npy",
        ],
        &["p.npy"],
    );
    let center = ["center", out, "--method", "ssc", "--json"];
    assert!(run(Some(limit), &center) == run(None, &center));
}
