//! `mpirun --oversubscribe -n N amrkit …` for N = 1..4 on the shared real
//! outputs, against the same binary run without `mpirun` (one process),
//! byte for byte: `stats --json`, the `.npy` maps of `project` and
//! `particles`, the `series` CSV, the JSON of `profile` and the JSON and
//! `.npy` of `phase`; `export-vtk` pieces per rank under one
//! `.vtm`; a truncated CPU file makes every rank fail, the error printed
//! once, no output files.
//!
//! Only with `--features mpi` (needs Open MPI's `mpirun`):
//! `cargo test --release --features mpi --test mpi`.
#![cfg(feature = "mpi")]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_amrkit");

/// A command line: `amrkit --threads 1 -q ARGS…`, under `mpirun -n N`
/// when `n` is given.
fn command(n: Option<usize>, args: &[&OsStr]) -> std::process::Command {
    let mut c = match n {
        Some(n) => {
            let mut c = std::process::Command::new("mpirun");
            c.args(["--oversubscribe", "--bind-to", "none", "-n"])
                .arg(n.to_string())
                .arg(BIN);
            c
        }
        None => std::process::Command::new(BIN),
    };
    c.env("AMRKIT_NO_TUNE_CACHE", "1")
        // Open MPI refuses root without these (CI runs as root).
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .args(["--threads", "1", "-q"])
        .args(args);
    c
}

/// Runs with a deadline: (exit status, stdout, stderr, seconds).
fn run_cmd(n: Option<usize>, args: &[&OsStr]) -> (bool, Vec<u8>, String, f64) {
    run_cmd_env(n, args, &[])
}

/// [`run_cmd`] with extra environment variables.
fn run_cmd_env(
    n: Option<usize>,
    args: &[&OsStr],
    env: &[(&str, &str)],
) -> (bool, Vec<u8>, String, f64) {
    // One run at a time: concurrent `mpirun`s (the test threads) race on
    // Open MPI's session folder ("A call to mkdir was unable to create the
    // desired directory") and oversubscribe the cores.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let t = Instant::now();
    let mut child = command(n, args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mpirun (Open MPI) must be installed for --features mpi");
    let deadline = Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() || t.elapsed() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
        panic!("{n:?} {args:?}: still running after {deadline:?}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        t.elapsed().as_secs_f64(),
    )
}

fn ok(n: Option<usize>, args: &[&OsStr]) -> Vec<u8> {
    let (good, so, se, _) = run_cmd(n, args);
    assert!(good, "{n:?} {args:?}: {se}");
    so
}

fn outputs() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = testkit::runs()
        .into_iter()
        .map(|r| (r.name, r.output))
        .collect();
    for name in ["cosmo", "blast2d", "rt3d"] {
        if let Some(r) = testkit::variant(name) {
            v.push((r.name, r.output));
        }
    }
    v
}

fn os<'a>(v: &[&'a str]) -> Vec<&'a OsStr> {
    v.iter().map(|s| OsStr::new(*s)).collect()
}

