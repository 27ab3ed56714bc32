//! Outputs written in `group_GGGGG` folders (IOGROUPSIZEREP).

use crate::reference::check_stats;
use serde_json::Value;
use testkit::{assert_map_close, close, json_of, project_npy, read_npy, run_ok, variant};

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
    let (_, _, got) = project_npy(
        &run.output,
        &["--var", "density", "--axis", "z", "--res", "256"],
        &npy,
    );
    let (_, _, want) = read_npy(&run.output.parent().unwrap().join("proj_density_z_256.npy"));
    assert_map_close(&got, &want, 1e-12, "groups Σ map");

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
