//! RAMSES-RT variants: rt variables against yt, projected, exported, and
//! their exact maps.

use crate::reference::check_stats;
use testkit::{close, json_of, project_npy, run_ok, variant};

/// RAMSES-RT (`rt3d`: 3 photon groups): `stats --json` has an `rt` object
/// with every descriptor variable, equal to yt's figures (1e-10 of the
/// field's range); `info` lists the groups, variables and `info_rt` units;
/// `project` of an rt variable sums to yt's volume-weighted mean (exact
/// map at 2^levelmax pixels); `export-vtk` writes rt scalars and vectors.
#[test]
fn rt_variables_match_yt_and_are_projected_and_exported() {
    let Some(run) = variant("rt3d") else {
        return;
    };
    let r = &run.reference["rt"];
    let (so, se) = run_ok(&["stats", "--json"], &run.output);
    assert!(!se.contains("warning"), "{se}");
    let st = json_of(&so);
    check_stats("rt3d", &st, &run.reference);
    let names: Vec<&str> = r["descriptor"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 12);
    assert_eq!(st["rt"].as_object().unwrap().len(), names.len());
    for n in &names {
        let w = &r["fields"][n]["code"];
        let range = w["max"].as_f64().unwrap() - w["min"].as_f64().unwrap();
        for k in ["min", "max", "volume_weighted_mean", "mass_weighted_mean"] {
            let (g, e) = (st["rt"][n][k].as_f64().unwrap(), w[k].as_f64().unwrap());
            assert!(close(g, e, 1e-10, range), "rt3d {n} {k}: {g} vs {e}");
        }
    }
    // Named units: rt variables × unit_pf (photons cm^-2 s^-1), yt's cgs.
    let (so, _) = run_ok(&["stats", "--json", "--unit", "auto"], &run.output);
    let named = json_of(&so);
    let w = &r["fields"]["photon_flux_02"]["cgs_photons_cm2_s"];
    for k in ["max", "volume_weighted_mean"] {
        let (g, e) = (
            named["rt"]["photon_flux_02"][k].as_f64().unwrap(),
            w[k].as_f64().unwrap(),
        );
        assert!(
            close(g, e, 1e-10, 0.0),
            "photon_flux_02 {k} cgs: {g} vs {e}"
        );
    }
    // info: groups, variables, units from info_rt (old layout: one rt_c_frac).
    let (so, _) = run_ok(&["info", "--json"], &run.output);
    let info = json_of(&so);
    assert_eq!(info["components"]["rt"], true);
    assert_eq!(info["rt_variables"].as_array().unwrap().len(), 12);
    let ri = &r["info_rt"];
    assert_eq!(info["rt"]["ngroups"], ri["nGroups"]);
    assert_eq!(info["rt"]["nions"], ri["nIons"]);
    assert_eq!(info["rt"]["iions"], ri["iIons"]);
    assert_eq!(info["rt"]["unit_pf"], ri["unit_pf"]);
    assert_eq!(info["rt"]["rt_c_frac"][0], ri["rt_c_frac"]);
    assert_eq!(info["rt"]["groups"].as_array().unwrap().len(), 3);
    assert_eq!(info["rt"]["groups"][1]["egy_ev"], 35.08);
    assert_eq!(
        info["rt"]["groups"][2]["variables"][3], "photon_flux_03_z",
        "{}",
        info["rt"]
    );
    let (text, _) = run_ok(&["info"], &run.output);
    assert!(
        text.contains("3 photon groups") && text.contains("unit_pf"),
        "{text}"
    );
    // Projections (no reference map for rt variables): ∫f dz over the unit
    // box, averaged over the 256² pixels (2^levelmax: every pixel inside
    // one cell column), is yt's volume-weighted mean.
    let tmp = tempfile::tempdir().unwrap();
    for (n, w) in [("photon_flux_01", "none"), ("photon_flux_03_x", "none")] {
        let npy = tmp.path().join(format!("{n}.npy"));
        let (_, _, map) = project_npy(
            &run.output,
            &["--var", n, "--weight", w, "--res", "256"],
            &npy,
        );
        assert_eq!(map.len(), 256 * 256);
        let sum: f64 = map.iter().sum::<f64>() / (256.0 * 256.0);
        let want = &r["fields"][n]["code"];
        let range = want["max"].as_f64().unwrap() - want["min"].as_f64().unwrap();
        let vw = want["volume_weighted_mean"].as_f64().unwrap();
        assert!(
            close(sum, vw, 1e-10, range),
            "{n}: map mean {sum} vs yt {vw}"
        );
        let maxabs = map.iter().fold(0f64, |m, v| m.max(v.abs()));
        assert!(maxabs > 0.0 && maxabs <= range, "{n}: {maxabs}");
    }
    // export-vtk: an rt scalar and the flux of group 2 as a vector (a
    // scalar of the vector's name would be refused: two arrays of one name).
    let prefix = tmp.path().join("vtk/rt");
    let (so, _) = run_ok(
        &[
            "export-vtk",
            "--scalars",
            "density,photon_flux_01",
            "--vector",
            "photon_flux_02",
            "--out",
            prefix.to_str().unwrap(),
        ],
        &run.output,
    );
    assert!(so.contains("26496 cells"), "{so}");
    let vtu: Vec<_> = std::fs::read_dir(tmp.path().join("vtk"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "vtu"))
        .collect();
    let bytes = std::fs::read(&vtu[0]).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("Name=\"photon_flux_02\"")
            && text.contains("Name=\"photon_flux_01\"")
            && text.contains("NumberOfComponents=\"3\""),
        "{}",
        &text[..text.len().min(2000)]
    );
}

