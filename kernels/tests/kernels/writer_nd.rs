//! The synthetic 1D/2D/3D writer with coarse grids and boundary regions
//! (`amrkit_io::synth::nd`) round-trips through the reader and the
//! kernels exactly: every leaf cell with its values, Σρ·dx^ndim, 2D images,
//! region selection, particles; and its files, damaged, give one clear
//! error naming the file and the record.

use amrkit_io::synth::nd::{NdPlan, NdSpec};
use amrkit_io::Snapshot;
use amrkit_kernels::derive::total_mass;
use amrkit_kernels::project::{project, ProjSpec, Weight};
use amrkit_kernels::select::{Region, Selection};
use amrkit_kernels::{load_hydro, load_particles, Exec};
use amrkit_pool::Pool;
use std::path::Path;

fn cases() -> Vec<(&'static str, NdSpec)> {
    let base = NdSpec::default();
    vec![
        ("2d periodic", base.clone()),
        (
            "2d reflecting x and y (nx = ny = 3)",
            NdSpec {
                ncpu: 2,
                pad: [1, 1, 0],
                n_part: 500,
                ..base.clone()
            },
        ),
        (
            "2d box of 2×1 coarse cells, boundaries in x (nx = 4)",
            NdSpec {
                ncpu: 4,
                extent: [2, 1, 1],
                pad: [1, 0, 0],
                ..base.clone()
            },
        ),
        (
            "1d reflecting (nx = 3)",
            NdSpec {
                ndim: 1,
                ncpu: 2,
                levelmin: 4,
                levelmax: 9,
                boxlen: 0.5,
                pad: [1, 0, 0],
                n_part: 50,
                ..base.clone()
            },
        ),
        (
            "1d periodic, 3 CPUs",
            NdSpec {
                ndim: 1,
                levelmin: 5,
                levelmax: 8,
                ..base.clone()
            },
        ),
        (
            "3d with boundaries on every side (nx = ny = nz = 3)",
            NdSpec {
                ndim: 3,
                ncpu: 3,
                levelmin: 2,
                levelmax: 4,
                refine_density: 1.5,
                pad: [1, 1, 1],
                ..base.clone()
            },
        ),
    ]
}

type Cell = (u8, [u32; 3], Vec<f64>);

fn sorted(mut v: Vec<Cell>) -> Vec<Cell> {
    v.sort_by_key(|a| (a.0, a.1));
    v
}

fn write(spec: &NdSpec, dir: &Path) -> (NdPlan, Snapshot) {
    let plan = NdPlan::new(spec.clone()).unwrap();
    let out = plan.output_dir(dir);
    plan.write(&out).unwrap();
    let s = Snapshot::open(&out).unwrap();
    (plan, s)
}

