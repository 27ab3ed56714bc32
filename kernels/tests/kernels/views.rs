//! Views on the shared real RAMSES outputs: slices against a direct point
//! location, off-axis projections against an independent exact clipping
//! of every cell, axis-aligned views against `project`, mass conservation
//! for any orientation, and centres and angular momentum against direct
//! sums.

// Cells are indexed across several parallel columns.
#![allow(clippy::needless_range_loop)]

use amrkit_io::Snapshot;
use amrkit_kernels::center::{
    find_center, find_center_files, shrinking_sphere_files, spin, spin_files, Method,
};
use amrkit_kernels::offaxis::{project_view, project_view_streaming, ViewSpec};
use amrkit_kernels::project::{project_streaming, ProjSpec, Weight};
use amrkit_kernels::slice::{slice, slice_table};
use amrkit_kernels::view::{Basis, View};
use amrkit_kernels::{load_cells, CellTable, Exec, Selection};
use amrkit_pool::Pool;
use std::collections::HashMap;
use std::path::PathBuf;

/// The real outputs with a 3D mesh (`AMRKIT_TEST_DATA` or
/// `../shared/data/ramses`, through testkit): `(name, output folder)`.
/// Empty, with the reason printed, when missing; a failure under
/// `CI=true`.
fn outputs() -> Vec<(String, PathBuf)> {
    let Some(root) = testkit::data_root() else {
        return Vec::new();
    };
    let mut v = Vec::new();
    for name in ["gravity", "particles", "sedov3d"] {
        let out = root.join(name).join("output_00002");
        if out.is_dir() {
            v.push((name.to_string(), out));
        }
    }
    assert!(!v.is_empty(), "no outputs under {root:?}");
    v
}

fn pool() -> Pool {
    Pool::builder().num_threads(2).build().unwrap()
}

fn table(s: &Snapshot, exec: &Exec) -> CellTable {
    let vars = ["density", "velocity_x", "velocity_y", "velocity_z"];
    load_cells(s, &Selection::default(), &vars, &[], exec).unwrap()
}

fn boxlen(s: &Snapshot) -> f64 {
    s.info.boxlen
}

/// The views the tests use, scaled to the box: an axis plane on a cell
/// face, oblique ones, a zoom with a north.
fn views(b: f64, res: usize) -> Vec<View> {
    let mk = |c: [f64; 3], basis: Basis, w: f64, depth: Option<f64>| View {
        center: c.map(|x| x * b),
        basis,
        width: [w * b, w * b * 0.75],
        depth: depth.map(|d| d * b),
        pixels: [res, (res * 3) / 4],
    };
    vec![
        mk([0.5; 3], Basis::axis(2), 1.0, None),
        mk([0.5, 0.5, 0.25], Basis::axis(0), 1.0, None),
        mk(
            [0.45, 0.52, 0.5],
            Basis::from_normal([1.0, 2.0, 3.0], None).unwrap(),
            1.2,
            Some(0.3),
        ),
        mk(
            [0.42, 0.5, 0.5],
            Basis::from_normal([-0.3, 0.2, 0.9], Some([1.0, 0.0, 0.0])).unwrap(),
            0.3,
            Some(0.05),
        ),
    ]
}

// ---------------------------------------------------------------- slices

/// The leaf holding `p` by direct lookup: the integer cell of each level
/// in a map of the table, the half-open box of the definition deciding a
/// point on a face.
fn locate(
    t: &CellTable,
    index: &HashMap<(u8, u32, u32, u32), usize>,
    p: [f64; 3],
) -> Option<usize> {
    let b = t.units.boxlen;
    for l in 0..=30u8 {
        let dx = 0.5f64.powi(l as i32);
        let mut ijk = [0u32; 3];
        for d in 0..3 {
            let f = (p[d] / (dx * b)).floor();
            if f.is_nan() || f < 0.0 || f >= (1u64 << l) as f64 {
                return None;
            }
            let mut i = f as u64;
            // Rounding of the division: settle on lo ≤ p < hi.
            if (i as f64 * dx) * b > p[d] {
                i -= 1;
            }
            if ((i + 1) as f64 * dx) * b <= p[d] {
                i += 1;
            }
            ijk[d] = i as u32;
        }
        if let Some(&k) = index.get(&(l, ijk[0], ijk[1], ijk[2])) {
            return Some(k);
        }
    }
    None
}

#[test]
fn slices_are_the_leaf_at_each_pixel_centre() {
    let pool = pool();
    let exec = Exec::on(&pool);
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let t = table(&s, &exec);
        let index: HashMap<_, _> = (0..t.len())
            .map(|k| ((t.level[k], t.ix[k], t.iy[k], t.iz[k]), k))
            .collect();
        let rho = t.column("density").unwrap();
        for view in views(boxlen(&s), 96) {
            let [n, m] = view.pixels;
            let got = slice(&s, &Selection::default(), &view, &["density"], &exec).unwrap();
            let from_table = slice_table(&t, &view, &["density"], &exec).unwrap();
            let got = got.get("density").unwrap();
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                from_table
                    .get("density")
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
                "{name}: streaming and table slices differ"
            );
            let mut nan = 0;
            for j in 0..m {
                for i in 0..n {
                    // The pixel centre.
                    let a = ((i as f64 + 0.5) / n as f64 - 0.5) * view.width[0];
                    let bb = ((j as f64 + 0.5) / m as f64 - 0.5) * view.width[1];
                    let p: [f64; 3] = std::array::from_fn(|d| {
                        view.center[d] + a * view.basis.e1[d] + bb * view.basis.e2[d]
                    });
                    let want = locate(&t, &index, p).map_or(f64::NAN, |k| rho[k]);
                    let g = got[j * n + i];
                    assert!(
                        g.to_bits() == want.to_bits(),
                        "{name} {view:?} pixel ({i}, {j}) at {p:?}: {g} vs {want}"
                    );
                    nan += usize::from(want.is_nan());
                }
            }
            assert!(nan < n * m, "{name}: an empty slice");
        }
    }
}

