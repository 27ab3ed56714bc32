//! amrkit-io against yt's figures for real RAMSES outputs (reference.json).

use amrkit_io::{CellRequest, CpuCells, Snapshot};
use std::collections::BTreeMap;
use testkit::{close, runs};

/// yt's field names → RAMSES descriptor names.
const HYDRO: [(&str, &str); 5] = [
    ("Density", "density"),
    ("x-velocity", "velocity_x"),
    ("y-velocity", "velocity_y"),
    ("z-velocity", "velocity_z"),
    ("Pressure", "pressure"),
];
const GRAV: [(&str, &str); 4] = [
    ("Potential", "potential"),
    ("x-acceleration", "acceleration_x"),
    ("y-acceleration", "acceleration_y"),
    ("z-acceleration", "acceleration_z"),
];

fn read_all(s: &Snapshot) -> Vec<CpuCells> {
    let req = CellRequest {
        lmax: s.info.levelmax,
        region: None,
        slab: None,
        hydro_vars: (0..s.hydro_fields.len()).collect(),
        grav_vars: (0..s.grav_fields.len()).collect(),
        rt_vars: vec![],
    };
    (1..=s.info.ncpu)
        .map(|i| s.read_cpu(i, &req).unwrap())
        .collect()
}

struct Moments {
    min: f64,
    max: f64,
    vol_mean: f64,
    mass_mean: f64,
}

fn moments(s: &Snapshot, cpus: &[CpuCells], col: impl Fn(&CpuCells) -> &Vec<f64>) -> Moments {
    let rho = s.hydro_index("density").unwrap();
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut qv, mut v, mut qm, mut m) = (0.0, 0.0, 0.0, 0.0);
    for c in cpus {
        for ((&q, &l), &d) in col(c).iter().zip(&c.level).zip(&c.hydro[rho]) {
            let dv = (s.info.boxlen * 0.5f64.powi(l as i32)).powi(3);
            let dm = d * dv;
            min = min.min(q);
            max = max.max(q);
            qv += q * dv;
            v += dv;
            qm += q * dm;
            m += dm;
        }
    }
    Moments {
        min,
        max,
        vol_mean: qv / v,
        mass_mean: qm / m,
    }
}

fn check(run: &str, field: &str, got: Moments, want: &serde_json::Value) {
    let w = |k: &str| {
        want[k]
            .as_f64()
            .unwrap_or_else(|| panic!("{run} {field}: no {k}"))
    };
    let range = w("max") - w("min");
    assert!(
        close(got.min, w("min"), 1e-12, 0.0),
        "{run} {field} min {} vs {}",
        got.min,
        w("min")
    );
    assert!(
        close(got.max, w("max"), 1e-12, 0.0),
        "{run} {field} max {} vs {}",
        got.max,
        w("max")
    );
    assert!(
        close(got.vol_mean, w("volume_weighted_mean"), 1e-10, range),
        "{run} {field} volume-weighted mean {} vs {}",
        got.vol_mean,
        w("volume_weighted_mean")
    );
    assert!(
        close(got.mass_mean, w("mass_weighted_mean"), 1e-10, range),
        "{run} {field} mass-weighted mean {} vs {}",
        got.mass_mean,
        w("mass_weighted_mean")
    );
}

