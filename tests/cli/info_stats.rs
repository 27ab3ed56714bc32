//! `info --json` and `stats --json` on the shared real outputs against their
//! reference.json.

use testkit::{amrkit, close, json_of, runs};

#[test]
fn info_and_stats_json_match_reference() {
    for run in runs() {
        let out = amrkit()
            .arg("info")
            .arg(&run.output)
            .arg("--json")
            .output()
            .unwrap();
        assert!(out.status.success());
        let info = json_of(&out.stdout);
        let r = &run.reference;
        assert_eq!(info["ncpu"], r["info"]["ncpu"]);
        assert_eq!(info["levelmax"], r["info"]["levelmax"]);
        assert!(close(
            info["time_code"].as_f64().unwrap(),
            r["info"]["time_code"].as_f64().unwrap(),
            1e-12,
            0.0
        ));

        let out = amrkit()
            .arg("stats")
            .arg(&run.output)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let st = json_of(&out.stdout);
        assert_eq!(st["n_leaf_total"], r["cells"]["n_leaf_total"]);
        for (l, n) in r["cells"]["leaf_cells_per_level"].as_object().unwrap() {
            assert_eq!(&st["leaf_cells_per_level"][l], n, "level {l}");
        }
        let want = r["gas"]["total_mass_code"].as_f64().unwrap();
        assert!(close(st["total_mass"].as_f64().unwrap(), want, 1e-10, 0.0));
        for (yt, ours, group) in [
            ("Density", "density", "hydro"),
            ("Pressure", "pressure", "hydro"),
            ("x-velocity", "velocity_x", "hydro"),
            ("Potential", "potential", "gravity"),
        ] {
            let refv = &r[group][yt]["code"];
            if refv.is_null() {
                assert!(group == "gravity");
                continue;
            }
            let range = refv["max"].as_f64().unwrap() - refv["min"].as_f64().unwrap();
            for key in ["min", "max", "volume_weighted_mean", "mass_weighted_mean"] {
                let (g, w) = (
                    st[group][ours][key].as_f64().unwrap(),
                    refv[key].as_f64().unwrap(),
                );
                assert!(
                    close(g, w, 1e-10, range),
                    "{} {ours} {key}: {g} vs {w}",
                    run.name
                );
            }
        }
        if let Some(fams) = r["particles"]["families"].as_object() {
            for (name, f) in fams {
                assert_eq!(st["particles"][name]["count"], f["count"]);
                let w = f["total_mass_code"].as_f64().unwrap();
                assert!(close(
                    st["particles"][name]["total_mass"].as_f64().unwrap(),
                    w,
                    1e-10,
                    0.0
                ));
            }
        }
    }
}