#[test]
fn a_slice_on_a_cell_face_takes_the_upper_cell_and_reads_few_files() {
    let pool = pool();
    let exec = Exec::on(&pool);
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let b = boxlen(&s);
        let t = table(&s, &exec);
        // z = 0.5 is a face of every cell; the slice is the layer above.
        let view = View::whole_box(&t.units, Basis::axis(2), 64);
        let got = slice_table(&t, &view, &["density"], &exec).unwrap();
        let rho = t.column("density").unwrap();
        let got = got.get("density").unwrap();
        for k in 0..t.len() {
            let dx = t.dx_box(k);
            if t.iz[k] as f64 * dx != 0.5 {
                continue;
            }
            // Its pixels (those whose centre it holds) carry its value.
            let c = t.centre_box(k);
            let (i, j) = ((c[0] * 64.0) as usize, (c[1] * 64.0) as usize);
            if ((i as f64 + 0.5) / 64.0 - c[0]).abs() < 0.5 * dx
                && ((j as f64 + 0.5) / 64.0 - c[1]).abs() < 0.5 * dx
            {
                assert_eq!(got[j * 64 + i], rho[k], "{name}: cell {k}");
            }
        }
        // A plane near the bottom of the box touches fewer CPU files.
        let mut low = view;
        low.center[2] = 0.02 * b;
        let cpus = low.cpus(&s, Some(0.0)).unwrap();
        assert!(
            !cpus.is_empty() && cpus.len() <= s.info.ncpu,
            "{name}: {cpus:?}"
        );
        eprintln!(
            "{name}: the plane z = 0.02 reads CPU files {cpus:?} of {}",
            s.info.ncpu
        );
    }
}

#[test]
fn slices_read_only_the_files_the_plane_crosses() {
    // Each file alone: its cells' pixels appear in the slice only if the
    // file is among those chosen, and every file chosen can matter.
    let pool = pool();
    let exec = Exec::on(&pool);
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let b = boxlen(&s);
        let t = table(&s, &exec);
        // Planes normal to each axis every 1/160 of the box (not on the
        // grid of any level), each through the box centre otherwise.
        let mut fewer = 0;
        for axis in 0..3 {
            for step in 1..160 {
                let z = step as f64 / 160.0;
                let mut view = View::whole_box(&t.units, Basis::axis(axis), 32);
                view.center[axis] = z * b;
                let cpus = view.cpus(&s, Some(0.0)).unwrap();
                fewer += usize::from(cpus.len() < s.info.ncpu);
                let ijk = [&t.ix, &t.iy, &t.iz];
                for (icpu, r) in t.file_ranges() {
                    let crosses = r.clone().any(|k| {
                        let dx = t.dx_box(k) * b;
                        let lo = ijk[axis][k] as f64 * dx;
                        lo <= z * b && z * b < lo + dx
                    });
                    if crosses {
                        assert!(
                            cpus.contains(&icpu),
                            "{name} axis {axis} at {z}: file {icpu} missed"
                        );
                    }
                }
            }
        }
        assert!(fewer > 0, "{name}: every plane reads every file");
        eprintln!(
            "{name}: {fewer} of 477 planes read fewer than all {} files",
            s.info.ncpu
        );
    }
}

// ------------------------------------------------------ off-axis: reference

type P3 = [f64; 3];