#[test]
fn nd_outputs_round_trip_exactly() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let exec = Exec::on(&pool);
    for (name, spec) in cases() {
        let tmp = tempfile::tempdir().unwrap();
        let (plan, s) = write(&spec, tmp.path());
        assert_eq!(s.info.ndim, spec.ndim, "{name}");
        assert_eq!(s.info.extent, spec.extent, "{name}");
        let t = load_hydro(&s, &Selection::default(), &[], &exec).unwrap();
        let got: Vec<Cell> = (0..t.len())
            .map(|k| {
                (
                    t.level[k],
                    [t.ix[k], t.iy[k], t.iz[k]],
                    t.columns.iter().map(|c| c[k]).collect(),
                )
            })
            .collect();
        let want = sorted(plan.leaves());
        assert!(!want.is_empty());
        assert_eq!(sorted(got), want, "{name}: leaf cells");
        // Σρ·dx^ndim from the plan's leaves.
        let m: f64 = want
            .iter()
            .map(|(l, _, v)| v[0] * (spec.boxlen * 0.5f64.powi(*l as i32)).powi(spec.ndim as i32))
            .sum();
        let got = total_mass(&t, &exec).unwrap();
        assert!((got - m).abs() <= 1e-12 * m, "{name}: mass {got} vs {m}");
        if spec.ndim == 2 {
            // The image at one pixel per finest cell: each pixel is the
            // value of the leaf holding it.
            let n = 1usize << spec.levelmax;
            let (w, h) = (n * spec.extent[0], n * spec.extent[1]);
            let mut p = ProjSpec::whole_box(2, w, &["density"], Weight::None);
            p.res = [w, h];
            p.range = [
                [0.0, spec.extent[0] as f64],
                [0.0, spec.extent[1] as f64],
                [0.0, 1.0],
            ];
            let maps = project(&t, &p, &exec).unwrap();
            let mut image = vec![f64::NAN; w * h];
            for (l, c, v) in &want {
                let f = 1usize << (spec.levelmax - *l as u32);
                for j in 0..f {
                    for i in 0..f {
                        image[(c[1] as usize * f + j) * w + c[0] as usize * f + i] = v[0];
                    }
                }
            }
            assert_eq!(maps.get("density").unwrap(), &image[..], "{name}: image");
        }
        // A region: the cells whose centre is inside, and the particles.
        let region = Region::Box {
            lo: [0.2, 0.1, 0.0],
            hi: [0.7, 0.55, 1.0],
        };
        let sel = Selection {
            region: Some(region),
            ..Selection::default()
        };
        let t = load_hydro(&s, &sel, &["density"], &exec).unwrap();
        let inside = |l: u8, c: [u32; 3]| {
            (0..spec.ndim).all(|d| {
                let x = (c[d] as f64 + 0.5) * 0.5f64.powi(l as i32);
                let (lo, hi) = ([0.2, 0.1, 0.0][d], [0.7, 0.55, 1.0][d]);
                x >= lo && x < hi
            })
        };
        let n_in = want.iter().filter(|(l, c, _)| inside(*l, *c)).count();
        assert!(n_in > 0 && n_in < want.len(), "{name}");
        assert_eq!(t.len(), n_in, "{name}: cells in the region");
        if spec.n_part > 0 {
            let p = load_particles(&s, &Selection::default(), &[], &exec).unwrap();
            assert_eq!(p.len(), spec.n_part, "{name}");
            let mut xs: Vec<f64> = p.reals("position_x").unwrap().to_vec();
            let mut want: Vec<f64> = plan.particles().iter().map(|q| q.0[0]).collect();
            xs.sort_by(f64::total_cmp);
            want.sort_by(f64::total_cmp);
            assert_eq!(xs, want, "{name}: particle x");
            assert!(p.column("position_z").is_err(), "{name}: no z positions");
            let q = load_particles(&s, &sel, &[], &exec).unwrap();
            let b = spec.boxlen;
            let n_in = plan
                .particles()
                .iter()
                .filter(|(x, _, _)| {
                    (0..spec.ndim)
                        .all(|d| x[d] / b >= [0.2, 0.1, 0.0][d] && x[d] / b < [0.7, 0.55, 1.0][d])
                })
                .count();
            assert_eq!(q.len(), n_in, "{name}: particles in the region");
        }
    }
}

/// The Fortran records of a file (payloads), and the file from them.
fn records(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let n = i32::from_le_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        out.push(data[at + 4..at + 4 + n].to_vec());
        at += n + 8;
    }
    out
}

fn join(recs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in recs {
        let m = (r.len() as i32).to_le_bytes();
        out.extend_from_slice(&m);
        out.extend_from_slice(r);
        out.extend_from_slice(&m);
    }
    out
}

fn i32s(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Rewrites record `k` of CPU 1's amr file, opens the output and reads
/// every cell: the one-line error.
fn damaged(spec: &NdSpec, edit: impl Fn(&mut Vec<Vec<u8>>)) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let plan = NdPlan::new(spec.clone()).unwrap();
    let out = plan.output_dir(tmp.path());
    plan.write(&out).unwrap();
    let amr = out.join("amr_00001.out00001");
    let mut recs = records(&std::fs::read(&amr).unwrap());
    edit(&mut recs);
    std::fs::write(&amr, join(&recs)).unwrap();
    let pool = Pool::builder().num_threads(1).build().unwrap();
    let r = Snapshot::open(&out).and_then(|s| {
        (1..=s.info.ncpu)
            .map(|c| {
                s.read_cpu(
                    c,
                    &amrkit_io::CellRequest {
                        lmax: s.info.levelmax,
                        region: None,
                        slab: None,
                        hydro_vars: vec![0],
                        grav_vars: vec![],
                        rt_vars: vec![],
                    },
                )
                .map(|_| ())
            })
            .collect::<amrkit_io::Result<Vec<()>>>()
    });
    drop(pool);
    let e = r.expect_err("damaged file read").to_string();
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("amr_00001.out00001"), "{e}");
    e
}

