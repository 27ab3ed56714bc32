//! Bisection ordering (the real `bisection` variant): CPU files for a region
//! from the domain boxes of the AMR header.

use amrkit_io::{CellRequest, CpuCells, Snapshot};
use testkit::{close, variant};

/// The boxes of the info file's bisection table: per CPU, 6 lines (min
/// x, y, z, max x, y, z) and a load line.
fn info_boxes(text: &str, ncpu: usize) -> Vec<([f64; 3], [f64; 3])> {
    let vals: Vec<f64> = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("ordering type="))
        .skip(1)
        .map(|l| l.trim().parse::<f64>().unwrap())
        .collect();
    assert_eq!(vals.len(), 7 * ncpu, "7 lines per CPU");
    vals.chunks(7)
        .map(|c| ([c[0], c[1], c[2]], [c[3], c[4], c[5]]))
        .collect()
}

fn read(s: &Snapshot, icpu: usize, region: Option<([f64; 3], [f64; 3])>) -> CpuCells {
    let req = CellRequest {
        lmax: s.info.levelmax,
        region,
        slab: None,
        hydro_vars: (0..s.hydro_fields.len()).collect(),
        grav_vars: vec![],
        rt_vars: vec![],
    };
    s.read_cpu(icpu, &req).unwrap()
}

#[test]
fn bisection_regions_open_only_the_files_they_need() {
    let Some(run) = variant("bisection") else {
        return;
    };
    let s = Snapshot::open(&run.output).unwrap();
    let n = s.info.ncpu;
    let boxes = s.bisection_boxes().unwrap().expect("bisection boxes");
    assert_eq!(boxes.len(), n);
    // The header's boxes are the info file's table.
    let text = std::fs::read_to_string(s.text_file("info_00002.txt")).unwrap();
    assert_eq!(boxes, info_boxes(&text, n));
    // They tile the box.
    let vol: f64 = boxes
        .iter()
        .map(|(lo, hi)| (0..3).map(|d| hi[d] - lo[d]).product::<f64>())
        .sum();
    assert!((vol - 1.0).abs() < 1e-12, "volume {vol}");
    // The oct of every cell of a CPU is centred in its box (the father
    // cell's centre: what RAMSES's bisection assigns), and all cells
    // together are yt's.
    let rho = s.hydro_index("density").unwrap();
    let (mut cells, mut mass) = (0u64, 0.0);
    let all: Vec<CpuCells> = (1..=n).map(|c| read(&s, c, None)).collect();
    let mut outside = 0;
    for (c, cpu) in all.iter().enumerate() {
        let (lo, hi) = boxes[c];
        for k in 0..cpu.len() {
            let dx = 0.5f64.powi(cpu.level[k] as i32);
            let i = [cpu.ix[k], cpu.iy[k], cpu.iz[k]];
            for d in 0..3 {
                let centre = ((i[d] / 2) as f64 + 0.5) * 2.0 * dx;
                assert!(
                    centre >= lo[d] && centre <= hi[d],
                    "CPU {} cell {k} axis {d}: oct centre {centre} outside [{}, {}]",
                    c + 1,
                    lo[d],
                    hi[d]
                );
                let (a, b) = (i[d] as f64 * dx, (i[d] as f64 + 1.0) * dx);
                if a < lo[d] || b > hi[d] {
                    outside += 1;
                }
            }
            mass += cpu.hydro[rho][k] * (s.info.boxlen * dx).powi(3);
        }
        cells += cpu.len() as u64;
    }
    // Cells themselves do cross the walls: the box alone would not do.
    assert!(outside > 0);
    let r = &run.reference;
    assert_eq!(cells, r["cells"]["n_leaf_total"].as_u64().unwrap());
    assert!(close(
        mass,
        r["gas"]["total_mass_code"].as_f64().unwrap(),
        1e-10,
        0.0
    ));
    // Small regions: only the CPUs whose boxes they touch, and the same
    // cells as a full read filtered by position.
    for (lo, hi, want) in [
        ([0.05, 0.05, 0.1], [0.2, 0.2, 0.9], vec![1]),
        ([0.3, 0.3, 0.4], [0.45, 0.4, 0.6], vec![1, 2, 3]),
        ([0.7, 0.7, 0.0], [0.9, 0.95, 1.0], vec![4]),
        // Just past the x wall of CPUs 1 and 3 at 0.41015625: CPU 1's octs
        // centred left of it have cells on the right.
        ([0.411, 0.0, 0.0], [0.43, 0.3, 1.0], vec![1, 3]),
    ] {
        let cpus = s.cpus_for_region(lo, hi).unwrap();
        let key = |c: &CpuCells, k: usize| {
            (
                c.level[k],
                c.ix[k],
                c.iy[k],
                c.iz[k],
                c.hydro[rho][k].to_bits(),
            )
        };
        let mut full = Vec::new();
        // The CPUs that do own cells in the region: all must be chosen.
        let mut owners = Vec::new();
        for (icpu, c) in all.iter().enumerate() {
            for k in 0..c.len() {
                let dx = 0.5f64.powi(c.level[k] as i32);
                let x = [c.ix[k], c.iy[k], c.iz[k]].map(|i| (i as f64 + 0.5) * dx);
                if (0..3).all(|d| x[d] >= lo[d] && x[d] < hi[d]) {
                    full.push(key(c, k));
                    owners.push(icpu + 1);
                }
            }
        }
        owners.dedup();
        assert!(
            owners.iter().all(|o| cpus.contains(o)),
            "region {lo:?}..{hi:?}: cells on CPUs {owners:?}, chosen {cpus:?}"
        );
        let mut sel = Vec::new();
        for &icpu in &cpus {
            let c = read(&s, icpu, Some((lo, hi)));
            sel.extend((0..c.len()).map(|k| key(&c, k)));
        }
        full.sort_unstable();
        sel.sort_unstable();
        assert!(!full.is_empty());
        assert_eq!(full, sel, "region {lo:?}..{hi:?}");
        assert_eq!(cpus, want, "region {lo:?}..{hi:?}");
        if lo[0] == 0.411 {
            assert!(owners.contains(&1), "CPU 1's cells cross the wall");
        }
    }
}