fn sub(a: P3, b: P3) -> P3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dotp(a: P3, b: P3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn crossp(a: P3, b: P3) -> P3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// A convex polyhedron as its faces (vertex loops).
type Polyhedron = Vec<Vec<P3>>;

fn cube(lo: P3, hi: P3) -> Polyhedron {
    let v = |x: usize, y: usize, z: usize| {
        [
            if x == 0 { lo[0] } else { hi[0] },
            if y == 0 { lo[1] } else { hi[1] },
            if z == 0 { lo[2] } else { hi[2] },
        ]
    };
    vec![
        vec![v(0, 0, 0), v(0, 1, 0), v(0, 1, 1), v(0, 0, 1)],
        vec![v(1, 0, 0), v(1, 1, 0), v(1, 1, 1), v(1, 0, 1)],
        vec![v(0, 0, 0), v(1, 0, 0), v(1, 0, 1), v(0, 0, 1)],
        vec![v(0, 1, 0), v(1, 1, 0), v(1, 1, 1), v(0, 1, 1)],
        vec![v(0, 0, 0), v(1, 0, 0), v(1, 1, 0), v(0, 1, 0)],
        vec![v(0, 0, 1), v(1, 0, 1), v(1, 1, 1), v(0, 1, 1)],
    ]
}

/// Keeps the part with `a·x ≤ k`: every face clipped, plus the cap made of
/// the new points, ordered by angle around their mean.
fn clip(poly: &Polyhedron, a: P3, k: f64) -> Polyhedron {
    let mut out = Vec::new();
    let mut cap: Vec<P3> = Vec::new();
    for f in poly {
        let mut g = Vec::new();
        for idx in 0..f.len() {
            let p = f[idx];
            let q = f[(idx + 1) % f.len()];
            let (dp, dq) = (dotp(a, p) - k, dotp(a, q) - k);
            if dp <= 0.0 {
                g.push(p);
            }
            if (dp < 0.0 && dq > 0.0) || (dp > 0.0 && dq < 0.0) {
                let t = dp / (dp - dq);
                let x = [
                    p[0] + t * (q[0] - p[0]),
                    p[1] + t * (q[1] - p[1]),
                    p[2] + t * (q[2] - p[2]),
                ];
                g.push(x);
                cap.push(x);
            } else if dp == 0.0 {
                cap.push(p);
            }
        }
        if g.len() >= 3 {
            out.push(g);
        }
    }
    if cap.len() >= 3 {
        let m = cap
            .iter()
            .fold([0.0; 3], |s, p| [s[0] + p[0], s[1] + p[1], s[2] + p[2]]);
        let m = m.map(|v| v / cap.len() as f64);
        let r = sub(cap[0], m);
        let r = if dotp(r, r) > 0.0 { r } else { sub(cap[1], m) };
        let s2 = crossp(a, r);
        cap.sort_by(|p, q| {
            let ang = |x: &P3| dotp(sub(*x, m), s2).atan2(dotp(sub(*x, m), r));
            ang(p).partial_cmp(&ang(q)).unwrap()
        });
        cap.dedup_by(|p, q| dotp(sub(*p, *q), sub(*p, *q)) < 1e-40);
        out.push(cap);
    }
    out
}

/// Volume: tetrahedra from the vertices' mean to each face's fan.
fn volume(poly: &Polyhedron) -> f64 {
    let pts: Vec<P3> = poly.iter().flatten().copied().collect();
    if pts.is_empty() {
        return 0.0;
    }
    let c = pts
        .iter()
        .fold([0.0; 3], |s, p| [s[0] + p[0], s[1] + p[1], s[2] + p[2]]);
    let c = c.map(|v| v / pts.len() as f64);
    let mut v = 0.0;
    for f in poly {
        for k in 1..f.len().saturating_sub(1) {
            let det = dotp(sub(f[0], c), crossp(sub(f[k], c), sub(f[k + 1], c)));
            v += det.abs() / 6.0;
        }
    }
    v
}

/// The definition, directly: Σ over the cells of f·Vol(cell ∩ pixel prism ∩
/// slab) / pixel area, each volume from clipping the cube by the six
/// planes; weighted by ρ when `mass`.
fn reference(t: &CellTable, view: &View, var: &[f64], mass: bool) -> Vec<f64> {
    let b = t.units.boxlen;
    let [n, m] = view.pixels;
    let (pw, ph) = (view.width[0] / n as f64, view.width[1] / m as f64);
    let rho = t.column("density").unwrap();
    let (e1, e2, nn) = (view.basis.e1, view.basis.e2, view.basis.n);
    let mut acc = vec![0.0; n * m];
    let mut wacc = vec![0.0; n * m];
    let l1 = |e: P3| e[0].abs() + e[1].abs() + e[2].abs();
    for k in 0..t.len() {
        let dx = t.dx_box(k) * b;
        let lo: P3 = [
            t.ix[k] as f64 * dx,
            t.iy[k] as f64 * dx,
            t.iz[k] as f64 * dx,
        ];
        let hi: P3 = lo.map(|v| v + dx);
        let mid = sub(lo.map(|v| v + dx / 2.0), view.center);
        let (cu, cv, cs) = (dotp(mid, e1), dotp(mid, e2), dotp(mid, nn));
        if let Some(d) = view.depth {
            if (cs.abs() - dx / 2.0 * l1(nn)) > d / 2.0 {
                continue;
            }
        }
        let iu = |u: f64| ((u + view.width[0] / 2.0) / pw).floor();
        let jv = |v: f64| ((v + view.width[1] / 2.0) / ph).floor();
        let (i0, i1) = (
            iu(cu - dx / 2.0 * l1(e1)).max(0.0),
            iu(cu + dx / 2.0 * l1(e1)).min(n as f64 - 1.0),
        );
        let (j0, j1) = (
            jv(cv - dx / 2.0 * l1(e2)).max(0.0),
            jv(cv + dx / 2.0 * l1(e2)).min(m as f64 - 1.0),
        );
        if i0 > i1 || j0 > j1 {
            continue;
        }
        let c = cube(lo, hi);
        let c = match view.depth {
            Some(d) => {
                let top = dotp(view.center, nn) + d / 2.0;
                let bottom = dotp(view.center, nn) - d / 2.0;
                clip(&clip(&c, nn, top), nn.map(|x| -x), -bottom)
            }
            None => c,
        };
        for j in j0 as usize..=j1 as usize {
            let v0 = -view.width[1] / 2.0 + j as f64 * ph + dotp(view.center, e2);
            let strip = clip(&clip(&c, e2, v0 + ph), e2.map(|x| -x), -v0);
            if strip.is_empty() {
                continue;
            }
            for i in i0 as usize..=i1 as usize {
                let u0 = -view.width[0] / 2.0 + i as f64 * pw + dotp(view.center, e1);
                let piece = clip(&clip(&strip, e1, u0 + pw), e1.map(|x| -x), -u0);
                let vol = volume(&piece);
                let w = if mass { rho[k] } else { 1.0 };
                acc[j * n + i] += var[k] * w * vol / (pw * ph);
                wacc[j * n + i] += w * vol / (pw * ph);
            }
        }
    }
    if mass {
        for (a, w) in acc.iter_mut().zip(&wacc) {
            *a = if *w > 0.0 { *a / w } else { f64::NAN };
        }
    }
    acc
}

/// `|got − want| ≤ rel · scale` per pixel, NaN where `want` is NaN;
/// `scale` defaults to the largest `|want|`.
fn assert_close(name: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_close_to(name, got, want, rel, None)
}

fn assert_close_to(name: &str, got: &[f64], want: &[f64], rel: f64, scale: Option<f64>) {
    assert_eq!(got.len(), want.len(), "{name}");
    let scale = scale.unwrap_or_else(|| {
        want.iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |s, v| s.max(v.abs()))
    });
    for (q, (g, w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "{name}: pixel {q}: {g} vs NaN");
            continue;
        }
        assert!(
            (g - w).abs() <= rel * scale,
            "{name}: pixel {q}: {g} vs {w} (scale {scale})"
        );
    }
}

