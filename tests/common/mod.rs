//! Finding the shared real RAMSES outputs for integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The folder holding one sub-folder per real run (`sedov3d/`, …), from
/// `AMRKIT_TEST_DATA` or `../shared/data/ramses`. `None` (with the reason
/// printed) when neither exists; under `CI=true` that is a failure instead.
pub fn data_root() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("AMRKIT_TEST_DATA")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::iter::once(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/ramses"),
        ))
        .collect();
    for c in &candidates {
        if c.is_dir() {
            return Some(c.clone());
        }
    }
    let msg =
        format!("real RAMSES test data not found (looked in {candidates:?}; set AMRKIT_TEST_DATA)");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}: required under CI=true");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// One real run: its output folder and its parsed `reference.json`.
pub struct Run {
    pub name: String,
    pub output: PathBuf,
    pub reference: serde_json::Value,
}

/// Every run under the data root that has a `reference.json`.
pub fn runs() -> Vec<Run> {
    let Some(root) = data_root() else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("read data root")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("reference.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let reference: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
                .unwrap();
        let out = reference["output"]
            .as_str()
            .unwrap_or("output_00002")
            .to_string();
        let output = if dir.join(&out).is_dir() {
            dir.join(&out)
        } else {
            std::fs::read_dir(&dir)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    p.is_dir()
                        && p.file_name()
                            .unwrap()
                            .to_string_lossy()
                            .starts_with("output_")
                })
                .expect("an output_ folder")
        };
        runs.push(Run {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            output,
            reference,
        });
    }
    assert!(
        !runs.is_empty() || std::env::var("CI").is_err(),
        "no runs with reference.json under {root:?}"
    );
    runs
}

/// One real output of `../shared/data/ramses-variants/NAME` (the folder
/// beside the data root): `None`, with the reason printed, when it is not
/// there; under `CI=true` that is a failure.
pub fn variant(name: &str) -> Option<Run> {
    let root = data_root()?;
    let dir = root
        .parent()
        .map(|p| p.join("ramses-variants").join(name))
        .unwrap_or_default();
    let reference_path = dir.join("reference.json");
    if !reference_path.is_file() {
        let msg = format!("RAMSES variant {name:?} not found (looked for {reference_path:?})");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}: required under CI=true");
        }
        eprintln!("SKIPPED: {msg}");
        return None;
    }
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reference_path).unwrap()).unwrap();
    let out = reference["output"].as_str().unwrap_or("output_00002");
    Some(Run {
        name: name.to_string(),
        output: dir.join(out),
        reference,
    })
}

/// Copies a folder tree (an output) into `to`, files made writable.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let q = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &q);
        } else {
            std::fs::copy(&p, &q).unwrap();
            let mut perm = std::fs::metadata(&q).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(&q, perm).unwrap();
        }
    }
}

/// `|got - want| ≤ rel·|want|`, or `≤ rel·range` for values near zero
/// relative to the field's range (means that vanish by symmetry).
pub fn close(got: f64, want: f64, rel: f64, range: f64) -> bool {
    let d = (got - want).abs();
    d <= rel * want.abs() || d <= rel * range.abs()
}

/// A Python interpreter with the `vtk` package: `AMRKIT_VTK_PYTHON`, or the
/// venv `.ci/run` creates in `target/vtk-venv`. `None` (reason printed)
/// when there is none; under `CI=true` that is a failure.
pub fn vtk_python() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates: Vec<PathBuf> = std::env::var_os("AMRKIT_VTK_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([root.join("target/vtk-venv/bin/python")])
        .collect();
    for c in &candidates {
        let ok = std::process::Command::new(c)
            .args(["-c", "import vtk"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(c.clone());
        }
    }
    let msg = format!(
        "no Python with the `vtk` package (looked at {candidates:?}; `.ci/run` creates target/vtk-venv)"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}: required under CI=true");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// Summaries of VTK files by the real VTK library (tests/support/vtk_summary.py).
pub fn vtk_summary(python: &std::path::Path, files: &[PathBuf]) -> serde_json::Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/vtk_summary.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(files)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "vtk_summary failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json from vtk_summary")
}

/// A 2D little-endian float64 `.npy` file: `(rows, cols, values)`.
pub fn read_npy(path: &std::path::Path) -> (usize, usize, Vec<f64>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..6], b"\x93NUMPY", "{path:?}: not a .npy file");
    let (hlen, start) = if b[6] == 1 {
        (u16::from_le_bytes([b[8], b[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(header.contains("'descr': '<f8'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let shape = header.split("'shape': (").nth(1).unwrap();
    let dims: Vec<usize> = shape
        .split(')')
        .next()
        .unwrap()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let data: Vec<f64> = b[start + hlen..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    // A 1D array (a profile) reads as one column.
    let cols = dims.get(1).copied().unwrap_or(1);
    assert_eq!(data.len(), dims[0] * cols);
    (dims[0], cols, data)
}

/// Largest |got − want| over a map, and the map's largest |want| (the
/// scale map tolerances are relative to).
pub fn map_error(got: &[f64], want: &[f64]) -> (f64, f64) {
    assert_eq!(got.len(), want.len(), "map sizes differ");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    (worst, scale)
}

/// The `amrkit` binary of this build, without the stored tuning and with
/// two worker threads, as the CLI tests run it.
pub fn amrkit() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("amrkit").unwrap();
    c.env("AMRKIT_NO_TUNE_CACHE", "1").arg("--threads").arg("2");
    c
}

/// Runs `amrkit ARGS[0] PATH ARGS[1..]`: its (stdout, stderr), or a panic
/// with its stderr when it fails.
pub fn run_ok(args: &[&str], path: &Path) -> (String, String) {
    let out = amrkit()
        .args(&args[..1])
        .arg(path)
        .args(&args[1..])
        .output()
        .unwrap();
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "amrkit {args:?} {path:?}: {se}");
    (so, se)
}

/// The one stderr line of an amrkit run (as [`run_ok`]) that must fail.
pub fn fails_with(args: &[&str], path: &Path) -> String {
    let out = amrkit()
        .args(&args[..1])
        .arg(path)
        .args(&args[1..])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} succeeded");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    e
}

/// `s` parsed as JSON, or a panic showing it.
pub fn json_of(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// The stdout of [`run_ok`].
pub fn stdout_ok(args: &[&str], path: &Path) -> String {
    run_ok(args, path).0
}

/// The files of `dir` whose names end with `suffix` (`""`: all), as
/// (name, bytes), sorted by name: for comparing two runs' outputs.
pub fn files_in(dir: &Path, suffix: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}
