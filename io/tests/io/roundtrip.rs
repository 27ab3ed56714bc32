//! The synthetic writer round-trips through the reader exactly.

use amrkit_io::hilbert::{domain_of, oct_key};
use amrkit_io::synth::{gas_at, gravity_at};
use amrkit_io::{family_name, CellRequest, PartColumn, Snapshot, SynthPlan, SynthSpec};

fn spec() -> SynthSpec {
    SynthSpec {
        ncpu: 5,
        levelmin: 4,
        levelmax: 7,
        n_dm: 3000,
        n_star: 400,
        ..SynthSpec::default()
    }
}

#[test]
fn write_then_read_gives_back_every_cell_and_particle() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = SynthPlan::new(spec()).unwrap();
    let out = plan.output_dir(tmp.path());
    plan.write(&out).unwrap();
    // No temporary files are left behind.
    for e in std::fs::read_dir(&out).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.ends_with(".tmp"), "{name}");
    }
    let s = Snapshot::open_output(tmp.path(), 1).unwrap();
    assert_eq!(s.info.ncpu, 5);
    assert_eq!((s.info.levelmin, s.info.levelmax), (4, 7));
    assert_eq!(s.info.boxlen, 100.0);
    assert_eq!(s.hydro_fields.len(), 5);
    assert_eq!(s.grav_fields.len(), 4);
    let keys = s.bound_keys().unwrap().unwrap();
    assert_eq!(keys, plan.bound_keys());
    let req = CellRequest {
        lmax: 7,
        region: None,
        slab: None,
        hydro_vars: (0..5).collect(),
        grav_vars: (0..4).collect(),
        rt_vars: vec![],
    };
    let mut per_level = vec![0usize; 7];
    for icpu in 1..=5 {
        let c = s.read_cpu(icpu, &req).unwrap();
        assert_eq!(c.gamma, Some(5.0 / 3.0));
        for k in 0..c.len() {
            let l = c.level[k] as u32;
            per_level[l as usize - 1] += 1;
            let dx = 0.5f64.powi(l as i32);
            let x = [c.ix[k], c.iy[k], c.iz[k]].map(|i| (i as f64 + 0.5) * dx);
            let g = gas_at(x);
            for (col, want) in c.hydro.iter().zip(g) {
                assert_eq!(col[k].to_bits(), want.to_bits());
            }
            let p = gravity_at(x);
            for (col, want) in c.grav.iter().zip(p) {
                assert_eq!(col[k].to_bits(), want.to_bits());
            }
            let key = oct_key(
                (c.ix[k] >> 1) as u64,
                (c.iy[k] >> 1) as u64,
                (c.iz[k] >> 1) as u64,
                l,
                7,
            );
            assert_eq!(domain_of(&keys, key), icpu);
        }
    }
    assert_eq!(per_level, plan.leaf_cells_per_level());
    // Leaves tile the box exactly.
    let vol: f64 = per_level
        .iter()
        .enumerate()
        .map(|(l, &n)| n as f64 * 0.125f64.powi(l as i32 + 1))
        .sum();
    assert!((vol - 1.0).abs() < 1e-12);
    assert!(per_level.iter().filter(|&&n| n > 0).count() >= 3);

    // Particles: all there, each in the file of its leaf's domain.
    let layout = s.particle_layout().unwrap();
    assert_eq!(layout.fields.len(), 12);
    let (px, fam, lev) = (
        layout.index("position_x").unwrap(),
        layout.index("family").unwrap(),
        layout.index("levelp").unwrap(),
    );
    let mut counts = std::collections::BTreeMap::new();
    for icpu in 1..=5 {
        let cols = s
            .read_particles(icpu, &[px, px + 1, px + 2, fam, lev])
            .unwrap();
        let PartColumn::I8(f) = &cols[3] else {
            panic!()
        };
        let PartColumn::I64(lv) = &cols[4] else {
            panic!()
        };
        for k in 0..f.len() {
            *counts.entry(family_name(f[k])).or_insert(0) += 1;
            let x: [f64; 3] = std::array::from_fn(|d| cols[d].get_f64(k) / 100.0);
            let l = lv[k] as u32;
            let o = x.map(|v| ((v * (1u64 << l) as f64).floor() as u64) >> 1);
            assert_eq!(domain_of(&keys, oct_key(o[0], o[1], o[2], l, 7)), icpu);
        }
    }
    assert_eq!(counts["DM"], 3000);
    assert_eq!(counts["star"], 400);
    let h = s.part_header_text().unwrap().unwrap();
    assert!(h.counts.contains(&("DM".to_string(), 3000)));
}

#[test]
fn region_selection_on_a_generated_output() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = SynthPlan::new(SynthSpec { ncpu: 16, ..spec() }).unwrap();
    plan.write(&plan.output_dir(tmp.path())).unwrap();
    let s = Snapshot::open_output(tmp.path(), 1).unwrap();
    let (lo, hi) = ([0.6, 0.2, 0.5], [0.75, 0.4, 0.66]);
    let cpus = s.cpus_for_region(lo, hi).unwrap();
    assert!(cpus.len() < 16, "{cpus:?}");
    let req = CellRequest {
        lmax: 7,
        region: Some((lo, hi)),
        slab: None,
        hydro_vars: vec![0],
        grav_vars: vec![],
        rt_vars: vec![],
    };
    let picked: usize = cpus
        .iter()
        .map(|&i| s.scan_cpu(i, &req).unwrap().len())
        .sum();
    let all: usize = (1..=16).map(|i| s.scan_cpu(i, &req).unwrap().len()).sum();
    assert!(picked > 0);
    assert_eq!(picked, all);
}
