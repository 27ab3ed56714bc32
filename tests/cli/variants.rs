//! The `amrkit` binary on the real format variants of
//! `../shared/data/ramses-variants/` (group folders, cosmology, clumps) and
//! on generated outputs of the same kinds.

use testkit::amrkit;

use serde_json::Value;
use std::path::Path;
use testkit::{close, fails_with, json_of, read_npy, run_ok, variant};

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
    let (worst, scale) = testkit::map_error(&got, &want);
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

#[test]
fn cosmological_info_gives_redshift_age_and_comoving_box() {
    let Some(run) = variant("cosmo") else {
        return;
    };
    let r = &run.reference;
    let (so, _) = run_ok(&["info", "--json"], &run.output);
    let j = json_of(&so);
    let aexp = r["info"]["aexp"].as_f64().unwrap();
    assert_eq!(j["cosmological"], true);
    assert!(close(j["aexp"].as_f64().unwrap(), aexp, 1e-14, 0.0));
    let z = j["redshift"].as_f64().unwrap();
    assert!(
        close(z, r["info"]["redshift"].as_f64().unwrap(), 1e-12, 0.0),
        "z {z}"
    );
    // yt's current_time is the age of the universe at aexp.
    let yt_myr = r["yt_unit_system"]["yt_current_time_s"].as_f64().unwrap() / 3.15576e13;
    let age = j["age_myr"].as_f64().unwrap();
    assert!(
        close(age, yt_myr, 1e-3, 0.0),
        "age {age} Myr vs yt {yt_myr} Myr"
    );
    // `time_myr` is that age too (the code time is a conformal time, < 0).
    assert_eq!(j["time_myr"], j["age_myr"]);
    assert!(j["time_code"].as_f64().unwrap() < 0.0);
    // Age + lookback = the age today, 13.47 Gyr for H0 = 70, Ω_m = 0.3.
    let today = age + j["lookback_myr"].as_f64().unwrap();
    assert!((today - 13_467.0).abs() < 10.0, "age today {today} Myr");
    // The box: 8 cMpc/h (the ICs' box), unit_l/Mpc proper at aexp.
    let cb = j["boxlen_cmpc_h"].as_f64().unwrap();
    assert!((cb - 8.0).abs() < 1e-5, "{cb} cMpc/h");
    let pb = j["boxlen_mpc"].as_f64().unwrap();
    // yt's megaparsec (unyt: 1e6 / (mpc_per_m / mpc_per_pc) m; docs/units.md).
    let want = r["info"]["unit_l_cm"].as_f64().unwrap() / 3.085_677_580_962_325e24;
    assert!(close(pb, want, 1e-12, 0.0), "{pb} Mpc vs {want}");
    let (text, _) = run_ok(&["info"], &run.output);
    for s in [
        "redshift 3.8404",
        "Myr at aexp",
        "lookback",
        "8.0000 cMpc/h",
        "2.3611 Mpc",
    ] {
        assert!(text.contains(s), "{s:?} not in {text}");
    }
    assert!(
        !text.contains("-2306"),
        "conformal time shown as an age: {text}"
    );

    // Comoving ranges select the same cells as the same ranges in box units.
    let (a, _) = run_ok(
        &[
            "stats",
            "--json",
            "--xrange",
            "-2,1",
            "--yrange",
            "-4,4",
            "--range-unit",
            "cMpc/h",
        ],
        &run.output,
    );
    let (b, _) = run_ok(
        &[
            "stats",
            "--json",
            "--xrange",
            "-0.25,0.125",
            "--yrange",
            "-0.5,0.5",
            "--range-unit",
            "box",
        ],
        &run.output,
    );
    let (a, b) = (json_of(&a), json_of(&b));
    assert_eq!(a["n_leaf_total"], b["n_leaf_total"]);
    assert_eq!(a["total_mass"], b["total_mass"]);
    let n = a["n_leaf_total"].as_u64().unwrap();
    assert!(n > 0 && n < r["cells"]["n_leaf_total"].as_u64().unwrap());
    // A pixel size in comoving units: 8 cMpc/h / (1/32 cMpc/h) = 256 pixels.
    let tmp = tempfile::tempdir().unwrap();
    let npy = tmp.path().join("s.npy");
    run_ok(
        &[
            "project",
            "--var",
            "density",
            "--pixel-size",
            "0.03125",
            "--unit",
            "cMpc/h",
            "--out",
            npy.to_str().unwrap(),
        ],
        &run.output,
    );
    let (rows, cols, got) = read_npy(&npy);
    assert_eq!((rows, cols), (256, 256));
    let (_, _, want) = read_npy(&run.output.parent().unwrap().join("proj_density_z_256.npy"));
    let (worst, scale) = testkit::map_error(&got, &want);
    assert!(
        worst <= 1e-12 * scale,
        "cosmo Σ map: {worst:e} of {scale:e}"
    );
}