#[test]
fn off_axis_maps_are_the_exact_volumes_of_each_cell() {
    let pool = pool();
    let exec = Exec::on(&pool);
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let b = boxlen(&s);
        let t = table(&s, &exec);
        // Zoomed views with cells larger and smaller than a pixel, a slab
        // that cuts cells, and a whole-box one.
        let vs = [
            View {
                center: [0.43 * b, 0.51 * b, 0.49 * b],
                basis: Basis::from_normal([0.4, -0.7, 1.1], Some([0.2, 1.0, 0.1])).unwrap(),
                width: [0.1 * b, 0.08 * b],
                depth: Some(0.06 * b),
                pixels: [9, 7],
            },
            View {
                center: [0.5 * b, 0.5 * b, 0.5 * b],
                basis: Basis::from_normal([1.0, 1.0, 1.0], None).unwrap(),
                width: [1.5 * b, 1.5 * b],
                depth: None,
                pixels: [6, 5],
            },
            View {
                center: [0.6 * b, 0.55 * b, 0.47 * b],
                basis: Basis::edge_on([0.1, 0.3, -0.9]).unwrap(),
                width: [0.05 * b, 0.05 * b],
                depth: Some(0.004 * b),
                pixels: [3, 4],
            },
        ];
        for view in vs {
            for (var, weight) in [("density", Weight::None), ("velocity_x", Weight::Mass)] {
                let spec = ViewSpec {
                    view,
                    vars: vec![var.to_string()],
                    weight,
                };
                let got = project_view_streaming(&s, &Selection::default(), &spec, &exec).unwrap();
                let want = reference(&t, &view, t.column(var).unwrap(), weight == Weight::Mass);
                assert_close(
                    &format!("{name} {var} {view:?}"),
                    got.get(var).unwrap(),
                    &want,
                    1e-10,
                );
                let in_memory = project_view(&t, &spec, &exec).unwrap();
                assert_close(
                    &format!("{name} table"),
                    in_memory.get(var).unwrap(),
                    &want,
                    1e-10,
                );
            }
        }
    }
}

// ------------------------------------------------- axis-aligned equivalence