#[test]
fn info_matches_reference() {
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let r = &run.reference["info"];
        assert_eq!(
            s.info.ncpu as u64,
            r["ncpu"].as_u64().unwrap(),
            "{}",
            run.name
        );
        assert_eq!(s.info.ndim as u64, r["ndim"].as_u64().unwrap());
        assert_eq!(s.info.levelmin as u64, r["levelmin"].as_u64().unwrap());
        assert_eq!(s.info.levelmax as u64, r["levelmax"].as_u64().unwrap());
        assert_eq!(s.info.boxlen, r["boxlen"].as_f64().unwrap());
        assert!(close(
            s.info.time,
            r["time_code"].as_f64().unwrap(),
            1e-14,
            0.0
        ));
        assert!(close(
            s.info.unit_l,
            r["unit_l_cm"].as_f64().unwrap(),
            1e-14,
            0.0
        ));
        assert!(close(
            s.info.unit_d,
            r["unit_d_g_cm3"].as_f64().unwrap(),
            1e-14,
            0.0
        ));
        assert!(close(
            s.info.unit_t,
            r["unit_t_s"].as_f64().unwrap(),
            1e-14,
            0.0
        ));
        assert!(!s.info.is_cosmological());
        assert_eq!(s.hydro_fields.len(), 5);
        assert_eq!(
            s.grav_fields.is_empty(),
            run.reference.get("gravity").is_none(),
            "{}",
            run.name
        );
        assert_eq!(
            s.has_particles,
            run.reference.get("particles").is_some(),
            "{}",
            run.name
        );
    }
}

#[test]
fn leaf_cells_mass_and_field_moments_match_yt() {
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let cpus = read_all(&s);
        let gamma = cpus[0].gamma.unwrap();
        assert!(close(
            gamma,
            run.reference["info"]["gamma_yt"].as_f64().unwrap(),
            1e-7,
            0.0
        ));

        // Leaf cells per level, exactly.
        let mut per_level: BTreeMap<String, u64> = BTreeMap::new();
        for c in &cpus {
            for &l in &c.level {
                *per_level.entry(l.to_string()).or_default() += 1;
            }
        }
        let want: BTreeMap<String, u64> = run.reference["cells"]["leaf_cells_per_level"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        assert_eq!(per_level, want, "{}", run.name);
        let total: usize = cpus.iter().map(CpuCells::len).sum();
        assert_eq!(
            total as u64,
            run.reference["cells"]["n_leaf_total"].as_u64().unwrap()
        );

        // Leaf cells tile the box exactly once: their volumes add up to it.
        let vol: f64 = cpus
            .iter()
            .flat_map(|c| c.level.iter())
            .map(|&l| (s.info.boxlen * 0.5f64.powi(l as i32)).powi(3))
            .sum();
        assert!(
            close(vol, s.info.boxlen.powi(3), 1e-12, 0.0),
            "{}: volume {vol}",
            run.name
        );

        // Total gas mass.
        let rho = s.hydro_index("density").unwrap();
        let mass: f64 = cpus
            .iter()
            .flat_map(|c| {
                (0..c.len()).map(move |k| {
                    c.hydro[rho][k] * (s.info.boxlen * 0.5f64.powi(c.level[k] as i32)).powi(3)
                })
            })
            .sum();
        let want_mass = run.reference["gas"]["total_mass_code"].as_f64().unwrap();
        assert!(
            close(mass, want_mass, 1e-10, 0.0),
            "{}: mass {mass} vs {want_mass}",
            run.name
        );

        for (yt, ours) in HYDRO {
            let i = s.hydro_index(ours).unwrap();
            check(
                &run.name,
                yt,
                moments(&s, &cpus, |c| &c.hydro[i]),
                &run.reference["hydro"][yt]["code"],
            );
        }
        if let Some(g) = run.reference.get("gravity") {
            for (yt, ours) in GRAV {
                let i = s.grav_index(ours).unwrap();
                check(
                    &run.name,
                    yt,
                    moments(&s, &cpus, |c| &c.grav[i]),
                    &g[yt]["code"],
                );
            }
        }
    }
}

