//! `export-vtk`, `particles` and `demo` on generated snapshots.

use testkit::{amrkit, close, json_of, read_npy};

#[test]
fn export_particles_and_demo_on_generated_data() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let out = amrkit()
        .arg("demo")
        .arg(&demo)
        .args(["--levelmin", "4", "--levelmax", "6", "--ncpu", "4"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in ["generate", "load", "project", "export", "files:"] {
        assert!(text.contains(step), "{text}");
    }
    for f in [
        "maps/density_z.npy",
        "maps/density_z.png",
        "maps/temperature_z.png",
        "vtk/cells.vtm",
        "vtk/particles.vtu",
    ] {
        assert!(demo.join(f).is_file(), "{f}");
    }
    let snap = demo.join("output_00001");
    // export-vtk writes one .vtu per level and an index VTK can read.
    let prefix = tmp.path().join("vtk/out");
    let out = amrkit()
        .arg("export-vtk")
        .arg(&snap)
        .args([
            "--scalars",
            "density,temperature",
            "--vector",
            "velocity",
            "--zlib",
            "--particles",
            "--out",
        ])
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vtm = tmp.path().join("vtk/out.vtm");
    assert!(vtm.is_file() && tmp.path().join("vtk/out_particles.vtu").is_file());
    if let Some(py) = testkit::vtk_python() {
        let s = testkit::vtk_summary(&py, std::slice::from_ref(&vtm));
        let blocks = s[vtm.to_str().unwrap()].as_array().unwrap();
        let cells: u64 = blocks.iter().map(|b| b["cells"].as_u64().unwrap()).sum();
        let st = json_of(
            &amrkit()
                .arg("stats")
                .arg(&snap)
                .arg("--json")
                .output()
                .unwrap()
                .stdout,
        );
        assert_eq!(cells, st["n_leaf_total"].as_u64().unwrap());
    }
    // particles: counts per family and a map.
    let map = tmp.path().join("stars.npy");
    let out = amrkit()
        .arg("particles")
        .arg(&snap)
        .args([
            "--family",
            "star",
            "--deposit",
            "cic",
            "--res",
            "64",
            "--json",
            "--out",
        ])
        .arg(&map)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = json_of(&out.stdout);
    assert_eq!(j["star"]["count"], 5000);
    let (r, c, m) = read_npy(&map);
    assert_eq!((r, c), (64, 64));
    let area = (100.0f64 / 64.0).powi(2);
    let mass: f64 = m.iter().sum::<f64>() * area;
    assert!(close(
        mass,
        j["star"]["total_mass"].as_f64().unwrap(),
        1e-9,
        0.0
    ));
}