#[test]
fn normals_along_the_axes_are_the_axis_aligned_projections() {
    let pool = pool();
    let exec = Exec::on(&pool);
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let b = boxlen(&s);
        let s_table = table(&s, &exec);
        let bases = [
            (
                0,
                Basis::from_normal([1.0, 0.0, 0.0], Some([0.0, 0.0, 1.0])).unwrap(),
            ),
            (
                1,
                Basis::from_normal([0.0, 1.0, 0.0], Some([1.0, 0.0, 0.0])).unwrap(),
            ),
            (2, Basis::from_normal([0.0, 0.0, 1.0], None).unwrap()),
        ];
        // The whole box, and a zoom with a depth that cuts cells.
        let ranges: [[[f64; 2]; 3]; 2] =
            [[[0.0, 1.0]; 3], [[0.31, 0.73], [0.2, 0.62], [0.405, 0.552]]];
        for (axis, basis) in bases {
            for range in ranges {
                for weight in [Weight::None, Weight::Mass, Weight::Volume] {
                    let mut spec =
                        ProjSpec::whole_box(axis, 100, &["density", "velocity_x"], weight);
                    spec.range = range;
                    let (a, bb) = spec.image_axes();
                    let want = project_streaming(&s, &Selection::default(), &spec, &exec).unwrap();
                    let whole = range == [[0.0, 1.0]; 3];
                    let view = View {
                        center: std::array::from_fn(|d| (range[d][0] + range[d][1]) / 2.0 * b),
                        basis,
                        width: [
                            (range[a][1] - range[a][0]) * b,
                            (range[bb][1] - range[bb][0]) * b,
                        ],
                        depth: (!whole).then(|| (range[axis][1] - range[axis][0]) * b),
                        pixels: [100, 100],
                    };
                    let vs = ViewSpec {
                        view,
                        vars: vec!["density".into(), "velocity_x".into()],
                        weight,
                    };
                    let got =
                        project_view_streaming(&s, &Selection::default(), &vs, &exec).unwrap();
                    for v in ["density", "velocity_x"] {
                        // Velocities cancel along a column (sedov3d's are
                        // zero up to rounding): the scale is that of the
                        // integral of |f| (or |f| for a mean).
                        let fmax = s_table
                            .column(v)
                            .unwrap()
                            .iter()
                            .fold(0.0f64, |a, x| a.max(x.abs()));
                        let scale = match (v, weight) {
                            ("density", _) => None,
                            (_, Weight::None) => Some(fmax * (range[axis][1] - range[axis][0]) * b),
                            _ => Some(fmax),
                        };
                        let w = want.get(v).unwrap();
                        let g = got.get(v).unwrap();
                        // The axis path writes 0 where no weight is.
                        let w: Vec<f64> = w
                            .iter()
                            .zip(g)
                            .map(|(&x, &y)| if y.is_nan() && x == 0.0 { f64::NAN } else { x })
                            .collect();
                        let what = format!("{name} axis {axis} {weight:?} {v} {range:?}");
                        assert_close_to(&what, g, &w, 1e-12, scale);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------- conservation

fn total_mass(t: &CellTable) -> f64 {
    let rho = t.column("density").unwrap();
    (0..t.len()).map(|k| rho[k] * t.volume(k)).sum()
}

fn projected_mass(s: &Snapshot, view: View, exec: &Exec) -> f64 {
    let spec = ViewSpec {
        view,
        vars: vec!["density".into()],
        weight: Weight::None,
    };
    let maps = project_view_streaming(s, &Selection::default(), &spec, exec).unwrap();
    maps.get("density").unwrap().iter().sum::<f64>() * maps.pixel_area
}

#[test]
fn mass_is_conserved_for_oblique_views() {
    let pool = pool();
    let exec = Exec::on(&pool);
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let t = table(&s, &exec);
        let m = total_mass(&t);
        let b = boxlen(&s);
        // Pixels larger and (at 400) much smaller than the cells; normals
        // with components of both signs.
        for (n, res) in [
            ([1.0, 2.0, 3.0], 64),
            ([0.0, 0.001, 1.0], 50),
            ([-1.0, 1.0, 0.0], 17),
            ([-1.0, 2.0, -3.0], 400),
        ] {
            let mut view = View::whole_box(&t.units, Basis::from_normal(n, None).unwrap(), res);
            view.width = [1.8 * b, 1.8 * b];
            let got = projected_mass(&s, view, &exec);
            assert!(((got - m) / m).abs() < 1e-12, "{name} {n:?}: {got} vs {m}");
        }
    }
}

mod random_orientations {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
        #[test]
        fn mass_is_conserved(
            nx in -1.0f64..1.0, ny in -1.0f64..1.0, nz in -1.0f64..1.0,
            ux in -1.0f64..1.0, uy in -1.0f64..1.0, uz in -1.0f64..1.0,
            res in 3usize..40,
        ) {
            let n = [nx, ny, nz];
            let u = [ux, uy, uz];
            let len = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            prop_assume!(len(n) > 0.1 && len(u) > 0.1);
            let c = crossp(n, u);
            prop_assume!(len(c) > 0.05 * len(n) * len(u));
            let Some((_, out)) = outputs().into_iter().next() else { return Ok(()); };
            let pool = Pool::builder().num_threads(2).build().unwrap();
            let exec = Exec::on(&pool);
            let s = Snapshot::open(&out).unwrap();
            let t = table(&s, &exec);
            let m = total_mass(&t);
            let b = boxlen(&s);
            let mut view = View::whole_box(&t.units, Basis::from_normal(n, Some(u)).unwrap(), res);
            view.width = [1.75 * b, 1.75 * b];
            view.pixels = [res, res + 3];
            let got = projected_mass(&s, view, &exec);
            prop_assert!(((got - m) / m).abs() < 1e-12, "{:?}: {} vs {}", n, got, m);
        }
    }
}

// --------------------------------------------------------------- centres

fn centre_of(t: &CellTable, k: usize) -> [f64; 3] {
    let b = t.units.boxlen;
    t.centre_box(k).map(|x| x * b)
}

fn direct_com(t: &CellTable, keep: impl Fn([f64; 3]) -> bool) -> ([f64; 3], usize) {
    let rho = t.column("density").unwrap();
    let (mut m, mut mx, mut n) = (0.0, [0.0; 3], 0);
    for k in 0..t.len() {
        let x = centre_of(t, k);
        if !keep(x) {
            continue;
        }
        let mk = rho[k] * t.volume(k);
        m += mk;
        for d in 0..3 {
            mx[d] += mk * x[d];
        }
        n += 1;
    }
    (mx.map(|v| v / m), n)
}

fn dist2(a: [f64; 3], b: [f64; 3]) -> f64 {
    (0..3).map(|d| (a[d] - b[d]).powi(2)).sum()
}

#[test]
fn centres_found_a_file_at_a_time_are_the_table_s_bits() {
    // `densest`, `com` and `ssc` reduce one CPU file at a time: the same
    // bits as on a table of every file, for the whole box and for a box
    // region, at 1 and 2 threads.
    let pool = pool();
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let region = amrkit_kernels::select::Region::Box {
            lo: [0.1, 0.2, 0.0],
            hi: [0.7, 0.9, 0.6],
        };
        for sel in [
            Selection::default(),
            Selection {
                region: Some(region),
                ..Selection::default()
            },
        ] {
            let t = load_cells(&s, &sel, &["density"], &[], &Exec::on(&pool)).unwrap();
            for m in [Method::Densest, Method::Com, Method::Ssc] {
                let want = find_center(&t, m, &Exec::on(&pool)).unwrap();
                for threads in [1, 2] {
                    let exec = Exec {
                        max_threads: Some(threads),
                        ..Exec::on(&pool)
                    };
                    let got = find_center_files(&s, &sel, m, &exec).unwrap();
                    assert_eq!(
                        got.map(f64::to_bits),
                        want.map(f64::to_bits),
                        "{name} {m:?} {:?} at {threads} threads",
                        sel.region
                    );
                }
            }
        }
    }
}

#[test]
fn centres_match_direct_sums() {
    let pool = pool();
    let exec = Exec::on(&pool);
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let t = table(&s, &exec);
        let b = boxlen(&s);
        let rho = t.column("density").unwrap();
        // densest: the first maximum.
        let mut best = 0;
        for k in 1..t.len() {
            if rho[k] > rho[best] {
                best = k;
            }
        }
        assert_eq!(
            find_center(&t, Method::Densest, &exec).unwrap(),
            centre_of(&t, best),
            "{name}"
        );
        let (com, _) = direct_com(&t, |_| true);
        let got = find_center(&t, Method::Com, &exec).unwrap();
        assert!(
            dist2(got, com).sqrt() < 1e-12 * b,
            "{name}: com {got:?} vs {com:?}"
        );
        // ssc: the algorithm written out plainly.
        let mut c = com;
        let mut r = 0.5 * b;
        loop {
            let (next, n) = direct_com(&t, |x| dist2(x, c) <= r * r);
            if n < 100 {
                break;
            }
            c = next;
            r *= 0.7;
        }
        let got = find_center(&t, Method::Ssc, &exec).unwrap();
        assert!(
            dist2(got, c).sqrt() < 1e-12 * b,
            "{name}: ssc {got:?} vs {c:?}"
        );
        eprintln!(
            "{name}: densest {:?} com {com:?} ssc {c:?}",
            centre_of(&t, best)
        );
        // L within R about the ssc centre.
        let radius = 0.2 * b;
        let sp = spin(&t, None, c, radius, &exec).unwrap();
        let v = [
            t.column("velocity_x").unwrap(),
            t.column("velocity_y").unwrap(),
            t.column("velocity_z").unwrap(),
        ];
        let (mut m, mut mv, mut cells) = (0.0, [0.0; 3], 0);
        for k in 0..t.len() {
            if dist2(centre_of(&t, k), c) <= radius * radius {
                let mk = rho[k] * t.volume(k);
                m += mk;
                for d in 0..3 {
                    mv[d] += mk * v[d][k];
                }
                cells += 1;
            }
        }
        let vb = mv.map(|x| x / m);
        // Scales: the mean |v| and mean |x − c||v| (bulk velocities and L
        // cancel to rounding in symmetric runs).
        let (mut sv, mut sl) = (0.0, 0.0);
        for k in 0..t.len() {
            let x = centre_of(&t, k);
            if dist2(x, c) <= radius * radius {
                let mk = rho[k] * t.volume(k);
                let speed = (v[0][k].powi(2) + v[1][k].powi(2) + v[2][k].powi(2)).sqrt();
                sv += mk * speed / m;
                sl += mk * speed * dist2(x, c).sqrt() / m;
            }
        }
        let mut l = [0.0; 3];
        for k in 0..t.len() {
            let x = centre_of(&t, k);
            if dist2(x, c) <= radius * radius {
                let mk = rho[k] * t.volume(k);
                let lk = crossp(
                    sub(x, c),
                    [v[0][k] - vb[0], v[1][k] - vb[1], v[2][k] - vb[2]],
                );
                for d in 0..3 {
                    l[d] += mk * lk[d];
                }
            }
        }
        let l = l.map(|x| x / m);
        assert_eq!(sp.cells, cells, "{name}");
        let norm = dotp(l, l).sqrt();
        for d in 0..3 {
            assert!(
                (sp.bulk_velocity[d] - vb[d]).abs() <= 1e-12 * sv,
                "{name}: v_bulk {:?} vs {vb:?}",
                sp.bulk_velocity
            );
            assert!(
                (sp.l[d] - l[d]).abs() <= 1e-12 * sl,
                "{name}: L {:?} vs {l:?}",
                sp.l
            );
            if norm > 1e-6 * sl {
                assert!((sp.l_hat[d] - l[d] / norm).abs() <= 1e-9, "{name}: L̂");
            }
        }
    }
}

#[test]
fn the_gravity_spheres_orbit_about_z_and_face_on_shows_them() {
    // Sphere A moves +y at x = 0.42, sphere B −y at x = 0.62 (README of
    // the data): about their centre of mass (−x̂)×(+ŷ) and (+x̂)×(−ŷ) are
    // both −ẑ, so L points to −z.
    let pool = pool();
    let exec = Exec::on(&pool);
    let Some((_, out)) = outputs().into_iter().find(|(n, _)| n == "gravity") else {
        return;
    };
    let s = Snapshot::open(&out).unwrap();
    let t = table(&s, &exec);
    let c = find_center(&t, Method::Com, &exec).unwrap();
    let sp = spin(&t, None, c, 0.5, &exec).unwrap();
    assert!(sp.l_hat[2] < -0.5, "{:?}", sp.l_hat);
}

#[test]
fn off_axis_bits_depend_neither_on_threads_nor_on_streaming() {
    let pool = Pool::builder().num_threads(3).build().unwrap();
    for (name, out) in outputs() {
        let s = Snapshot::open(&out).unwrap();
        let b = boxlen(&s);
        let spec = ViewSpec {
            view: View {
                center: [0.47 * b, 0.5 * b, 0.52 * b],
                basis: Basis::from_normal([0.3, -1.0, 0.6], None).unwrap(),
                width: [0.9 * b, 0.7 * b],
                depth: Some(0.5 * b),
                pixels: [120, 90],
            },
            vars: vec!["density".into(), "velocity_y".into()],
            weight: Weight::Mass,
        };
        let bits = |m: &amrkit_kernels::project::Maps| -> Vec<u64> {
            m.maps
                .iter()
                .flat_map(|(_, v)| v.iter().map(|x| x.to_bits()))
                .collect()
        };
        let mut seen = None;
        for k in [1, 2, 3] {
            let exec = Exec::on(&pool).max_threads(k);
            let streamed = project_view_streaming(&s, &Selection::default(), &spec, &exec).unwrap();
            let vars = ["density", "velocity_y"];
            // The cells streaming reads: those near the view's box.
            let units = amrkit_kernels::Units::from_info(&s.info);
            let sel = spec.view.selection(&units, s.info.levelmin, None, None);
            let t = load_cells(&s, &sel, &vars, &[], &exec).unwrap();
            let loaded = project_view(&t, &spec, &exec).unwrap();
            assert_eq!(bits(&streamed), bits(&loaded), "{name}: {k} threads");
            let b = bits(&streamed);
            if let Some(prev) = &seen {
                assert_eq!(prev, &b, "{name}: {k} threads");
            }
            seen = Some(b);
        }
    }
}

#[test]
fn bad_views_are_one_line_errors() {
    use amrkit_kernels::center::Center;
    use amrkit_kernels::view_request::{resolve_view, Orientation, ViewArgs};
    let pool = pool();
    let exec = Exec::on(&pool);
    let Some((_, out)) = outputs().into_iter().next() else {
        return;
    };
    let s = Snapshot::open(&out).unwrap();
    let b = boxlen(&s);
    let args = |center, orientation| ViewArgs {
        center,
        orientation,
        width: None,
        depth: None,
        res: 16,
        particles: Vec::new(),
        lmax: None,
    };
    let err = |a: ViewArgs| resolve_view(&s, &a, None, &exec).unwrap_err().to_string();
    let one_line = |e: &str, want: &str| {
        assert!(
            !e.contains('\n') && e.contains(want),
            "{e:?} lacks {want:?}"
        )
    };
    // A sphere holding no cell centre: no mass, no L.
    one_line(
        &err(args(
            Some(Center::At([0.5 * b + 1e-9; 3])),
            Orientation::FaceOn(1e-6 * b),
        )),
        "--face-on",
    );
    one_line(
        &err(args(
            Some(Center::At([0.5 * b, 0.5 * b, 2.0 * b])),
            Orientation::Axis(2),
        )),
        "outside the box",
    );
    one_line(
        &err(args(
            None,
            Orientation::Normal {
                normal: [0.0; 3],
                north: None,
            },
        )),
        "--normal",
    );
    one_line(
        &err(args(
            None,
            Orientation::Normal {
                normal: [1.0, 0.0, 0.0],
                north: Some([-2.0, 0.0, 0.0]),
            },
        )),
        "parallel",
    );
    // A plane on the box's top face: no pixel centre is inside.
    let u = amrkit_kernels::Units::from_info(&s.info);
    let mut top = View::whole_box(&u, Basis::axis(2), 8);
    top.center[2] = b;
    let e = slice(&s, &Selection::default(), &top, &["density"], &exec)
        .unwrap_err()
        .to_string();
    one_line(&e, "misses the box");
}

#[test]
fn face_on_and_edge_on_views_use_the_spin_axis() {
    use amrkit_kernels::center::{Center, Method};
    use amrkit_kernels::view_request::{resolve_view, Orientation, ViewArgs};
    let pool = pool();
    let exec = Exec::on(&pool);
    let Some((_, out)) = outputs().into_iter().find(|(n, _)| n == "gravity") else {
        return;
    };
    let s = Snapshot::open(&out).unwrap();
    for (o, face) in [
        (Orientation::FaceOn(0.3), true),
        (Orientation::EdgeOn(0.3), false),
    ] {
        let r = resolve_view(
            &s,
            &ViewArgs {
                center: Some(Center::Method(Method::Com)),
                orientation: o,
                width: Some([0.6, 0.4]),
                depth: None,
                res: 30,
                particles: Vec::new(),
                lmax: None,
            },
            None,
            &exec,
        )
        .unwrap();
        let l = r.spin.unwrap().l_hat;
        let axis = if face {
            r.view.basis.n
        } else {
            r.view.basis.e2
        };
        assert!(dotp(axis, l) > 1.0 - 1e-12, "{axis:?} vs {l:?}");
        assert_eq!(r.view.pixels, [30, 20]);
    }
}

// ------------------------------------- slices: the files read (synthetic)

/// What a kernel reports through [`Progress`]: each step's total and the
/// units done, so a test sees how many CPU files a slice read.
#[derive(Default)]
struct Reported {
    steps: std::sync::Mutex<Vec<(String, u64)>>,
    done: std::sync::atomic::AtomicU64,
}

impl amrkit_kernels::Progress for Reported {
    fn start(&self, what: &str, total: u64) {
        self.steps.lock().unwrap().push((what.to_string(), total));
    }
    fn advance(&self, n: u64) {
        self.done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
    fn finish(&self) {}
}

/// The files docs/views.md says a plane needs, found by brute force: every
/// cube of side `2^-(levelmin+1)` (box units) whose extent along each view
/// axis, widened by `2^-levelmin` per box axis, meets the window's
/// rectangle on the plane; the files whose Hilbert key ranges touch one.
fn files_the_plane_needs(s: &Snapshot, view: &View) -> Vec<usize> {
    let keys = s.bound_keys().unwrap().expect("a Hilbert-ordered output");
    let (lmin, bits) = (s.info.levelmin, s.info.levelmax + 1);
    let level = lmin + 1;
    let n = 1u64 << level;
    let size = 1.0 / n as f64;
    let pad = 0.5f64.powi(lmin as i32);
    let b = boxlen(s);
    let axes = [view.basis.e1, view.basis.e2, view.basis.n];
    let half = [view.width[0] / 2.0 / b, view.width[1] / 2.0 / b, 0.0];
    let c = view.center.map(|x| x / b);
    let shift = 3 * (bits - level);
    let mut need = vec![false; s.info.ncpu];
    for x in 0..n {
        for y in 0..n {
            for z in 0..n {
                let mid = [x, y, z]
                    .iter()
                    .zip(c)
                    .map(|(&i, c)| (i as f64 + 0.5) * size - c)
                    .collect::<Vec<_>>();
                let meets = (0..3).all(|k| {
                    let a = axes[k];
                    let along = (mid[0] * a[0] + mid[1] * a[1] + mid[2] * a[2]).abs();
                    let reach = a[0].abs() + a[1].abs() + a[2].abs();
                    along <= half[k] + (0.5 * size + pad) * reach
                });
                if !meets {
                    continue;
                }
                let key = amrkit_io::hilbert::key3d(x, y, z, level);
                let (k0, k1) = (key << shift, (key + 1) << shift);
                for (f, hit) in need.iter_mut().enumerate() {
                    *hit |= keys[f] < k1 && keys[f + 1] > k0;
                }
            }
        }
    }
    (1..=s.info.ncpu).filter(|&f| need[f - 1]).collect()
}

#[test]
fn slices_of_a_many_file_output_read_only_the_files_the_plane_needs() {
    // 48 CPU files: each plane needs a few of them. The count read is what
    // the slice reports (one unit per file it decodes), so reading any file
    // more than the rule names (a slab instead of the plane, a wider walk,
    // every file of the window) fails here; that every file with a cell on
    // the plane is among them is `slices_read_only_the_files_the_plane_crosses`.
    let tmp = tempfile::tempdir().unwrap();
    let plan = amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
        ncpu: 48,
        levelmin: 4,
        levelmax: 6,
        n_dm: 0,
        n_star: 0,
        ..Default::default()
    })
    .unwrap();
    let out = plan.output_dir(tmp.path());
    plan.write(&out).unwrap();
    let s = Snapshot::open(&out).unwrap();
    let pool = pool();
    let b = boxlen(&s);
    let units = amrkit_kernels::Units::from_info(&s.info);
    let mut planes = Vec::new();
    for axis in 0..3 {
        for step in 0..16 {
            let mut view = View::whole_box(&units, Basis::axis(axis), 24);
            view.center[axis] = (step as f64 + 0.37) / 16.0 * b;
            planes.push(view);
        }
    }
    for (normal, z) in [([1.0, 2.0, 3.0], 0.3), ([-0.4, 0.1, 1.0], 0.62)] {
        let mut view = View::whole_box(&units, Basis::from_normal(normal, None).unwrap(), 24);
        view.center[2] = z * b;
        view.width = [0.4 * b, 0.3 * b];
        planes.push(view);
    }
    let mut fewer = 0;
    for view in &planes {
        let need = files_the_plane_needs(&s, view);
        assert_eq!(view.cpus(&s, Some(0.0)).unwrap(), need, "{view:?}");
        let seen = Reported::default();
        let exec = Exec {
            progress: Some(&seen),
            ..Exec::on(&pool)
        };
        slice(&s, &Selection::default(), view, &["density"], &exec).unwrap();
        let steps = seen.steps.lock().unwrap().clone();
        let read = seen.done.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(
            (steps, read),
            (
                vec![("slice".to_string(), need.len() as u64)],
                need.len() as u64
            ),
            "centre {:?} normal {:?}: files read",
            view.center,
            view.basis.n
        );
        fewer += usize::from(need.len() < s.info.ncpu / 2);
    }
    assert!(
        fewer * 2 > planes.len(),
        "most planes should need fewer than half the files ({fewer} of {})",
        planes.len()
    );
}

