//! Particles, sinks and Hilbert CPU selection against real RAMSES outputs.

use amrkit_io::hilbert::{domain_of, oct_key};
use amrkit_io::{family_name, CellRequest, PartColumn, Snapshot};
use std::collections::BTreeMap;
use testkit::{close, runs};

fn f64s(c: &PartColumn) -> &[f64] {
    match c {
        PartColumn::F64(v) => v,
        _ => panic!("expected a real column"),
    }
}

#[test]
fn particle_families_match_yt() {
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let p = &run.reference["particles"];
        if p.is_null() || !s.has_particles {
            assert!(!s.has_particles || p.is_null(), "{}: particles", run.name);
            continue;
        }
        let layout = s.particle_layout().unwrap();
        let want = [
            "position_x",
            "position_y",
            "position_z",
            "velocity_x",
            "velocity_y",
            "velocity_z",
            "mass",
            "identity",
            "family",
            "birth_time",
        ];
        let idx: Vec<usize> = want.iter().map(|n| layout.index(n).unwrap()).collect();
        #[derive(Default)]
        struct Acc {
            n: u64,
            m: f64,
            pos: [f64; 3],
            vel: [f64; 3],
            mvel: [f64; 3],
            id: (i64, i64),
            birth: (f64, f64),
        }
        let mut fam: BTreeMap<&str, Acc> = BTreeMap::new();
        let mut total = 0u64;
        for icpu in 1..=s.info.ncpu {
            let cols = s.read_particles(icpu, &idx).unwrap();
            let PartColumn::I64(ids) = &cols[7] else {
                panic!()
            };
            let PartColumn::I8(family) = &cols[8] else {
                panic!()
            };
            for k in 0..cols[0].len() {
                let a = fam.entry(family_name(family[k])).or_insert_with(|| Acc {
                    id: (i64::MAX, i64::MIN),
                    birth: (f64::INFINITY, f64::NEG_INFINITY),
                    ..Acc::default()
                });
                let m = f64s(&cols[6])[k];
                a.n += 1;
                a.m += m;
                for d in 0..3 {
                    a.pos[d] += f64s(&cols[d])[k];
                    a.vel[d] += f64s(&cols[3 + d])[k];
                    a.mvel[d] += m * f64s(&cols[3 + d])[k];
                }
                a.id = (a.id.0.min(ids[k]), a.id.1.max(ids[k]));
                let b = f64s(&cols[9])[k];
                a.birth = (a.birth.0.min(b), a.birth.1.max(b));
                total += 1;
            }
        }
        assert_eq!(total, p["n_total"].as_u64().unwrap(), "{}", run.name);
        let mut checked = 0;
        for (name, r) in p["families"].as_object().unwrap() {
            let a = &fam[name.as_str()];
            let n = r["count"].as_u64().unwrap();
            assert_eq!(a.n, n, "{} {name} count", run.name);
            let tm = r["total_mass_code"].as_f64().unwrap();
            assert!(close(a.m, tm, 1e-10, 0.0), "{name} mass {} vs {tm}", a.m);
            for d in 0..3 {
                let mp = r["mean_position_code"][d].as_f64().unwrap();
                assert!(close(a.pos[d] / n as f64, mp, 1e-10, 0.0), "{name} pos");
                let mv = r["mean_velocity_code"][d].as_f64().unwrap();
                assert!(close(a.vel[d] / n as f64, mv, 1e-9, 1.0), "{name} vel");
                let mw = r["mass_weighted_mean_velocity_code"][d].as_f64().unwrap();
                assert!(close(a.mvel[d] / a.m, mw, 1e-9, 1.0), "{name} m-vel");
            }
            assert_eq!(a.id.0, r["identity_min"].as_i64().unwrap(), "{name}");
            assert_eq!(a.id.1, r["identity_max"].as_i64().unwrap(), "{name}");
            let bmin = r["birth_time_min_yt_units"].as_f64().unwrap();
            let bmax = r["birth_time_max_yt_units"].as_f64().unwrap();
            assert!(close(a.birth.0, bmin, 1e-12, 0.0) && close(a.birth.1, bmax, 1e-12, 0.0));
            checked += 1;
        }
        assert!(checked > 0);
        // The header text agrees with the files.
        let h = s.part_header_text().unwrap().unwrap();
        for (name, count) in &h.counts {
            let got = fam.get(name.as_str()).map_or(0, |a| a.n);
            assert_eq!(got, *count, "{name} in header_ file");
        }
    }
}

