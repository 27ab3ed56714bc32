//! amrkit-kernels against yt's figures and maps for real RAMSES outputs.

use amrkit_io::Snapshot;
use amrkit_kernels::derive::{derived, field_stats, total_mass};
use amrkit_kernels::export::{export_vtk_with, VtkOptions};
use amrkit_kernels::project::{
    project, project_particles, project_streaming, Deposit, ProjSpec, Weight,
};
use amrkit_kernels::{
    load_cells, load_gravity, load_hydro, load_particles, Exec, Region, Selection,
};
use amrkit_pool::Pool;
use testkit::{close, read_npy, runs};

const YT_NAMES: [(&str, &str); 9] = [
    ("Density", "density"),
    ("x-velocity", "velocity_x"),
    ("y-velocity", "velocity_y"),
    ("z-velocity", "velocity_z"),
    ("Pressure", "pressure"),
    ("Potential", "potential"),
    ("x-acceleration", "acceleration_x"),
    ("y-acceleration", "acceleration_y"),
    ("z-acceleration", "acceleration_z"),
];

fn pool() -> Pool {
    Pool::builder().num_threads(3).build().unwrap()
}

#[test]
fn load_and_stats_match_yt_for_every_thread_cap() {
    let pool = pool();
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let r = &run.reference;
        let mut previous = None;
        for k in [1, 2, 3] {
            let exec = Exec::on(&pool).max_threads(k);
            let grav: Vec<&str> = s.grav_fields.iter().map(String::as_str).collect();
            let hydro: Vec<&str> = s.hydro_fields.iter().map(|f| f.name.as_str()).collect();
            let t = load_cells(&s, &Selection::default(), &hydro, &grav, &exec).unwrap();
            assert_eq!(t.len() as u64, r["cells"]["n_leaf_total"].as_u64().unwrap());
            for (l, n) in r["cells"]["leaf_cells_per_level"].as_object().unwrap() {
                let l: usize = l.parse().unwrap();
                assert_eq!(t.cells_per_level()[l] as u64, n.as_u64().unwrap());
            }
            let m = total_mass(&t, &exec).unwrap();
            let want = r["gas"]["total_mass_code"].as_f64().unwrap();
            assert!(
                close(m, want, 1e-10, 0.0),
                "{}: mass {m} vs {want}",
                run.name
            );
            for (yt, name) in YT_NAMES {
                let group =
                    if name.starts_with("velocity") || name == "density" || name == "pressure" {
                        "hydro"
                    } else {
                        "gravity"
                    };
                let refv = &r[group][yt]["code"];
                if refv.is_null() {
                    continue;
                }
                let st = field_stats(&t, t.column(name).unwrap(), &exec).unwrap();
                let range = refv["max"].as_f64().unwrap() - refv["min"].as_f64().unwrap();
                for (got, key) in [
                    (st.min, "min"),
                    (st.max, "max"),
                    (st.volume_weighted_mean, "volume_weighted_mean"),
                    (st.mass_weighted_mean, "mass_weighted_mean"),
                ] {
                    let want = refv[key].as_f64().unwrap();
                    assert!(
                        close(got, want, 1e-10, range),
                        "{} {name} {key}: {got} vs {want}",
                        run.name
                    );
                }
            }
            // Deterministic: the same cap twice gives the same bits.
            let again = total_mass(&t, &exec).unwrap();
            assert_eq!(m.to_bits(), again.to_bits());
            if let Some(p) = previous.replace(t.columns[0].clone()) {
                assert_eq!(p, t.columns[0], "load order must not depend on threads");
            }
        }
        // The MERA-named wrappers load the same cells.
        let exec = Exec::on(&pool);
        let h = load_hydro(&s, &Selection::default(), &[], &exec).unwrap();
        assert_eq!(h.names.len(), s.hydro_fields.len());
        if !s.grav_fields.is_empty() {
            let g = load_gravity(&s, &Selection::default(), &["potential"], &exec).unwrap();
            assert_eq!(g.len(), h.len());
        }
    }
}

