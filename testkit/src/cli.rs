//! Running the `amrkit` binary of this build as the CLI tests do: without
//! the stored tuning, on two worker threads.

use std::path::Path;

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

/// The stdout of [`run_ok`].
pub fn stdout_ok(args: &[&str], path: &Path) -> String {
    run_ok(args, path).0
}

/// Runs `amrkit project PATH ARGS --out NPY` (as [`run_ok`]) and reads the
/// map back: `(rows, cols, values)`.
pub fn project_npy(path: &Path, args: &[&str], npy: &Path) -> (usize, usize, Vec<f64>) {
    let out = npy.to_str().expect("a UTF-8 path");
    let all: Vec<&str> = std::iter::once("project")
        .chain(args.iter().copied())
        .chain(["--out", out])
        .collect();
    run_ok(&all, path);
    crate::read_npy(npy)
}
