//! Cosmological runs: redshift, age, comoving box and the age as the
//! series time; comoving units refused on other runs.

use testkit::{amrkit, assert_map_close, close, json_of, project_npy, read_npy, run_ok, variant};

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
    let (rows, cols, got) = project_npy(
        &run.output,
        &[
            "--var",
            "density",
            "--pixel-size",
            "0.03125",
            "--unit",
            "cMpc/h",
        ],
        &npy,
    );
    assert_eq!((rows, cols), (256, 256));
    let (_, _, want) = read_npy(&run.output.parent().unwrap().join("proj_density_z_256.npy"));
    assert_map_close(&got, &want, 1e-12, "cosmo Σ map");
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