#[test]
fn non_cosmological_info_gives_age_as_time_and_refuses_comoving_units() {
    let Some(run) = variant("groups") else {
        return;
    };
    let (so, _) = run_ok(&["info", "--json"], &run.output);
    let j = json_of(&so);
    assert_eq!(j["aexp"], 1.0);
    assert_eq!(j["redshift"], 0.0);
    assert_eq!(j["age_myr"], j["time_myr"]);
    assert!(j["lookback_myr"].is_null() && j["boxlen_cmpc_h"].is_null());
    let out = amrkit()
        .arg("stats")
        .arg(&run.output)
        .args(["--xrange", "-1,1", "--range-unit", "cMpc/h"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("cMpc/h") && e.contains("cosmological"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
}

/// The clump JSON rows against reference.json's `top5_by_mass` rows:
/// every column, integers exactly, reals to the last bit (both parse the
/// same decimal text).
fn check_clump_rows(got: &[Value], want: &[Value]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        for (k, v) in w.as_object().unwrap() {
            assert_eq!(&g[k], v, "clump {} column {k}", w["index"]);
        }
    }
}

#[test]
fn clumps_match_the_reference_table() {
    let Some(run) = variant("clumps") else {
        return;
    };
    let r = &run.reference;
    let all = &r["clumps"]["all_files"];
    let (so, _) = run_ok(&["clumps", "--json"], &run.output);
    let j = json_of(&so);
    assert_eq!(j["n_clumps"], all["n_clumps"]);
    assert_eq!(j["n_files"], all["n_files"]);
    assert_eq!(j["columns"], all["columns"]);
    let m = j["total_mass"].as_f64().unwrap();
    assert!(
        close(m, all["total_mass_code"].as_f64().unwrap(), 1e-12, 0.0),
        "{m}"
    );
    let rows = j["clumps"].as_array().unwrap();
    let top5 = all["top5_by_mass"].as_array().unwrap();
    check_clump_rows(&rows[..top5.len()], top5);
    // Per file: count, mass and rows, from the `cpu` of each clump.
    for (file, f) in r["clumps"]["files"].as_object().unwrap() {
        let cpu: u64 = file.rsplit("txt").next().unwrap().parse().unwrap();
        let mine: Vec<Value> = rows.iter().filter(|c| c["cpu"] == cpu).cloned().collect();
        assert_eq!(mine.len() as u64, f["n_clumps"].as_u64().unwrap(), "{file}");
        let mass: f64 = mine.iter().map(|c| c["mass_cl"].as_f64().unwrap()).sum();
        assert!(
            close(mass, f["total_mass_code"].as_f64().unwrap(), 1e-12, 0.0),
            "{file}"
        );
        let t5 = f["top5_by_mass"].as_array().unwrap();
        check_clump_rows(&mine[..t5.len()], t5);
    }
    // --top N: the N most massive.
    let (so, _) = run_ok(&["clumps", "--json", "--top", "2"], &run.output);
    let j2 = json_of(&so);
    check_clump_rows(j2["clumps"].as_array().unwrap(), &top5[..2]);
    assert_eq!(j2["n_clumps"], all["n_clumps"]);
    // Text: one line per clump, the most massive first.
    let (text, _) = run_ok(&["clumps", "--top", "3"], &run.output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 + 3, "{text}");
    assert!(lines[0].starts_with("5 clumps in 4 files") && lines[0].contains("3 most massive"));
    let first: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(&first[..5], &["1", "1", "0", "1", "2458"], "{text}");
    // The gas of this output too.
    let (so, _) = run_ok(&["stats", "--json"], &run.output);
    check_stats("clumps", &json_of(&so), r);
}

#[test]
fn clumps_in_group_folders_and_outputs_without_clumps() {
    let Some(run) = variant("clumps") else {
        return;
    };
    // The same output rearranged as IOGROUPSIZEREP = 3 writes it.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output_00002");
    testkit::copy_tree(&run.output, &out);
    for e in std::fs::read_dir(&out).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let cpu = name
            .rsplit_once(".out")
            .or_else(|| name.rsplit_once(".txt"))
            .and_then(|(_, c)| c.parse::<usize>().ok());
        let g = cpu.map_or(1, |c| (c - 1) / 3 + 1);
        let to = out.join(format!("group_{g:05}"));
        std::fs::create_dir_all(&to).unwrap();
        std::fs::rename(e.path(), to.join(&name)).unwrap();
    }
    assert!(out.join("group_00002/clump_00002.txt00004").is_file());
    let (a, _) = run_ok(&["clumps", "--json"], &run.output);
    let (b, _) = run_ok(&["clumps", "--json"], &out);
    let (mut a, mut b) = (json_of(&a), json_of(&b));
    a["output"] = Value::Null;
    b["output"] = Value::Null;
    assert_eq!(a, b);
    // A missing clump file is named.
    std::fs::remove_file(out.join("group_00002/clump_00002.txt00004")).unwrap();
    let o = amrkit().arg("clumps").arg(&out).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("clump_00002.txt00004: missing"),
        "{e}"
    );
    // No clump finder: one line saying so.
    let Some(cosmo) = variant("cosmo") else {
        return;
    };
    let o = amrkit().arg("clumps").arg(&cosmo.output).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("clumpfind") && e.trim().lines().count() == 1,
        "{e}"
    );
}

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
        run_ok(
            &[
                "project",
                "--var",
                n,
                "--weight",
                w,
                "--res",
                "256",
                "--out",
                npy.to_str().unwrap(),
            ],
            &run.output,
        );
        let (_, _, map) = read_npy(&npy);
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
        run_ok(
            &[
                "project",
                "--var",
                &field.name,
                "--res",
                &res.to_string(),
                "--out",
                npy.to_str().unwrap(),
            ],
            &run.output,
        );
        let (_, _, got) = read_npy(&npy);
        let (worst, _) = testkit::map_error(&got, &dep);
        let scale = mag.iter().fold(0.0f64, |m, &v| m.max(v));
        assert!(
            scale > 0.0 && worst <= 1e-12 * scale,
            "{}: {worst:e} of {scale:e}",
            field.name
        );
    }
}

