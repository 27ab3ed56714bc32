//! The shared real RAMSES outputs (`AMRKIT_TEST_DATA`, or `../shared/data`
//! beside the repository) and copies of output folders: tests read the
//! real files where they can, and damage copies, never the originals.

use std::path::{Path, PathBuf};

/// The folder holding one sub-folder per real run (`sedov3d/`, …), from
/// `AMRKIT_TEST_DATA` or `../shared/data/ramses`. `None` (with the reason
/// printed) when neither exists; under `CI=true` that is a failure instead.
pub fn data_root() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("AMRKIT_TEST_DATA")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::iter::once(
            crate::workspace_root().join("../shared/data/ramses"),
        ))
        .collect();
    for c in &candidates {
        if c.is_dir() {
            return Some(c.clone());
        }
    }
    crate::missing(&format!(
        "real RAMSES test data not found (looked in {candidates:?}; set AMRKIT_TEST_DATA)"
    ));
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
        crate::missing(&format!(
            "RAMSES variant {name:?} not found (looked for {reference_path:?})"
        ));
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
pub fn copy_tree(from: &Path, to: &Path) {
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