#[test]
fn damaged_nd_records_give_one_clear_error() {
    // One CPU: every block of the file is its own (none skipped unread).
    let spec = NdSpec {
        ncpu: 1,
        pad: [1, 1, 0],
        ..NdSpec::default()
    };
    // Record 2: ndim.
    let e = damaged(&spec, |r| r[1] = i32s(&[4]));
    assert!(e.contains("ndim") && e.contains("1, 2 or 3"), "{e}");
    // Record 3: a coarse grid deeper than ndim.
    let e = damaged(&spec, |r| r[2] = i32s(&[3, 3, 2]));
    assert!(e.contains("nx, ny, nz"), "{e}");
    // The coarse cpu_map (the record before the tree body): the active
    // cells must form one block; a stray active boundary cell breaks that.
    let cpu_map_at = |r: &Vec<Vec<u8>>| {
        r.iter()
            .position(|x| x.len() == 128) // ordering
            .unwrap()
            + 4
    };
    let e = damaged(&spec, |r| {
        let k = cpu_map_at(r);
        let mut m: Vec<i32> = r[k]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(m.len(), 9);
        m[0] = 1;
        r[k] = i32s(&m);
    });
    assert!(e.contains("cpu_map") && e.contains("rectangular"), "{e}");
    let e = damaged(&spec, |r| {
        let k = cpu_map_at(r);
        r[k] = i32s(&[0; 9]);
    });
    assert!(e.contains("cpu_map") && e.contains("0 of the 3×3×1"), "{e}");
    // An oct centre in the boundary padding: xg(:,1) of the last block
    // (the deepest level's, all leaves), followed in 2D by xg(:,2),
    // father, 4 nbor and 3 × 4 son, cpu_map, flag1 records.
    let e = damaged(&spec, |r| {
        let k = r.len() - 19;
        let n = r[k].len() / 8;
        r[k] = (0..n).flat_map(|_| 0.5f64.to_le_bytes()).collect();
    });
    assert!(e.contains("oct centre 0.5 (axis 0)"), "{e}");
}

/// 1D and 2D particles without `part_file_descriptor.txt`: the layout is
/// inferred with ndim position and velocity records.
#[test]
fn nd_particles_without_descriptor_are_inferred() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let exec = Exec::on(&pool);
    for ndim in [1, 2] {
        let tmp = tempfile::tempdir().unwrap();
        let spec = NdSpec {
            ndim,
            ncpu: 2,
            n_part: 200,
            ..NdSpec::default()
        };
        let plan = NdPlan::new(spec).unwrap();
        let out = plan.output_dir(tmp.path());
        plan.write(&out).unwrap();
        std::fs::remove_file(out.join("part_file_descriptor.txt")).unwrap();
        let s = Snapshot::open(&out).unwrap();
        let names: Vec<&str> = s
            .particle_layout()
            .unwrap()
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let xyz = ["x", "y", "z"];
        let mut want: Vec<String> = Vec::new();
        want.extend(xyz[..ndim].iter().map(|a| format!("position_{a}")));
        want.extend(xyz[..ndim].iter().map(|a| format!("velocity_{a}")));
        want.extend(["mass", "identity", "levelp", "family", "tag"].map(String::from));
        assert_eq!(names, want, "{ndim}D");
        let p = load_particles(&s, &Selection::default(), &[], &exec).unwrap();
        let last = format!("position_{}", xyz[ndim - 1]);
        let mut got = p.reals(&last).unwrap().to_vec();
        let mut w: Vec<f64> = plan.particles().iter().map(|q| q.0[ndim - 1]).collect();
        got.sort_by(f64::total_cmp);
        w.sort_by(f64::total_cmp);
        assert_eq!(got, w, "{ndim}D");
    }
}