#[test]
fn projections_match_the_reference_maps_and_conserve_mass() {
    let pool = pool();
    let exec = Exec::on(&pool).max_threads(2);
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let t = load_hydro(&s, &Selection::default(), &[], &exec).unwrap();
        let dir = run.output.parent().unwrap();
        let mass = total_mass(&t, &exec).unwrap();
        for (file, var, weight) in [
            ("proj_density_z_256.npy", "density", Weight::None),
            (
                "proj_massweighted_pressure_z_256.npy",
                "pressure",
                Weight::Mass,
            ),
            (
                "proj_massweighted_x_velocity_z_256.npy",
                "velocity_x",
                Weight::Mass,
            ),
        ] {
            let path = dir.join(file);
            if !path.is_file() {
                continue;
            }
            let (rows, cols, want) = read_npy(&path);
            let spec = ProjSpec::whole_box(2, cols, &[var], weight);
            assert_eq!(rows, cols);
            for maps in [
                project(&t, &spec, &exec).unwrap(),
                project_streaming(&s, &Selection::default(), &spec, &exec).unwrap(),
            ] {
                let got = maps.get(var).unwrap();
                let (worst, scale) = testkit::map_error(got, &want);
                assert!(
                    worst <= 1e-12 * scale,
                    "{} {file}: max |diff| {worst:e} vs max {scale:e}",
                    run.name
                );
            }
        }
        // Every axis conserves mass, at a resolution finer and coarser
        // than the cells, and over a sub-range.
        for axis in 0..3 {
            for res in [37, 300] {
                let m = project(
                    &t,
                    &ProjSpec::whole_box(axis, res, &["density"], Weight::None),
                    &exec,
                )
                .unwrap();
                let sum: f64 = m.maps[0].1.iter().sum::<f64>() * m.pixel_area;
                assert!(
                    close(sum, mass, 1e-10, 0.0),
                    "{} axis {axis} res {res}: {sum} vs {mass}",
                    run.name
                );
            }
        }
    }
}

#[test]
fn particles_load_and_deposit_their_mass() {
    let pool = pool();
    let exec = Exec::on(&pool).max_threads(2);
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        if !s.has_particles || run.reference["particles"].is_null() {
            continue;
        }
        let p = load_particles(&s, &Selection::default(), &[], &exec).unwrap();
        let r = &run.reference["particles"];
        assert_eq!(p.len() as u64, r["n_total"].as_u64().unwrap());
        let total = r["total_mass_code"].as_f64().unwrap();
        for scheme in [Deposit::Ngp, Deposit::Cic] {
            let spec = ProjSpec::whole_box(2, 64, &["mass"], Weight::None);
            let m = project_particles(&p, &spec, scheme, &[], &exec).unwrap();
            let sum: f64 = m.maps[0].1.iter().sum::<f64>() * m.pixel_area;
            // CIC drops the weight that falls off the map edge; these
            // particles sit well inside the box.
            assert!(
                close(sum, total, 1e-10, 0.0),
                "{scheme:?}: {sum} vs {total}"
            );
            for (name, f) in r["families"].as_object().unwrap() {
                let code = f["family_code"].as_i64().unwrap() as i8;
                let m = project_particles(&p, &spec, scheme, &[code], &exec).unwrap();
                let sum: f64 = m.maps[0].1.iter().sum::<f64>() * m.pixel_area;
                let want = f["total_mass_code"].as_f64().unwrap();
                assert!(close(sum, want, 1e-10, 0.0), "{name}: {sum} vs {want}");
            }
        }
        // A sphere selection keeps exactly the particles inside it.
        let sel = Selection {
            lmax: None,
            region: Some(Region::Sphere {
                centre: [0.5; 3],
                radius: 0.1,
            }),
            files: None,
        };
        let q = load_particles(&s, &sel, &["mass"], &exec).unwrap();
        let (x, y, z) = (
            p.reals("position_x").unwrap(),
            p.reals("position_y").unwrap(),
            p.reals("position_z").unwrap(),
        );
        let b = s.info.boxlen;
        let inside = (0..p.len())
            .filter(|&k| {
                (x[k] / b - 0.5).powi(2) + (y[k] / b - 0.5).powi(2) + (z[k] / b - 0.5).powi(2)
                    <= 0.01
            })
            .count();
        assert!(inside > 0);
        assert_eq!(q.len(), inside);
    }
}

#[test]
fn region_loads_match_a_filtered_full_load() {
    let pool = pool();
    let exec = Exec::on(&pool);
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let full = load_hydro(&s, &Selection::default(), &["density"], &exec).unwrap();
        for region in [
            Region::Box {
                lo: [0.1, 0.2, 0.3],
                hi: [0.45, 0.6, 0.5],
            },
            Region::Sphere {
                centre: [0.5, 0.5, 0.5],
                radius: 0.2,
            },
            Region::Cylinder {
                centre: [0.5, 0.5, 0.5],
                radius: 0.15,
                half_height: 0.05,
                axis: 2,
            },
        ] {
            let t = load_hydro(
                &s,
                &Selection {
                    lmax: None,
                    region: Some(region),
                    files: None,
                },
                &["density"],
                &exec,
            )
            .unwrap();
            let want = (0..full.len())
                .filter(|&k| region.contains(full.centre_box(k)))
                .count();
            assert_eq!(t.len(), want, "{} {region:?}", run.name);
            assert!((0..t.len()).all(|k| region.contains(t.centre_box(k))));
        }
    }
}