/// The bits of every figure of a [`Spin`].
fn spin_bits(s: &amrkit_kernels::center::Spin) -> Vec<u64> {
    let mut v: Vec<u64> = [s.center, s.bulk_velocity, s.l, s.l_hat]
        .iter()
        .flat_map(|a| a.map(f64::to_bits))
        .collect();
    v.extend([s.radius.to_bits(), s.mass.to_bits()]);
    v.extend([s.cells as u64, s.particles as u64]);
    v
}

#[test]
fn ssc_and_spin_a_file_at_a_time_are_the_table_s_bits() {
    // The shrinking sphere from the files (its spheres summed again from
    // the files when the cache budget is 0, from the cache when it holds
    // every cell, and both on the way with budgets in between) and `L`
    // in two passes over the files give the bits of the table versions,
    // at 1 and 2 threads, on the shared outputs (4 files each) and on a
    // synthetic one of 16 files with particles. (Here no sphere leaves the
    // ball of a cache held: that test is the unit test
    // `a_cache_sums_the_spheres_inside_its_ball_as_the_table_does`.)
    let tmp = tempfile::tempdir().unwrap();
    let plan = amrkit_io::SynthPlan::new(amrkit_io::SynthSpec {
        ncpu: 16,
        levelmin: 4,
        levelmax: 7,
        n_dm: 3000,
        n_star: 500,
        ..Default::default()
    })
    .unwrap();
    let synth = plan.output_dir(tmp.path());
    plan.write(&synth).unwrap();
    let mut outs = outputs();
    outs.push(("synthetic".into(), synth));
    let pool = pool();
    for (name, out) in outs {
        let s = Snapshot::open(&out).unwrap();
        let t = table(&s, &Exec::on(&pool));
        let want = find_center(&t, Method::Ssc, &Exec::on(&pool)).unwrap();
        for threads in [1, 2] {
            let exec = Exec {
                max_threads: Some(threads),
                ..Exec::on(&pool)
            };
            // Chunks reserve up to twice what they hold (64 cells at least):
            // the last budget keeps every cell in the first pass.
            let mut budgets: Vec<usize> = (1..8).map(|k| t.len() >> k).collect();
            budgets.extend([0, 2 * t.len() + 4096]);
            for budget in budgets {
                let sel = Selection::default();
                let run = shrinking_sphere_files(&s, &sel, budget, &exec).unwrap();
                assert_eq!(
                    run.center.map(f64::to_bits),
                    want.map(f64::to_bits),
                    "{name}: budget {budget} at {threads} threads: {run:?}"
                );
                eprintln!("{name}: budget {budget} of {} cells: {run:?}", t.len());
                if budget == 0 {
                    assert_eq!(run.from_cache, 0, "{name}: {run:?}");
                }
                if budget > t.len() {
                    assert_eq!(run.passes, 1, "{name}: {run:?}");
                }
            }
            spins_a_file_at_a_time_are_the_table_s_bits(&name, &s, want, &exec);
        }
    }
}

