//! Results do not depend on the thread count: `stats --json` and the
//! `.npy` maps of `project` and `particles` are byte-identical at
//! `--threads 1`, 2 and 3 on the shared real outputs (sums are taken per
//! fixed block of each CPU file and folded in file order, whatever the
//! partition of the work).

use std::path::PathBuf;

/// `amrkit --threads N ARGS…`: its stdout, or a panic with its stderr.
fn run(threads: usize, args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = assert_cmd::Command::cargo_bin("amrkit")
        .unwrap()
        .env("AMRKIT_NO_TUNE_CACHE", "1")
        .arg("--threads")
        .arg(threads.to_string())
        .arg("-q")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "amrkit --threads {threads} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn outputs() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = testkit::runs()
        .into_iter()
        .map(|r| (r.name, r.output))
        .collect();
    for name in ["cosmo", "mhd3d", "blast2d"] {
        if let Some(r) = testkit::variant(name) {
            v.push((r.name, r.output));
        }
    }
    v
}

#[test]
fn stats_json_is_byte_identical_for_1_2_3_threads() {
    for (name, out) in outputs() {
        for region in [&[][..], &["--radius", "0.3", "--range-unit", "box"][..]] {
            let mut args: Vec<&std::ffi::OsStr> = vec!["stats".as_ref(), out.as_os_str()];
            args.extend(region.iter().map(std::ffi::OsStr::new));
            args.push("--json".as_ref());
            let one = run(1, &args);
            for t in [2, 3] {
                assert!(
                    run(t, &args) == one,
                    "{name} {region:?}: stats --json differs between 1 and {t} threads"
                );
            }
        }
    }
}

#[test]
fn projections_are_byte_identical_for_1_2_3_threads() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, out) in outputs() {
        let ndim: usize = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("info_"))
            .and_then(|e| std::fs::read_to_string(e.path()).ok())
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("ndim"))
                    .and_then(|l| l.split('=').nth(1))
                    .and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(3);
        let axes: &[&str] = if ndim == 3 { &["x", "z"] } else { &["z"] };
        for &axis in axes {
            for weight in ["none", "mass"] {
                let mut per_threads = Vec::new();
                for t in [1, 2, 3] {
                    let dir = tmp.path().join(format!("{name}-{axis}-{weight}-{t}"));
                    let var = if weight == "none" {
                        "density"
                    } else {
                        "density,pressure"
                    };
                    let args: Vec<&std::ffi::OsStr> = vec![
                        "project".as_ref(),
                        out.as_os_str(),
                        "--var".as_ref(),
                        var.as_ref(),
                        "--axis".as_ref(),
                        axis.as_ref(),
                        "--weight".as_ref(),
                        weight.as_ref(),
                        "--res".as_ref(),
                        "96".as_ref(),
                        "--out".as_ref(),
                        dir.as_os_str(),
                    ];
                    run(t, &args);
                    // The .npy maps only (the PNGs follow from them).
                    let npy: Vec<_> = testkit::files_in(&dir, "")
                        .into_iter()
                        .filter(|(n, _)| n.ends_with(".npy"))
                        .collect();
                    assert!(!npy.is_empty());
                    per_threads.push(npy);
                }
                for (k, t) in [(1, 2), (2, 3)] {
                    assert!(
                        per_threads[k] == per_threads[0],
                        "{name} axis {axis} weight {weight}: maps differ between 1 and {t} threads"
                    );
                }
            }
        }
    }
}

#[test]
fn particle_maps_are_byte_identical_for_1_2_3_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<_> = outputs()
        .into_iter()
        .filter(|(n, _)| n == "particles" || n == "cosmo")
        .collect();
    for (name, out) in runs {
        let mut maps = Vec::new();
        for t in [1, 2, 3] {
            let path = tmp.path().join(format!("{name}-{t}.npy"));
            let args: Vec<&std::ffi::OsStr> = vec![
                "particles".as_ref(),
                out.as_os_str(),
                "--res".as_ref(),
                "64".as_ref(),
                "--json".as_ref(),
                "--out".as_ref(),
                path.as_os_str(),
            ];
            let json = run(t, &args);
            maps.push((json, std::fs::read(&path).unwrap()));
        }
        assert!(maps[1] == maps[0] && maps[2] == maps[0], "{name}");
    }
}