/// Gathers over MPI's 2 GiB per call go to rank 0 in pieces, rank by rank.
/// `AMRKIT_DIST_GATHER_LIMIT` lowers the limit to 1000 bytes (4 KiB for a map), so a small
/// output takes that path: results byte-identical to one process, and the
/// trace shows rank 0 received more than the limit.
#[test]
fn gathers_over_the_limit_go_in_pieces_with_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((name, out)) = outputs().into_iter().next() else {
        return;
    };
    let stats = [OsStr::new("stats"), out.as_os_str(), OsStr::new("--json")];
    let plain = ok(None, &stats);
    for n in [2, 3] {
        let (good, so, se, _) = run_cmd_env(
            Some(n),
            &stats,
            &[
                ("AMRKIT_DIST_GATHER_LIMIT", "4096"),
                ("AMRKIT_DIST_TRACE", "1"),
            ],
        );
        assert!(
            good,
            "{name}: {n} ranks with a 1000-byte gather limit: {se}"
        );
        assert!(
            so == plain,
            "{name}: stats --json differs with {n} ranks in pieces"
        );
        let gathered: Vec<usize> = se
            .lines()
            .filter_map(|l| l.strip_prefix("amrkit-dist: rank 0 gathered "))
            .filter_map(|l| l.split(' ').next()?.parse().ok())
            .collect();
        assert!(
            gathered.iter().any(|&b| b > 1000),
            "{name}: no gather over the 1000-byte limit, the piecewise path was not taken: {se}"
        );
    }
    // A map: each rank's partial 64² map (32 KiB) goes in 4 KiB pieces.
    let mut maps = Vec::new();
    for (n, env) in [
        (None, &[][..]),
        (Some(2), &[("AMRKIT_DIST_GATHER_LIMIT", "4096")][..]),
    ] {
        let dir = tmp.path().join(format!("map-{n:?}"));
        let mut args = os(&["project"]);
        args.push(out.as_os_str());
        args.extend(os(&["--var", "density", "--res", "64"]));
        args.extend([OsStr::new("--out"), dir.as_os_str()]);
        let (good, _, se, _) = run_cmd_env(n, &args, env);
        assert!(good, "{name} project {n:?}: {se}");
        maps.push(testkit::files_in(&dir, ".npy"));
    }
    assert!(!maps[0].is_empty());
    assert!(
        maps[1] == maps[0],
        "{name}: the map differs when gathered in pieces"
    );
}

#[test]
fn stats_json_is_byte_identical_for_1_to_4_ranks() {
    for (name, out) in outputs() {
        for region in [&[][..], &["--radius", "0.3", "--range-unit", "box"][..]] {
            let mut args = vec![OsStr::new("stats"), out.as_os_str()];
            args.extend(os(region));
            args.push(OsStr::new("--json"));
            let plain = ok(None, &args);
            for n in 1..=4 {
                assert!(
                    ok(Some(n), &args) == plain,
                    "{name} {region:?}: stats --json differs with {n} ranks"
                );
            }
        }
    }
}

#[test]
fn maps_are_byte_identical_for_1_to_4_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, out) in outputs() {
        for (var, weight, region) in [
            ("density", "none", &[][..]),
            ("density,pressure", "mass", &[][..]),
            (
                "density",
                "volume",
                &[
                    "--center",
                    "0.4,0.5,0.5",
                    "--radius",
                    "0.25",
                    "--range-unit",
                    "box",
                ][..],
            ),
        ] {
            if name == "blast2d" && !region.is_empty() {
                continue;
            }
            let mut runs = Vec::new();
            for n in [None, Some(1), Some(2), Some(3), Some(4)] {
                let dir = tmp.path().join(format!("{name}-{weight}-{n:?}"));
                let mut args = os(&["project"]);
                args.push(out.as_os_str());
                args.extend(os(&["--var", var, "--weight", weight, "--res", "80"]));
                args.extend(os(region));
                args.extend([OsStr::new("--out"), dir.as_os_str()]);
                ok(n, &args);
                runs.push(testkit::files_in(&dir, ".npy"));
            }
            assert!(!runs[0].is_empty());
            for (k, r) in runs.iter().enumerate().skip(1) {
                assert!(
                    *r == runs[0],
                    "{name} {var} {weight}: maps differ with {k} ranks"
                );
            }
        }
    }
}

#[test]
fn particles_are_byte_identical_for_1_to_4_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, out) in outputs()
        .into_iter()
        .filter(|(n, _)| n == "particles" || n == "cosmo")
    {
        let mut runs = Vec::new();
        for n in [None, Some(1), Some(2), Some(3), Some(4)] {
            let path = tmp.path().join(format!("{name}-{n:?}.npy"));
            let mut args = os(&["particles"]);
            args.push(out.as_os_str());
            args.extend(os(&["--res", "64", "--json", "--out"]));
            args.push(path.as_os_str());
            let json = ok(n, &args);
            runs.push((json, std::fs::read(&path).unwrap()));
        }
        for (k, r) in runs.iter().enumerate().skip(1) {
            assert!(*r == runs[0], "{name}: particles differ with {k} ranks");
        }
    }
}

