//! Particles without `part_file_descriptor.txt`: the layout inferred from
//! the record lengths (and `header_NNNNN.txt`'s field tokens), on copies of
//! the real outputs with the descriptor removed; and unreadable particles
//! that must not stop the gas figures.

use testkit::amrkit;

use serde_json::Value;
use std::path::{Path, PathBuf};
use testkit::{copy_tree, json_of, run_ok, runs, variant, Run};

/// The real outputs with particle files.
fn particle_runs() -> Vec<Run> {
    runs()
        .into_iter()
        .chain(variant("cosmo"))
        .filter(|r| r.output.join("part_file_descriptor.txt").is_file())
        .collect()
}

/// A copy of `run`'s output without the particle descriptor (and, when
/// `header` is false, without `header_NNNNN.txt` either).
fn copy_without_descriptor(tmp: &Path, run: &Run, header: bool) -> PathBuf {
    let out = tmp
        .join(format!("{}_{header}", run.name))
        .join(run.output.file_name().unwrap());
    copy_tree(&run.output, &out);
    std::fs::remove_file(out.join("part_file_descriptor.txt")).unwrap();
    if !header {
        for e in std::fs::read_dir(&out).unwrap().flatten() {
            if e.file_name().to_string_lossy().starts_with("header_") {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    }
    out
}

fn json_out(args: &[&str], path: &Path) -> (Value, String) {
    let (so, err) = run_ok(args, path);
    (json_of(&so), err)
}

#[test]
fn inferred_layouts_equal_the_descriptors() {
    let runs = particle_runs();
    let tmp = tempfile::tempdir().unwrap();
    for run in &runs {
        let want = amrkit_io::Snapshot::open(&run.output).unwrap();
        let want = want.particle_layout().unwrap();
        assert!(want.from_descriptor);
        // With the header's "Particle fields" tokens every layout is found.
        let dir = copy_without_descriptor(tmp.path(), run, true);
        let s = amrkit_io::Snapshot::open(&dir).unwrap();
        let got = s.particle_layout().unwrap();
        assert!(!got.from_descriptor);
        assert_eq!(got.fields, want.fields, "{}", run.name);
        // The figures are the reference's.
        let (p, _) = json_out(&["particles", "--json"], &dir);
        let fams = run.reference["particles"]["families"].as_object().unwrap();
        for (name, f) in fams {
            assert_eq!(p[name]["count"], f["count"], "{} {name}", run.name);
            let (g, w) = (
                p[name]["total_mass"].as_f64().unwrap(),
                f["total_mass_code"].as_f64().unwrap(),
            );
            assert!(
                testkit::close(g, w, 1e-12, 0.0),
                "{} {name}: {g} vs {w}",
                run.name
            );
        }
        // Without the header too: only when nothing is ambiguous.
        let dir = copy_without_descriptor(tmp.path(), run, false);
        let s = amrkit_io::Snapshot::open(&dir).unwrap();
        let extra = want.fields.len() - 11;
        match s.particle_layout() {
            Ok(l) => {
                assert_eq!(extra, 0, "{}: guessed {extra} optional fields", run.name);
                assert_eq!(l.fields, want.fields, "{}", run.name);
            }
            Err(e) => {
                assert!(extra == 1 || extra == 2, "{}: {e}", run.name);
                let e = e.to_string();
                assert!(e.contains("part_") && e.contains("ambiguous"), "{e}");
            }
        }
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(runs.iter().any(|r| r.name == "particles"), "particles run");
        assert!(runs.iter().any(|r| r.name == "cosmo"), "cosmo variant");
    }
}

#[test]
fn unreadable_particles_do_not_stop_the_gas() {
    let Some(run) = runs().into_iter().find(|r| r.name == "particles") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (full, _) = json_out(&["stats", "--json"], &run.output);
    assert!(full["particles"].is_object());
    // 1. No descriptor, no header: an ambiguous layout.
    let ambiguous = copy_without_descriptor(tmp.path(), &run, false);
    // 2. A descriptor, but a particle file cut short.
    let cut = tmp.path().join("cut").join(run.output.file_name().unwrap());
    copy_tree(&run.output, &cut);
    let p2 = cut.join("part_00002.out00002");
    let len = std::fs::metadata(&p2).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&p2).unwrap();
    f.set_len(len - 100).unwrap();
    for (dir, what) in [(&ambiguous, "ambiguous"), (&cut, "part_00002.out00002")] {
        let (st, err) = json_out(&["stats", "--json"], dir);
        assert!(
            err.contains("warning: particles not read") && err.contains(what),
            "{err}"
        );
        assert!(st["particles"].is_null());
        assert!(st["particles_error"].as_str().unwrap().contains(what));
        for k in [
            "n_leaf_total",
            "total_mass",
            "hydro",
            "gravity",
            "leaf_cells_per_level",
        ] {
            assert_eq!(st[k], full[k], "{k}");
        }
        // The command that needs the particles fails, in one line.
        let out = amrkit().arg("particles").arg(dir).output().unwrap();
        assert!(!out.status.success());
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(e.contains(what) && e.trim().lines().count() == 1, "{e}");
    }
    // info says why, and still describes the rest.
    let (info, _) = json_out(&["info", "--json"], &ambiguous);
    assert!(info["particles_error"]
        .as_str()
        .unwrap()
        .contains("ambiguous"));
    assert_eq!(info["ncpu"], 4);
}