/// The CLI's 2^levelmax map of every rt variable of `rt3d` against a
/// deposit written here of the cells `amrkit_io` reads (each leaf's value
/// × dz added to the pixels it covers), to 1e-12 of the largest Σ|f|·dz
/// of a pixel (the flux components along z cancel to rounding in the
/// map): the exact-map check of the other variants, for the variables that
/// have no shared reference map.
#[test]
fn rt_maps_are_the_exact_deposit_of_the_rt_cells() {
    let Some(run) = variant("rt3d") else {
        return;
    };
    let s = amrkit_io::Snapshot::open(&run.output).unwrap();
    let lmax = s.info.levelmax;
    let res = 1usize << lmax;
    let req = amrkit_io::CellRequest {
        lmax,
        region: None,
        slab: None,
        hydro_vars: vec![],
        grav_vars: vec![],
        rt_vars: (0..s.rt_fields.len()).collect(),
    };
    let cells: Vec<_> = (1..=s.info.ncpu)
        .map(|c| s.read_cpu(c, &req).unwrap())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    for (v, field) in s.rt_fields.iter().enumerate() {
        let mut dep = vec![0.0f64; res * res];
        let mut mag = vec![0.0f64; res * res];
        for c in &cells {
            for k in 0..c.len() {
                let n = 1usize << (lmax - c.level[k] as u32); // pixels per cell side
                let dz = s.info.boxlen * 0.5f64.powi(c.level[k] as i32);
                let (i0, j0) = (c.ix[k] as usize * n, c.iy[k] as usize * n);
                for j in j0..j0 + n {
                    for i in i0..i0 + n {
                        dep[j * res + i] += c.rt[v][k] * dz;
                        mag[j * res + i] += c.rt[v][k].abs() * dz;
                    }
                }
            }
        }
        let npy = tmp.path().join(format!("{}.npy", field.name));
        let (_, _, got) = project_npy(
            &run.output,
            &["--var", &field.name, "--res", &res.to_string()],
            &npy,
        );
        let (worst, _) = testkit::map_error(&got, &dep);
        let scale = mag.iter().fold(0.0f64, |m, &v| m.max(v));
        assert!(
            scale > 0.0 && worst <= 1e-12 * scale,
            "{}: {worst:e} of {scale:e}",
            field.name
        );
    }
}