/// Runs `amrkit ARGS… --json DIR/N.json [--out DIR/N.npy]` without `mpirun`
/// and under `mpirun -n 1..4`; the files each run wrote, in that order.
fn binned_runs(tmp: &Path, tag: &str, args: &[&OsStr], npy: bool) -> Vec<Vec<Vec<u8>>> {
    let mut runs = Vec::new();
    for n in [None, Some(1), Some(2), Some(3), Some(4)] {
        let json = tmp.join(format!("{tag}-{n:?}.json"));
        let array = tmp.join(format!("{tag}-{n:?}.npy"));
        let mut a = args.to_vec();
        a.extend([OsStr::new("--json"), json.as_os_str()]);
        if npy {
            a.extend([OsStr::new("--out"), array.as_os_str()]);
        }
        ok(n, &a);
        let mut files = vec![std::fs::read(&json).unwrap()];
        if npy {
            files.push(std::fs::read(&array).unwrap());
        }
        runs.push(files);
    }
    runs
}

#[test]
fn profiles_are_byte_identical_for_1_to_4_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, out) in outputs() {
        // Around the densest cell (found over every rank's cells), half
        // the box: reaches the periodic faces; three variables, log bins.
        let whole: &[&str] = &[
            "--var",
            "density,pressure,temperature_over_mu",
            "--center",
            "densest",
        ];
        // A region read around a cylinder (a sphere in 2D), lin bins,
        // volume weights, cumulative means.
        let mut region = vec![
            "--var",
            "density,pressure",
            "--center",
            "0.4,0.5,0.5",
            "--radius",
            "0.2",
            "--range-unit",
            "box",
            "--lin",
            "--bins",
            "17",
            "--weight",
            "volume",
            "--cumulative",
        ];
        if name != "blast2d" {
            region.extend(["--cylindrical", "--normal", "1,1,0", "--height", "0.3"]);
        }
        for (k, case) in [whole, &region].iter().enumerate() {
            let mut args = vec![OsStr::new("profile"), out.as_os_str()];
            args.extend(os(case));
            let runs = binned_runs(tmp.path(), &format!("{name}-p{k}"), &args, false);
            let text = String::from_utf8_lossy(&runs[0][0]).into_owned();
            assert!(
                text.contains("\"mass_enclosed\""),
                "{name} {case:?}: {text}"
            );
            for (n, r) in runs.iter().enumerate().skip(1) {
                assert!(
                    *r == runs[0],
                    "{name} {case:?}: the profile JSON differs with {n} ranks"
                );
            }
        }
    }
}

#[test]
fn phase_diagrams_are_byte_identical_for_1_to_4_ranks() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, out) in outputs() {
        let mut args = vec![OsStr::new("phase"), out.as_os_str()];
        args.extend(os(&["--x", "density", "--y", "temperature_over_mu"]));
        let runs = binned_runs(tmp.path(), &format!("{name}-h"), &args, true);
        assert!(runs[0][1].len() > 128, "{name}: no .npy");
        for (n, r) in runs.iter().enumerate().skip(1) {
            assert!(
                *r == runs[0],
                "{name}: the phase JSON or .npy differs with {n} ranks"
            );
        }
        // Ranges inside those extrema (cells left out on both axes), a
        // linear axis, the volume-weighted mean of a third variable, a
        // sphere around the densest cell.
        let j: serde_json::Value = serde_json::from_slice(&runs[0][0]).unwrap();
        let range = |a: &str| {
            let r = &j[a]["range"];
            (r[0].as_f64().unwrap(), r[1].as_f64().unwrap())
        };
        let ((xa, xb), (ya, yb)) = (range("x"), range("y"));
        let xr = format!("{},{}", xa, 0.5 * (xa + xb));
        let yr = format!("{},{}", ya * (yb / ya).powf(0.2), yb);
        let mut args = vec![OsStr::new("phase"), out.as_os_str()];
        args.extend(os(&[
            "--x",
            "density",
            "--y",
            "temperature_over_mu",
            "--z",
            "pressure",
            "--weight",
            "volume",
            "--bins",
            "40,30",
            "--xlin",
            "--xrange",
            &xr,
            "--yrange",
            &yr,
            "--center",
            "densest",
            "--radius",
            "0.3",
            "--range-unit",
            "box",
        ]));
        let runs = binned_runs(tmp.path(), &format!("{name}-h-ranges"), &args, true);
        let j: serde_json::Value = serde_json::from_slice(&runs[0][0]).unwrap();
        assert!(
            j["cells_outside_range"].as_u64().unwrap() > 0,
            "{name}: no cell outside {xr} × {yr}"
        );
        for (n, r) in runs.iter().enumerate().skip(1) {
            assert!(
                *r == runs[0],
                "{name}: the phase with ranges differs with {n} ranks"
            );
        }
    }
}