/// The `Title` text chunk of a PNG.
fn png_title(path: &Path) -> String {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = dec.read_info().unwrap();
    let info = reader.info();
    info.uncompressed_latin1_text
        .iter()
        .find(|t| t.keyword == "Title")
        .map(|t| t.text.clone())
        .expect("Title chunk")
}

#[test]
fn stats_lists_sinks_and_weighted_maps_say_so() {
    let Some(run) = testkit::runs().into_iter().find(|r| r.name == "particles") else {
        return;
    };
    let r = &run.reference["sinks"];
    let (so, _) = run_ok(&["stats", "--json"], &run.output);
    let st = json_of(&so);
    assert_eq!(st["sinks"]["count"], r["count"]);
    let m = st["sinks"]["total_mass"].as_f64().unwrap();
    assert!(
        close(m, r["total_msink_code"].as_f64().unwrap(), 1e-12, 0.0),
        "{m}"
    );
    // A region without the sink (it sits at the box centre) counts none.
    let (so, _) = run_ok(
        &[
            "stats",
            "--json",
            "--center",
            "0.1,0.1,0.1",
            "--radius",
            "0.05",
            "--range-unit",
            "box",
        ],
        &run.output,
    );
    assert_eq!(json_of(&so)["sinks"]["count"], 0);
    let (text, _) = run_ok(&["stats"], &run.output);
    assert!(
        text.lines()
            .any(|l| l.starts_with("sinks") && l.contains("3.12805132e4")),
        "{text}"
    );
    // Map titles name the weighting.
    let tmp = tempfile::tempdir().unwrap();
    for (weight, want) in [
        ("mass", "mass-weighted pressure along z"),
        ("volume", "volume-weighted pressure along z"),
        ("none", "pressure projected along z"),
    ] {
        let png = tmp.path().join(format!("{weight}.png"));
        run_ok(
            &[
                "project",
                "--var",
                "pressure",
                "--weight",
                weight,
                "--res",
                "32",
                "--out",
                png.to_str().unwrap(),
            ],
            &run.output,
        );
        assert_eq!(png_title(&png), want);
    }
}