#[test]
fn lmax_below_levelmax_gives_a_coarser_tiling() {
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let lmax = s.info.levelmin + 1;
        let req = CellRequest {
            lmax,
            region: None,
            slab: None,
            hydro_vars: vec![0],
            grav_vars: vec![],
            rt_vars: vec![],
        };
        let cpus: Vec<_> = (1..=s.info.ncpu)
            .map(|i| s.read_cpu(i, &req).unwrap())
            .collect();
        assert!(cpus
            .iter()
            .all(|c| c.level.iter().all(|&l| l as u32 <= lmax)));
        let vol: f64 = cpus
            .iter()
            .flat_map(|c| c.level.iter())
            .map(|&l| 0.5f64.powi(3 * l as i32))
            .sum();
        assert!(close(vol, 1.0, 1e-12, 0.0), "{}", run.name);
        // Refined cells hold the mean of their children (RAMSES's
        // upload_fine), so the mass at a coarser lmax is the same.
        let mass: f64 = cpus
            .iter()
            .flat_map(|c| {
                (0..c.len()).map(move |k| {
                    c.hydro[0][k] * (s.info.boxlen * 0.5f64.powi(c.level[k] as i32)).powi(3)
                })
            })
            .sum();
        let want = run.reference["gas"]["total_mass_code"].as_f64().unwrap();
        assert!(
            close(mass, want, 1e-10, 0.0),
            "{}: {mass} vs {want}",
            run.name
        );
    }
}

/// A read with a slab keeps, of the cells of a read without it, exactly
/// those the rule of [`amrkit_io::Slab`] names (centre within
/// `half + ½dx·Σ|n| + 1e-9·dx` of the plane), in the same order with the
/// same values, for planes through each real output — and for an oblique
/// plane that is a small part of them (not every cell).
#[test]
fn a_slab_read_keeps_the_cells_that_can_meet_it() {
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        if s.info.ndim != 3 {
            continue;
        }
        let all = read_all(&s);
        let planes = [
            ([1.0, 2.0, 3.0], 0.5 * 6.0, 0.0),
            ([0.0, 0.0, 1.0], 0.5, 0.0),
            ([-0.3, 0.8, 0.1], 0.2, 0.01),
        ];
        let (mut kept, mut total) = (0, 0);
        for (normal, offset, half) in planes {
            let slab = amrkit_io::Slab {
                normal,
                offset,
                half,
            };
            let l1: f64 = normal.iter().map(|v| v.abs()).sum();
            for (i, full) in all.iter().enumerate() {
                let req = CellRequest {
                    lmax: s.info.levelmax,
                    region: None,
                    slab: Some(slab),
                    hydro_vars: (0..s.hydro_fields.len()).collect(),
                    grav_vars: (0..s.grav_fields.len()).collect(),
                    rt_vars: vec![],
                };
                let got = s.read_cpu(i + 1, &req).unwrap();
                let want: Vec<usize> = (0..full.len())
                    .filter(|&k| {
                        let dx = 0.5f64.powi(full.level[k] as i32);
                        let c = [full.ix[k], full.iy[k], full.iz[k]].map(|v| (v as f64 + 0.5) * dx);
                        let d = normal[0] * c[0] + normal[1] * c[1] + normal[2] * c[2] - offset;
                        d.abs() <= half + 0.5 * dx * l1 + 1e-9 * dx
                    })
                    .collect();
                assert_eq!(
                    got.len(),
                    want.len(),
                    "{} cpu {}: {normal:?}",
                    run.name,
                    i + 1
                );
                for (g, &k) in want.iter().enumerate() {
                    let same = got.level[g] == full.level[k]
                        && (got.ix[g], got.iy[g], got.iz[g])
                            == (full.ix[k], full.iy[k], full.iz[k])
                        && got
                            .hydro
                            .iter()
                            .zip(&full.hydro)
                            .all(|(a, b)| a[g].to_bits() == b[k].to_bits());
                    assert!(same, "{} cpu {}: cell {g} is not cell {k}", run.name, i + 1);
                }
                if normal[0] == 1.0 {
                    (kept, total) = (kept + got.len(), total + full.len());
                }
            }
        }
        assert!(
            kept > 0 && kept * 5 < total,
            "{}: {kept} of {total} cells kept",
            run.name
        );
    }
}
