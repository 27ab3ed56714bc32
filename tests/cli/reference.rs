//! Shared by the variant and 1D/2D tests: `stats --json` against a
//! reference.json written from yt.

use serde_json::Value;
use testkit::close;

/// `stats --json` (`st`) against reference.json (`r`): leaf cells per
/// level, gas mass, and the min, max and means of each hydro variable of
/// `fields` (yt's name, ours) to 1e-10 (of the field's range for values
/// near zero).
pub fn check_stats_of(name: &str, st: &Value, r: &Value, fields: &[(&str, &str)]) {
    assert_eq!(st["n_leaf_total"], r["cells"]["n_leaf_total"], "{name}");
    for (l, n) in r["cells"]["leaf_cells_per_level"].as_object().unwrap() {
        assert_eq!(&st["leaf_cells_per_level"][l], n, "{name} level {l}");
    }
    let want = r["gas"]["total_mass_code"].as_f64().unwrap();
    let got = st["total_mass"].as_f64().unwrap();
    assert!(close(got, want, 1e-10, 0.0), "{name}: mass {got} vs {want}");
    for &(yt, ours) in fields {
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

/// [`check_stats_of`] density, pressure and x velocity.
pub fn check_stats(name: &str, st: &Value, r: &Value) {
    check_stats_of(
        name,
        st,
        r,
        &[
            ("Density", "density"),
            ("Pressure", "pressure"),
            ("x-velocity", "velocity_x"),
        ],
    );
}