#[test]
fn sinks_match_the_csv_reference() {
    for run in runs() {
        let r = &run.reference["sinks"];
        let s = Snapshot::open(&run.output).unwrap();
        if r.is_null() {
            continue;
        }
        assert!(s.has_sinks);
        let sinks = s.sinks().unwrap();
        assert_eq!(sinks.len() as u64, r["count"].as_u64().unwrap());
        let cols: Vec<&str> = r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(sinks.columns, cols);
        let m: f64 = sinks.column("msink").unwrap().iter().sum();
        assert!(close(
            m,
            r["total_msink_code"].as_f64().unwrap(),
            1e-12,
            0.0
        ));
        for (k, pos) in r["positions_code"].as_array().unwrap().iter().enumerate() {
            for (d, c) in ["x", "y", "z"].iter().enumerate() {
                let want = pos[d].as_f64().unwrap();
                assert!(close(sinks.column(c).unwrap()[k], want, 1e-12, 0.0));
            }
        }
    }
}

#[test]
fn every_oct_lies_in_its_files_hilbert_domain() {
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let keys = s.bound_keys().unwrap().expect("hilbert ordering");
        assert_eq!(keys.len(), s.info.ncpu + 1);
        let req = CellRequest {
            lmax: s.info.levelmax,
            ..Default::default()
        };
        for icpu in 1..=s.info.ncpu {
            let c = s.read_cpu(icpu, &req).unwrap();
            for k in 0..c.len() {
                let l = c.level[k] as u32;
                let key = oct_key(
                    (c.ix[k] >> 1) as u64,
                    (c.iy[k] >> 1) as u64,
                    (c.iz[k] >> 1) as u64,
                    l,
                    s.info.levelmax,
                );
                assert_eq!(domain_of(&keys, key), icpu, "{} cell {k}", run.name);
            }
        }
    }
}

#[test]
fn region_reads_fewer_files_and_the_same_cells() {
    for run in runs() {
        let s = Snapshot::open(&run.output).unwrap();
        let (lo, hi) = ([0.05, 0.1, 0.05], [0.2, 0.22, 0.15]);
        let cpus = s.cpus_for_region(lo, hi).unwrap();
        assert!(
            !cpus.is_empty() && cpus.len() < s.info.ncpu,
            "{}: {cpus:?}",
            run.name
        );
        let region = CellRequest {
            lmax: s.info.levelmax,
            region: Some((lo, hi)),
            slab: None,
            hydro_vars: vec![0, 4],
            grav_vars: vec![],
            rt_vars: vec![],
        };
        let all = CellRequest {
            region: None,
            slab: None,
            ..region.clone()
        };
        let key = |c: &amrkit_io::CpuCells, k: usize| {
            (
                c.level[k],
                c.ix[k],
                c.iy[k],
                c.iz[k],
                c.hydro[0][k].to_bits(),
                c.hydro[1][k].to_bits(),
            )
        };
        let mut full = Vec::new();
        for icpu in 1..=s.info.ncpu {
            let c = s.read_cpu(icpu, &all).unwrap();
            for k in 0..c.len() {
                let dx = 0.5f64.powi(c.level[k] as i32);
                let centre = [c.ix[k], c.iy[k], c.iz[k]].map(|i| (i as f64 + 0.5) * dx);
                if (0..3).all(|d| centre[d] >= lo[d] && centre[d] < hi[d]) {
                    full.push(key(&c, k));
                }
            }
        }
        let mut sel = Vec::new();
        for &icpu in &cpus {
            let c = s.read_cpu(icpu, &region).unwrap();
            sel.extend((0..c.len()).map(|k| key(&c, k)));
        }
        full.sort_unstable();
        sel.sort_unstable();
        assert!(!full.is_empty());
        assert_eq!(full, sel, "{}", run.name);
    }
}
