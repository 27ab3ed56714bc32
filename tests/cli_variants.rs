//! The `amrkit` binary on the real format variants of
//! `../shared/data/ramses-variants/` (group folders, cosmology, clumps) and
//! on generated outputs of the same kinds.

mod common;

use assert_cmd::Command;
use common::{close, read_npy, variant};
use serde_json::Value;
use std::path::Path;

fn amrkit() -> Command {
    let mut c = Command::cargo_bin("amrkit").unwrap();
    c.env("AMRKIT_NO_TUNE_CACHE", "1").arg("--threads").arg("2");
    c
}

/// Runs amrkit with `args`; its stdout, or a panic with its stderr.
fn run_ok(args: &[&str], path: &Path) -> (String, String) {
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

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// `stats --json` against reference.json: leaf cells per level, gas mass
/// and the hydro moments, to 1e-10.
fn check_stats(name: &str, st: &Value, r: &Value) {
    assert_eq!(st["n_leaf_total"], r["cells"]["n_leaf_total"], "{name}");
    for (l, n) in r["cells"]["leaf_cells_per_level"].as_object().unwrap() {
        assert_eq!(&st["leaf_cells_per_level"][l], n, "{name} level {l}");
    }
    let want = r["gas"]["total_mass_code"].as_f64().unwrap();
    let got = st["total_mass"].as_f64().unwrap();
    assert!(close(got, want, 1e-10, 0.0), "{name}: mass {got} vs {want}");
    for (yt, ours) in [
        ("Density", "density"),
        ("Pressure", "pressure"),
        ("x-velocity", "velocity_x"),
    ] {
        let w = &r["hydro"][yt]["code"];
        let range = w["max"].as_f64().unwrap() - w["min"].as_f64().unwrap();
        for k in ["min", "max", "volume_weighted_mean", "mass_weighted_mean"] {
            let (g, e) = (
                st["hydro"][ours][k].as_f64().unwrap(),
                w[k].as_f64().unwrap(),
            );
            assert!(close(g, e, 1e-10, range), "{name} {ours} {k}: {g} vs {e}");
        }
    }
}

#[test]
fn group_folders_info_stats_project_export() {
    let Some(run) = variant("groups") else {
        return;
    };
    let r = &run.reference;
    let (so, _) = run_ok(&["info", "--json"], &run.output);
    let info = json_of(&so);
    assert_eq!(info["ncpu"], r["info"]["ncpu"]);
    assert_eq!(info["levelmax"], r["info"]["levelmax"]);
    assert_eq!(info["file_layout"]["group_size"], 2);
    assert_eq!(info["file_layout"]["groups"], 3);
    assert!(info["disk_bytes"].as_u64().unwrap() > 17_000_000);
    let t = info["time_code"].as_f64().unwrap();
    assert!(close(
        t,
        r["info"]["time_code"].as_f64().unwrap(),
        1e-12,
        0.0
    ));
    let (text, _) = run_ok(&["info"], &run.output);
    assert!(text.contains("group_XXXXX folders of 2 CPUs"), "{text}");

    let (so, _) = run_ok(&["stats", "--json"], &run.output);
    check_stats("groups", &json_of(&so), r);

    let tmp = tempfile::tempdir().unwrap();
    let npy = tmp.path().join("rho.npy");
    run_ok(
        &[
            "project",
            "--var",
            "density",
            "--axis",
            "z",
            "--res",
            "256",
            "--out",
            npy.to_str().unwrap(),
        ],
        &run.output,
    );
    let (_, _, got) = read_npy(&npy);
    let (_, _, want) = read_npy(&run.output.parent().unwrap().join("proj_density_z_256.npy"));
    let (worst, scale) = common::map_error(&got, &want);
    assert!(
        worst <= 1e-12 * scale,
        "groups Σ map: {worst:e} of {scale:e}"
    );

    let prefix = tmp.path().join("vtk/groups");
    std::fs::create_dir_all(prefix.parent().unwrap()).unwrap();
    let (so, _) = run_ok(
        &[
            "export-vtk",
            "--scalars",
            "density",
            "--out",
            prefix.to_str().unwrap(),
        ],
        &run.output,
    );
    let n: u64 = r["cells"]["n_leaf_total"].as_u64().unwrap();
    assert!(so.contains(&format!("wrote {n} cells")), "{so}");
}

#[test]
fn group_folders_with_particles_on_generated_output() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = amrkit_io::SynthSpec {
        ncpu: 5,
        levelmin: 3,
        levelmax: 5,
        n_dm: 600,
        n_star: 150,
        ..amrkit_io::SynthSpec::default()
    };
    let plan = amrkit_io::SynthPlan::new(spec).unwrap();
    let flat = tmp.path().join("flat/output_00001");
    let grouped = tmp.path().join("grouped/output_00001");
    plan.write(&flat).unwrap();
    plan.write_grouped(&grouped, 2).unwrap();
    for args in [
        &["particles", "--json"][..],
        &["stats", "--json"][..],
        &[
            "particles",
            "--json",
            "--family",
            "star",
            "--xrange",
            "-20,5",
            "--range-unit",
            "kpc",
        ][..],
    ] {
        let (a, _) = run_ok(args, &flat);
        let (b, _) = run_ok(args, &grouped);
        let (mut a, mut b) = (json_of(&a), json_of(&b));
        a["output"] = Value::Null;
        b["output"] = Value::Null;
        assert_eq!(a, b, "{args:?}");
    }
    let (so, _) = run_ok(&["particles", "--json"], &grouped);
    let p = json_of(&so);
    assert_eq!(p["DM"]["count"], 600);
    assert_eq!(p["star"]["count"], 150);
    let prefix = tmp.path().join("g");
    let (so, _) = run_ok(
        &[
            "export-vtk",
            "--particles",
            "--out",
            prefix.to_str().unwrap(),
        ],
        &grouped,
    );
    assert!(so.contains("(750 particles)"), "{so}");
}
