//! 2D and 1D RAMSES outputs written by RAMSES itself
//! (`../shared/data/ramses-variants/blast2d`: 2D, periodic;
//! `sedov1d`: 1D, two reflecting boundaries, coarse grid nx = 3): `info`,
//! `stats` against reference.json to 1e-10, images and profiles exact, area
//! averages over coarser pixels, VTK cells of the right kind, and the
//! refusals that remain (projection axes, PNG profiles).

use crate::reference::check_stats_of;
use serde_json::Value;
use std::path::Path;
use testkit::{
    assert_map_close, close, fails_with, json_of, project_npy, read_npy, stdout_ok, variant,
    vtk_python, vtk_summary,
};

/// `info --json` and `stats --json` against reference.json: ndim, leaf
/// cells per level, Σρ·dx^ndim and every hydro field's moments to 1e-10.
fn check_info_and_stats(name: &str, output: &Path, r: &Value) {
    let info = json_of(&stdout_ok(&["info", "--json"], output));
    assert_eq!(info["ndim"], r["info"]["ndim"], "{name}");
    assert_eq!(info["ncpu"], r["info"]["ncpu"], "{name}");
    let ndim = r["info"]["ndim"].as_u64().unwrap() as usize;
    assert_eq!(
        info["box_coarse_cells"].as_array().unwrap().len(),
        ndim,
        "{name}"
    );
    assert!(
        info["box_coarse_cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v == 1),
        "{name}: {}",
        info["box_coarse_cells"]
    );
    let nx: Vec<Value> = r["amr_header"]["nx"].as_array().unwrap()[..ndim].to_vec();
    assert_eq!(info["coarse_grid"], Value::Array(nx), "{name}");
    assert_eq!(
        info["hydro_variables"], r["amr_header"]["hydro_descriptor"],
        "{name}"
    );
    let st = json_of(&stdout_ok(&["stats", "--json"], output));
    assert_eq!(st["n_leaf_total"], r["cells"]["n_leaf_total"], "{name}");
    let per = r["cells"]["leaf_cells_per_level"].as_object().unwrap();
    assert_eq!(
        st["leaf_cells_per_level"].as_object().unwrap().len(),
        per.len(),
        "{name}"
    );
    let names = r["hydro_descriptor_names"].as_object().unwrap();
    assert_eq!(names.len(), r["hydro_fields"].as_array().unwrap().len());
    let fields: Vec<(&str, &str)> = names
        .iter()
        .map(|(yt, ours)| (yt.as_str(), ours.as_str().unwrap()))
        .collect();
    check_stats_of(name, &st, r, &fields);
}

/// The map files of reference.json (`image_<x>_N.npy`, `profile_<x>_N.npy`)
/// with the RAMSES variable each holds.
fn reference_maps(r: &Value) -> Vec<(String, String)> {
    let names = r["hydro_descriptor_names"].as_object().unwrap();
    r["maps"]
        .as_object()
        .unwrap()
        .keys()
        .map(|file| {
            // `image_x_velocity_256.npy` → yt's `x-velocity`.
            let stem = file
                .trim_end_matches(".npy")
                .split_once('_')
                .unwrap()
                .1
                .rsplit_once('_')
                .unwrap()
                .0;
            let ours = names
                .iter()
                .find(|(yt, _)| yt.to_lowercase().replace('-', "_") == stem)
                .unwrap_or_else(|| panic!("{file}: no descriptor name for {stem}"))
                .1
                .as_str()
                .unwrap()
                .to_string();
            (file.clone(), ours)
        })
        .collect()
}

#[test]
fn blast2d_stats_images_area_averages_and_vtk() {
    let Some(run) = variant("blast2d") else {
        return;
    };
    let r = &run.reference;
    check_info_and_stats("blast2d", &run.output, r);
    let dir = run.output.parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let maps = reference_maps(r);
    assert_eq!(maps.len(), 4);
    let boxlen = r["info"]["boxlen"].as_f64().unwrap();
    for (file, var) in &maps {
        let (_, _, want) = read_npy(&dir.join(file));
        let n = (want.len() as f64).sqrt() as usize;
        // At 2^levelmax pixels every pixel lies in one cell: exact, for
        // the plain (area) and the mass-weighted map alike.
        for weight in ["none", "mass"] {
            let npy = tmp.path().join(format!("{var}_{weight}.npy"));
            let png = tmp.path().join(format!("{var}_{weight}.png"));
            let out = format!("{},{}", npy.display(), png.display());
            stdout_ok(
                &[
                    "project",
                    "--var",
                    var,
                    "--weight",
                    weight,
                    "--res",
                    &n.to_string(),
                    "--out",
                    &out,
                ],
                &run.output,
            );
            let (rows, cols, got) = read_npy(&npy);
            assert_eq!((rows, cols), (n, n));
            // Plain: bit for bit; mass-weighted: ρq/ρ rounds once.
            let rel = if weight == "none" { 0.0 } else { 1e-15 };
            assert_map_close(&got, &want, rel, &format!("blast2d {var} ({weight}) image"));
            assert!(std::fs::metadata(&png).unwrap().len() > 1000);
        }
        // Coarser pixels: the exact area average of the cells, which is the
        // mean of the 4×4 fine pixels each one covers.
        let npy = tmp.path().join(format!("{var}_64.npy"));
        let (_, _, got) = project_npy(&run.output, &["--var", var, "--res", "64"], &npy);
        let f = n / 64;
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for j in 0..64 {
            for i in 0..64 {
                let mut s = 0.0;
                for jj in 0..f {
                    for ii in 0..f {
                        s += want[(j * f + jj) * n + i * f + ii];
                    }
                }
                let mean = s / (f * f) as f64;
                let g = got[j * 64 + i];
                assert!(
                    (g - mean).abs() <= 1e-12 * scale,
                    "blast2d {var} pixel ({i}, {j}): {g} vs {mean}"
                );
            }
        }
        if var == "density" {
            // Σ map · pixel area = Σρ·dx² (mass per unit depth).
            let mass: f64 = got.iter().sum::<f64>() * (boxlen / 64.0).powi(2);
            let want = r["gas"]["total_mass_code"].as_f64().unwrap();
            assert!(close(mass, want, 1e-12, 0.0), "{mass} vs {want}");
        }
    }
    // A 2D output has one image plane.
    let e = fails_with(
        &[
            "project",
            "--var",
            "density",
            "--axis",
            "x",
            "--out",
            tmp.path().join("x.npy").to_str().unwrap(),
        ],
        &run.output,
    );
    assert!(e.contains("2D output") && e.contains("--axis z"), "{e}");

    let prefix = tmp.path().join("vtk/blast");
    let so = stdout_ok(
        &[
            "export-vtk",
            "--scalars",
            "density",
            "--vector",
            "velocity",
            "--out",
            prefix.to_str().unwrap(),
        ],
        &run.output,
    );
    let n = r["cells"]["n_leaf_total"].as_u64().unwrap();
    assert!(so.contains(&format!("wrote {n} cells")), "{so}");
    let level8 = std::fs::read(tmp.path().join("vtk/blast_level_08.vtu")).unwrap();
    let level8 = String::from_utf8_lossy(&level8[..400]);
    let cells8 = r["cells"]["leaf_cells_per_level"]["8"].as_u64().unwrap();
    assert!(
        level8.contains(&format!("NumberOfCells=\"{cells8}\"")),
        "level 8 file header"
    );
    if let Some(py) = vtk_python() {
        let s = vtk_summary(&py, &[tmp.path().join("vtk/blast.vtm")]);
        let text = s.to_string();
        // Quads (VTK_QUAD = 9) in the z = 0 plane, the box 2 × 2.
        assert!(text.contains("\"cell_types\":[9]"), "{text}");
        assert!(!text.contains("\"cell_types\":[12]"), "{text}");
    }
}

#[test]
fn sedov1d_with_boundaries_stats_and_profiles() {
    let Some(run) = variant("sedov1d") else {
        return;
    };
    let r = &run.reference;
    assert_eq!(r["amr_header"]["nboundary"], 2);
    check_info_and_stats("sedov1d", &run.output, r);
    let dir = run.output.parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let maps = reference_maps(r);
    assert_eq!(maps.len(), 3);
    for (file, var) in &maps {
        let (n, one, want) = read_npy(&dir.join(file));
        assert_eq!(one, 1, "{file} is a profile");
        let npy = tmp.path().join(format!("{var}.npy"));
        let so = stdout_ok(
            &[
                "project",
                "--var",
                var,
                "--res",
                &n.to_string(),
                "--out",
                npy.to_str().unwrap(),
            ],
            &run.output,
        );
        assert!(so.contains("1D profile"), "{so}");
        let (rows, cols, got) = read_npy(&npy);
        assert_eq!((rows, cols), (n, 1));
        assert_map_close(&got, &want, 0.0, &format!("sedov1d {var} profile"));
    }
    let e = fails_with(
        &[
            "project",
            "--var",
            "density",
            "--out",
            tmp.path().join("p.png").to_str().unwrap(),
        ],
        &run.output,
    );
    assert!(e.contains("p.png") && e.contains(".npy"), "{e}");
    assert!(!tmp.path().join("p.png").exists());
    let prefix = tmp.path().join("vtk/sedov");
    let so = stdout_ok(
        &[
            "export-vtk",
            "--scalars",
            "density",
            "--out",
            prefix.to_str().unwrap(),
        ],
        &run.output,
    );
    // Line cells: on a 1D level of n cells in runs of touching cells, the
    // points are the cells plus one per run; 93 cells on 5 levels here.
    assert!(so.contains("wrote 93 cells"), "{so}");
    if let Some(py) = vtk_python() {
        let s = vtk_summary(&py, &[tmp.path().join("vtk/sedov.vtm")]).to_string();
        assert!(s.contains("\"cell_types\":[3]"), "{s}");
    }
}

/// Generated 2D outputs through the CLI: a box of 2×1 coarse cells with
/// boundaries in x (the image covers both cells), and 2D particles
/// (`particles`, with a deposit map).
#[test]
fn generated_2d_wide_box_and_particles_through_the_cli() {
    use amrkit_io::synth::nd::{NdPlan, NdSpec};
    let tmp = tempfile::tempdir().unwrap();
    let spec = NdSpec {
        ncpu: 3,
        extent: [2, 1, 1],
        pad: [1, 0, 0],
        n_part: 300,
        ..NdSpec::default()
    };
    let plan = NdPlan::new(spec.clone()).unwrap();
    let out = plan.output_dir(tmp.path());
    plan.write(&out).unwrap();
    let info = json_of(&stdout_ok(&["info", "--json"], &out));
    assert_eq!(info["ndim"], 2);
    assert_eq!(info["box_coarse_cells"], serde_json::json!([2, 1]));
    assert_eq!(info["coarse_grid"], serde_json::json!([4, 1]));
    let n = 1usize << spec.levelmax;
    let npy = tmp.path().join("rho.npy");
    let (rows, cols, got) = project_npy(
        &out,
        &["--var", "density", "--res", &(2 * n).to_string()],
        &npy,
    );
    // Square pixels over the 2 × 1 coarse cells: one per finest cell.
    assert_eq!((rows, cols), (n, 2 * n));
    let mut image = vec![0.0; 2 * n * n];
    for (l, c, v) in plan.leaves() {
        let f = 1usize << (spec.levelmax - l as u32);
        for j in 0..f {
            for i in 0..f {
                image[(c[1] as usize * f + j) * 2 * n + c[0] as usize * f + i] = v[0];
            }
        }
    }
    assert_map_close(&got, &image, 0.0, "wide 2D image");
    // Ranges on one axis leave the others spanning the whole 2 × 1 box,
    // and the default centre is the box's (1, 0.5): ranges covering the
    // box select every cell.
    let cells = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["stats", "--json"];
        args.extend(extra);
        json_of(&stdout_ok(&args, &out))["n_leaf_total"].clone()
    };
    let all = cells(&[]);
    assert_eq!(all, serde_json::json!(plan.leaves().len()));
    for r in [
        &["--yrange", "-1,1", "--range-unit", "box"][..],
        &["--xrange", "-1,1", "--range-unit", "box"][..],
    ] {
        assert_eq!(cells(r), all, "{r:?} on a 2 x 1 box");
    }
    let png = tmp.path().join("dm.png");
    let so = stdout_ok(
        &["particles", "--json", "--out", png.to_str().unwrap()],
        &out,
    );
    let j = json_of(
        so.lines()
            .take_while(|l| !l.starts_with("wrote"))
            .collect::<String>()
            .as_str(),
    );
    assert_eq!(j["DM"]["count"], 300, "{j}");
    let m: f64 = plan.particles().iter().map(|p| p.2).sum();
    assert!(close(
        j["DM"]["total_mass"].as_f64().unwrap(),
        m,
        1e-12,
        0.0
    ));
    assert!(std::fs::metadata(&png).unwrap().len() > 500);
}