#[test]
fn series_csv_is_byte_identical_for_1_to_4_ranks() {
    let runs = testkit::runs();
    if runs.is_empty() {
        return;
    }
    // A simulation folder of the shared outputs, one per output number.
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path().join("sim");
    std::fs::create_dir(&sim).unwrap();
    for (k, r) in runs.iter().enumerate() {
        std::os::unix::fs::symlink(&r.output, sim.join(format!("output_{:05}", k + 1))).unwrap();
    }
    let mut csvs = Vec::new();
    for n in [None, Some(1), Some(2), Some(3), Some(4)] {
        let csv = tmp.path().join(format!("series-{n:?}.csv"));
        let mut args = os(&["series"]);
        args.push(sim.as_os_str());
        args.push(OsStr::new("--csv"));
        args.push(csv.as_os_str());
        ok(n, &args);
        csvs.push(std::fs::read(&csv).unwrap());
    }
    assert_eq!(
        String::from_utf8_lossy(&csvs[0]).lines().count(),
        runs.len() + 1
    );
    for (k, c) in csvs.iter().enumerate().skip(1) {
        assert!(*c == csvs[0], "series CSV differs with {k} ranks");
    }
}

#[test]
fn export_vtk_writes_pieces_per_rank_under_one_vtm() {
    let Some(run) = testkit::runs().into_iter().find(|r| r.name == "sedov3d") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut cells = Vec::new();
    for n in [None, Some(3)] {
        let prefix = tmp.path().join(format!("cells-{}", n.unwrap_or(0)));
        let mut args = os(&["export-vtk"]);
        args.push(run.output.as_os_str());
        args.extend(os(&["--scalars", "density", "--out"]));
        args.push(prefix.as_os_str());
        ok(n, &args);
        let vtm = prefix.with_extension("vtm");
        let text = std::fs::read_to_string(&vtm).unwrap();
        let files: Vec<PathBuf> = text
            .split("file=\"")
            .skip(1)
            .map(|s| tmp.path().join(s.split('"').next().unwrap()))
            .collect();
        assert!(!files.is_empty());
        for f in &files {
            assert!(f.is_file(), "{vtm:?} names {f:?}, which is missing");
            if n.is_some() {
                assert!(f.to_string_lossy().contains("_rank"), "{f:?}");
            }
        }
        // No per-rank index is left beside the pieces.
        let stray = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                let f = e.file_name().to_string_lossy().into_owned();
                f.contains("_rank") && f.ends_with(".vtm")
            })
            .count();
        assert_eq!(stray, 0);
        if let Some(py) = testkit::vtk_python() {
            let sum = testkit::vtk_summary(&py, std::slice::from_ref(&vtm));
            let blocks = sum[vtm.to_str().unwrap()].as_array().unwrap().clone();
            let total: u64 = blocks.iter().map(|b| b["cells"].as_u64().unwrap()).sum();
            let mass: f64 = blocks
                .iter()
                .map(|b| b["cell_data"]["density"]["sum"].as_f64().unwrap())
                .sum();
            cells.push((total, mass));
        }
    }
    if cells.len() == 2 {
        assert_eq!(cells[0].0, cells[1].0, "cells in VTK, plain vs 3 ranks");
        assert!((cells[0].1 - cells[1].1).abs() <= 1e-12 * cells[0].1.abs());
    }
}

