//! Checking VTK files with the real VTK library (Python `vtk`), which reads
//! raw appended data of any content.

use std::path::{Path, PathBuf};

/// A Python interpreter with the `vtk` package: `AMRKIT_VTK_PYTHON`, or the
/// venv `.ci/run` creates in `target/vtk-venv`. `None` (reason printed)
/// when there is none; under `CI=true` that is a failure.
pub fn vtk_python() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("AMRKIT_VTK_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([crate::workspace_root().join("target/vtk-venv/bin/python")])
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
    crate::missing(&format!(
        "no Python with the `vtk` package (looked at {candidates:?}; `.ci/run` creates target/vtk-venv)"
    ));
    None
}

/// Summaries of VTK files by the real VTK library (`testkit/vtk_summary.py`).
pub fn vtk_summary(python: &Path, files: &[PathBuf]) -> serde_json::Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vtk_summary.py");
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