#[test]
fn vtk_export_reads_back_in_vtk() {
    let Some(py) = testkit::vtk_python() else {
        return;
    };
    let pool = pool();
    let exec = Exec::on(&pool);
    let run = runs()
        .into_iter()
        .find(|r| r.name == "gravity")
        .or_else(|| runs().into_iter().next());
    let Some(run) = run else { return };
    let s = Snapshot::open(&run.output).unwrap();
    let t = load_hydro(&s, &Selection::default(), &[], &exec).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // zlib with plain scalars (blocks compressed in parallel), then raw
    // with log10 scalars (gathered while the file is written).
    for zlib in [true, false] {
        let log10 = !zlib;
        let opts = VtkOptions {
            scalars: vec!["density".into(), "temperature".into()],
            vector: VtkOptions::vector_of("velocity"),
            zlib,
            log10,
            ..Default::default()
        };
        // dense_max 6: levels ≤ 6 use the bitmap, deeper ones the sort.
        let prefix = tmp.path().join(format!("cells_{zlib}"));
        let rep = export_vtk_with(&t, &opts, &prefix, &exec, 6).unwrap();
        let vtm = rep.files.last().unwrap().clone();
        let sum = testkit::vtk_summary(&py, std::slice::from_ref(&vtm));
        let blocks = sum[vtm.to_str().unwrap()].as_array().unwrap();
        let per_level = t.cells_per_level();
        let levels: Vec<usize> = (0..per_level.len()).filter(|&l| per_level[l] > 0).collect();
        assert_eq!(blocks.len(), levels.len());
        let b = s.info.boxlen;
        let mut vol = 0.0;
        let mut mass = 0.0;
        let rho = derived(&t, "density", &exec).unwrap();
        let vx = t.column("velocity_x").unwrap();
        for (blk, &l) in blocks.iter().zip(&levels) {
            assert_eq!(blk["cells"], per_level[l] as u64);
            assert_eq!(blk["cell_types"], serde_json::json!([12]));
            assert!(
                blk["points"].as_u64().unwrap() < 8 * per_level[l] as u64 / 2,
                "points shared"
            );
            vol += blk["cell_volume"].as_f64().unwrap();
            let on_level = || (0..t.len()).filter(|&k| t.level[k] as usize == l);
            if log10 {
                let d = &blk["cell_data"]["log10_density"];
                let want: f64 = on_level().map(|k| rho[k].log10()).sum();
                assert!(close(d["sum"].as_f64().unwrap(), want, 1e-12, 1e-12));
            } else {
                let d = &blk["cell_data"]["density"];
                let want: f64 = on_level().map(|k| rho[k]).sum();
                assert!(close(d["sum"].as_f64().unwrap(), want, 1e-12, 0.0));
                mass += d["sum"].as_f64().unwrap() * (b * 0.5f64.powi(l as i32)).powi(3);
            }
            let v = &blk["cell_data"]["velocity"];
            assert_eq!(v["components"], 3);
            let first = on_level().next().unwrap();
            // (through Python's float repr and serde_json: equal to an ulp)
            assert!(close(
                v["first"][0].as_f64().unwrap(),
                vx[first],
                1e-15,
                0.0
            ));
            assert_eq!(blk["cell_data"]["level"]["min"], l as f64);
        }
        assert!(
            close(vol, b * b * b, 1e-10, 0.0),
            "cells tile the box: {vol}"
        );
        if !log10 {
            assert!(close(mass, total_mass(&t, &exec).unwrap(), 1e-10, 0.0));
        }
    }
}

#[test]
fn cosmological_times_agree_with_the_info_file_and_yt() {
    use amrkit_kernels::derive::{cosmic_time, hubble_time_s, Friedmann};
    let Some(run) = testkit::variant("cosmo") else {
        return;
    };
    let s = Snapshot::open(&run.output).unwrap();
    let i = &s.info;
    assert!(i.is_cosmological());
    let f = Friedmann::new(i.omega_m, i.omega_l, i.omega_k);
    // The info file's time is super-conformal: the tables give back aexp.
    let a = f.a_of_tau(i.time);
    assert!(
        (a - i.aexp).abs() < 1e-5 * i.aexp,
        "a(τ) {a} vs aexp {}",
        i.aexp
    );
    let ct = cosmic_time(i);
    let yt = run.reference["yt_unit_system"]["yt_current_time_s"]
        .as_f64()
        .unwrap();
    let age = ct.age_s.unwrap();
    // Required: 1e-3; the same Friedmann integral as yt agrees far better.
    assert!(close(age, yt, 1e-6, 0.0), "age {age} s vs yt {yt} s");
    // The age from τ agrees with the age from aexp.
    let from_tau = (f.time_of_tau(i.time) - f.time_of_a(1e-6)) * hubble_time_s(i.h0);
    assert!(close(from_tau, age, 1e-4, 0.0), "{from_tau} vs {age}");
}