/// Damages CPU file 3 of 4's hydro file with `damage` (in a copy of the
/// `particles` output), then runs stats, project and export-vtk with and
/// without `mpirun -n 1..4`: every run fails within 30 s, the error (naming
/// the file) is printed once, nothing goes to stdout and no output file is
/// left.
fn damaged_file_fails_every_rank(what: &str, damage: impl Fn(&Path)) {
    let Some(run) = testkit::runs().into_iter().find(|r| r.name == "particles") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output_00002");
    testkit::copy_tree(&run.output, &out);
    // CPU file 3 of 4: on rank 2 of 4, rank 1 of 2, … and not on rank 0.
    let victim = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let f = p.file_name().unwrap().to_string_lossy().into_owned();
            f.starts_with("hydro_") && f.ends_with(".out00003")
        })
        .expect("hydro file 3");
    damage(&victim);
    let victim_name = victim.file_name().unwrap().to_string_lossy().into_owned();
    for n in [None, Some(1), Some(2), Some(3), Some(4)] {
        let maps = tmp.path().join(format!("maps-{n:?}"));
        let vtk = tmp.path().join(format!("vtk-{n:?}"));
        std::fs::create_dir(&vtk).unwrap();
        let prefix = vtk.join("cells");
        let cases: Vec<Vec<&OsStr>> = vec![
            vec!["stats".as_ref(), out.as_os_str(), "--json".as_ref()],
            vec![
                "project".as_ref(),
                out.as_os_str(),
                "--var".as_ref(),
                "density".as_ref(),
                "--out".as_ref(),
                maps.as_os_str(),
            ],
            vec![
                "export-vtk".as_ref(),
                out.as_os_str(),
                "--out".as_ref(),
                prefix.as_os_str(),
            ],
        ];
        for args in cases {
            let (good, so, se, secs) = run_cmd(n, &args);
            assert!(!good, "{n:?} {args:?} succeeded on a {what} file");
            assert!(secs < 30.0, "{n:?} {args:?}: {secs:.1} s to fail");
            let lines: Vec<&str> = se.lines().filter(|l| l.starts_with("amrkit:")).collect();
            assert_eq!(
                lines.len(),
                1,
                "{n:?} {args:?}: error printed {} times: {se}",
                lines.len()
            );
            assert!(lines[0].contains(&victim_name), "{n:?}: {}", lines[0]);
            assert!(so.is_empty(), "{n:?} {args:?}: printed {so:?}");
        }
        // No partial output anywhere.
        assert!(
            !maps.exists() || testkit::files_in(&maps, ".npy").is_empty(),
            "{n:?}: maps written"
        );
        let left: Vec<_> = std::fs::read_dir(&vtk)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "{n:?}: VTK files left: {left:?}");
    }
}

#[test]
fn a_truncated_file_fails_every_rank_quickly_with_one_error_and_no_output() {
    damaged_file_fails_every_rank("truncated", |f| {
        let len = std::fs::metadata(f).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(f).unwrap();
        file.set_len(len / 2).unwrap();
    });
}

#[test]
fn a_missing_file_fails_every_rank_quickly_with_one_error_and_no_output() {
    damaged_file_fails_every_rank("missing", |f| std::fs::remove_file(f).unwrap());
}

#[test]
fn a_corrupt_file_fails_every_rank_quickly_with_one_error_and_no_output() {
    // The first record's leading length marker overwritten: the header no
    // longer parses.
    damaged_file_fails_every_rank("corrupt", |f| {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = std::fs::OpenOptions::new().write(true).open(f).unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(&0x7fff_fff0u32.to_le_bytes()).unwrap();
    });
}
