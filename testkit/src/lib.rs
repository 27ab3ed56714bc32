//! What amrkit's integration tests share, one copy each: finding the real
//! RAMSES outputs (`../shared/data`), running the `amrkit` binary, reading
//! back the `.npy` and VTK files it writes, and the small comparisons the
//! tests make. Dev-only (`publish = false`); the crates' tests depend on it
//! as `testkit`.
//!
//! It depends on no amrkit crate, so every crate's tests can use it without
//! a dependency cycle. The pool's tests keep their own helpers
//! (`pool/tests/pool/common.rs`): amrkit-pool is built standalone and under
//! `--cfg loom`.

mod cli;
mod compare;
mod data;
mod fortran;
mod npy;
mod vtk;

pub use cli::{amrkit, fails_with, project_npy, run_ok, stdout_ok};
pub use compare::{assert_map_close, close, json_of, map_error};
pub use data::{copy_tree, data_root, files_in, runs, variant, Run};
pub use fortran::boundaries;
pub use npy::read_npy;
pub use vtk::{vtk_python, vtk_summary};

use std::path::PathBuf;

/// The workspace root (this crate's parent folder): where `target/` and
/// `../shared` are found from.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A missing test input: a failure under `CI=true`, otherwise a skip with
/// the reason printed. Returns only when the test may skip.
fn missing(msg: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}: required under CI=true");
    }
    eprintln!("SKIPPED: {msg}");
}
