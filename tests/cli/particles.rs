//! `particles --json` on the shared real outputs: counts, masses and star
//! ages against reference.json.

use serde_json::Value;
use testkit::{amrkit, close, json_of, runs};

#[test]
fn particles_json_gives_counts_masses_and_star_ages() {
    for run in runs() {
        let fams = &run.reference["particles"]["families"];
        let Some(star) = fams.get("star") else {
            continue;
        };
        let out = amrkit()
            .arg("particles")
            .arg(&run.output)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j = json_of(&out.stdout);
        for (name, f) in fams.as_object().unwrap() {
            assert_eq!(j[name]["count"], f["count"], "{name}");
            let m = j[name]["total_mass"].as_f64().unwrap();
            assert!(close(m, f["total_mass_code"].as_f64().unwrap(), 1e-10, 0.0));
        }
        // Non-cosmological: age = (time − birth) · unit_t, the oldest star
        // born at the smallest birth time yt reports.
        let info = &run.reference["info"];
        let (time, unit_t) = (
            info["time_code"].as_f64().unwrap(),
            info["unit_t_s"].as_f64().unwrap(),
        );
        let myr = 1e6 * amrkit_kernels::units::YR;
        let age = |b: &Value| (time - b.as_f64().unwrap()) * unit_t / myr;
        let got = &j["star"]["age_myr"];
        let (lo, hi) = (
            age(&star["birth_time_max_yt_units"]),
            age(&star["birth_time_min_yt_units"]),
        );
        assert!(
            close(got["min"].as_f64().unwrap(), lo, 1e-10, 0.0),
            "{got} vs {lo}"
        );
        assert!(
            close(got["max"].as_f64().unwrap(), hi, 1e-10, 0.0),
            "{got} vs {hi}"
        );
        assert!(lo >= 0.0 && hi > lo);
    }
}