#[test]
fn errors_name_what_the_user_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nonexistent");
    let e = fails_with(&["info"], &missing);
    assert!(
        e.contains("nonexistent: no such folder") && !e.contains("line 0"),
        "{e}"
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = fails_with(&["stats"], &empty);
    assert!(e.contains("empty: is not an `output_NNNNN` folder"), "{e}");
    assert!(!e.contains("Snapshot") && !e.contains("line 0"), "{e}");
    // Writing into a missing folder names the file asked for.
    let out = tmp.path().join("sim");
    amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
        ncpu: 2,
        levelmin: 3,
        levelmax: 4,
        n_dm: 0,
        n_star: 0,
        ..amrkit_io::SynthSpec::default()
    })
    .unwrap()
    .write(&out.join("output_00001"))
    .unwrap();
    let target = tmp.path().join("no/such/dir/x.npy");
    let e = fails_with(
        &[
            "project",
            "--var",
            "density",
            "--res",
            "8",
            "--out",
            target.to_str().unwrap(),
        ],
        &out,
    );
    assert!(
        e.contains("x.npy: cannot write") && !e.contains("x.npy.tmp"),
        "{e}"
    );
}

/// Every 3D variant: `stats --json` against reference.json (1e-10) and
/// the three reference projections exactly (1e-12 of the map's maximum):
/// the figures behind README's table of what is read.
#[test]
fn every_3d_variant_matches_its_reference_stats_and_maps() {
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "mhd3d",
        "single4",
        "groups",
        "bisection",
        "cosmo",
        "rt3d",
        "clumps",
    ] {
        let Some(run) = variant(name) else {
            continue;
        };
        let (so, _) = run_ok(&["stats", "--json"], &run.output);
        check_stats(name, &json_of(&so), &run.reference);
        for (file, var, weight) in [
            ("proj_density_z_256.npy", "density", "none"),
            ("proj_massweighted_pressure_z_256.npy", "pressure", "mass"),
            (
                "proj_massweighted_x_velocity_z_256.npy",
                "velocity_x",
                "mass",
            ),
        ] {
            let want_path = run.output.parent().unwrap().join(file);
            if !want_path.is_file() {
                continue;
            }
            let npy = tmp.path().join(format!("{name}_{var}.npy"));
            run_ok(
                &[
                    "project",
                    "--var",
                    var,
                    "--weight",
                    weight,
                    "--res",
                    "256",
                    "--out",
                    npy.to_str().unwrap(),
                ],
                &run.output,
            );
            let (_, _, got) = read_npy(&npy);
            let (_, _, want) = read_npy(&want_path);
            let (worst, scale) = testkit::map_error(&got, &want);
            assert!(
                worst <= 1e-12 * scale,
                "{name} {file}: {worst:e} of {scale:e}"
            );
        }
    }
}

/// `series` on a cosmological run: its `time_myr` column is the age of
/// the universe (yt's current time), not conformal time × unit_t.
#[test]
fn cosmological_series_time_is_the_age() {
    let Some(run) = variant("cosmo") else {
        return;
    };
    let sim = run.output.parent().unwrap();
    let (so, _) = run_ok(&["series", "-q"], sim);
    let mut lines = so.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| row[head.iter().position(|h| *h == name).unwrap()];
    let t: f64 = col("time_myr").parse().unwrap();
    let yt_myr = run.reference["yt_unit_system"]["yt_current_time_s"]
        .as_f64()
        .unwrap()
        / 3.15576e13;
    assert!(
        close(t, yt_myr, 1e-3, 0.0),
        "series time {t} Myr vs yt {yt_myr} Myr"
    );
    assert_eq!(
        col("stellar_mass_code"),
        "0",
        "no star particles: 0, not -0"
    );
}