/// `L` about `c` (radii 0.05, 0.2 and 0.6 box) from the files equals
/// [`spin`] on the tables of the same selection (the whole box, or the
/// sphere as `amrkit` reads it), gas alone and with the particles of every
/// family or of the stars.
fn spins_a_file_at_a_time_are_the_table_s_bits(name: &str, s: &Snapshot, c: [f64; 3], exec: &Exec) {
    use amrkit_kernels::center::SPIN_PARTICLE_FIELDS;
    let b = boxlen(s);
    let vars = ["density", "velocity_x", "velocity_y", "velocity_z"];
    for radius in [0.05 * b, 0.2 * b, 0.6 * b] {
        let sphere = Selection {
            region: Some(amrkit_kernels::select::Region::Sphere {
                centre: c.map(|x| x / b),
                radius: radius / b,
            }),
            ..Selection::default()
        };
        for sel in [Selection::default(), sphere] {
            let t = load_cells(s, &sel, &vars, &[], exec).unwrap();
            let mut cases: Vec<Option<&[i8]>> = vec![None];
            if s.has_particles {
                cases.extend([Some(&[][..]), Some(&[2][..])]);
            }
            for fams in cases {
                let p = fams.map(|_| {
                    amrkit_kernels::load_particles(s, &sel, &SPIN_PARTICLE_FIELDS, exec).unwrap()
                });
                let set = p.as_ref().zip(fams);
                let want = spin(&t, set, c, radius, exec).unwrap();
                let got = spin_files(s, &sel, fams, c, radius, exec).unwrap();
                assert_eq!(
                    spin_bits(&got),
                    spin_bits(&want),
                    "{name}: r {radius} {fams:?} {:?}: {got:?} vs {want:?}",
                    sel.region
                );
                if fams.is_some() {
                    assert!(want.particles > 0, "{name}: r {radius} {fams:?}");
                }
            }
        }
    }
}
