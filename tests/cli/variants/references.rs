//! Every 3D variant against its reference stats and maps.

use crate::reference::check_stats;
use testkit::{assert_map_close, json_of, project_npy, read_npy, run_ok, variant};

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
            let (_, _, got) = project_npy(
                &run.output,
                &["--var", var, "--weight", weight, "--res", "256"],
                &npy,
            );
            let (_, _, want) = read_npy(&want_path);
            assert_map_close(&got, &want, 1e-12, &format!("{name} {file}"));
        }
    }
}
