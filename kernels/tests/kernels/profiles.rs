//! Profiles and phase diagrams on the shared real outputs, against a
//! straightforward computation of their stated definitions over the loaded
//! cells (a loop and direct binning, written here apart from the kernels).
//!
//! The edge rule: a cell whose binned coordinate lies within 1e-9
//! (relative) of an edge may land in either neighbouring bin; then the
//! reference takes the kernel's choice (checked to be one of the two).
//! Every other cell must be exactly where the reference puts it.

use amrkit_io::Snapshot;
use amrkit_kernels::phase::{phase, AxisSpec, Phase, PhaseSpec, Scale, Slot};
use amrkit_kernels::profile::{
    periods, profile, Place, Profile, ProfilePlan, ProfileSpec, Shape, Spacing,
};
use amrkit_kernels::project::Weight;
use amrkit_kernels::temperature::{temperature, DEFAULT_MU};
use amrkit_kernels::{load_cells, CellTable, Exec, Selection};
use amrkit_pool::Pool;
use std::path::PathBuf;

/// `<run>/output_00002` under the shared data root; `None` (printed)
/// when missing, a failure under `CI=true`.
fn output(run: &str) -> Option<PathBuf> {
    let o = testkit::data_root()?.join(run).join("output_00002");
    if o.is_dir() {
        return Some(o);
    }
    let msg = format!("real output {} not found", o.display());
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{msg}: required under CI=true"
    );
    eprintln!("SKIPPED: {msg}");
    None
}

/// Every cell of `run` with density, pressure, velocity_x and the
/// temperature in K (µ = 0.6).
fn cells(run: &str, exec: &Exec) -> Option<(Snapshot, CellTable)> {
    let snap = Snapshot::open(output(run)?).unwrap();
    let vars = ["density", "pressure", "velocity_x"];
    let mut t = load_cells(&snap, &Selection::default(), &vars, &[], exec).unwrap();
    let (rho, p) = (t.column("density").unwrap(), t.column("pressure").unwrap());
    let temp = temperature(&t.units, rho, p, DEFAULT_MU, exec);
    t.names.push("temperature".into());
    t.columns.push(temp);
    Some((snap, t))
}

/// Relative closeness (absolute near zero, against `scale`).
/// A compensated running sum (Neumaier's variant of Kahan's).
#[derive(Clone, Copy, Default)]
struct Neumaier {
    sum: f64,
    carry: f64,
}

impl Neumaier {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.carry += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn sum(&self) -> f64 {
        self.sum + self.carry
    }
}

/// Relative tolerance of sums, means and masses against the compensated
/// references: 1e-14, where the kernel's compensated sums land within
/// 4e-16 on the shared outputs and plain running sums (the mutation that
/// drops the carry) miss by up to 4e-13.
const SUM_TOL: f64 = 1e-14;

fn close(a: f64, b: f64, scale: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * scale.abs().max(a.abs()).max(b.abs())
}

// ---------------------------------------------------------------- profiles

/// The cell centre in code units, from the integer coordinates.
fn centre(t: &CellTable, k: usize) -> [f64; 3] {
    let dx = t.units.boxlen / 2f64.powi(t.level[k] as i32);
    [
        (t.ix[k] as f64 + 0.5) * dx,
        (t.iy[k] as f64 + 0.5) * dx,
        (t.iz[k] as f64 + 0.5) * dx,
    ]
}

/// The reference distance of a point: minimum image with `round`, then a
/// plain norm (of the rejection from the axis, for a cylinder).
fn ref_distance(spec: &ProfileSpec, x: [f64; 3]) -> Option<f64> {
    let mut s = [0.0; 3];
    for d in 0..3 {
        s[d] = x[d] - spec.center[d];
        if let Some(l) = spec.period[d] {
            s[d] -= l * (s[d] / l).round();
        }
    }
    let norm = |v: [f64; 3]| (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    match spec.shape {
        Shape::Sphere => Some(norm(s)),
        Shape::Cylinder { normal, height } => {
            let n = normal.map(|v| v / norm(normal));
            let h = s[0] * n[0] + s[1] * n[1] + s[2] * n[2];
            (h.abs() <= height / 2.0).then(|| norm([0, 1, 2].map(|d| s[d] - h * n[d])))
        }
    }
}

/// The reference row of each cell: `Some(k)` bin, `Some(N)` inside r0,
/// `Some(N + 1)` on R, `None` not selected; with the kernel's choice taken
/// for cells within 1e-9 of an edge (checked to be a neighbour).
fn ref_rows(
    t: &CellTable,
    spec: &ProfileSpec,
    plan: &ProfilePlan,
) -> (Vec<f64>, Vec<Option<usize>>) {
    let n = spec.bins;
    let r1 = spec.radius;
    let r: Vec<Option<f64>> = (0..t.len())
        .map(|k| ref_distance(spec, centre(t, k)))
        .collect();
    let r0 = spec.rmin.unwrap_or_else(|| {
        (0..t.len())
            .filter(|&k| r[k].is_some_and(|d| d <= r1))
            .map(|k| t.units.boxlen / 2f64.powi(t.level[k] as i32))
            .fold(f64::INFINITY, f64::min)
    });
    let edges: Vec<f64> = (0..=n)
        .map(|k| match spec.spacing {
            Spacing::Log => (r0.ln() + (r1.ln() - r0.ln()) * k as f64 / n as f64).exp(),
            Spacing::Lin => r0 + (r1 - r0) * (k as f64 / n as f64),
        })
        .collect();
    // The definition's ends are r0 and R themselves.
    let mut edges = edges;
    edges[0] = r0;
    edges[n] = r1;
    let mut ambiguous = 0;
    let rows = (0..t.len())
        .map(|k| {
            let want = match r[k] {
                None => None,
                Some(d) if d > r1 => None,
                Some(d) if d == r1 => Some(n + 1),
                Some(d) if d < r0 => Some(n),
                Some(d) => Some(edges.partition_point(|&e| e <= d) - 1),
            };
            let got = match plan.place_cell(t, k) {
                Place::Out => None,
                Place::Bin(i) => Some(i),
                Place::Inside => Some(n),
                Place::Beyond => Some(n + 1),
            };
            let near = r[k].is_some_and(|d| edges.iter().any(|&e| (d - e).abs() <= 1e-9 * e));
            if near {
                ambiguous += 1;
                // Either neighbour of the edge (bins, inside r0, on R).
                let idx = |x: Option<usize>| match x {
                    Some(i) if i == n => -1i64,
                    Some(i) if i == n + 1 => n as i64,
                    Some(i) => i as i64,
                    None => n as i64,
                };
                assert!(
                    (idx(got) - idx(want)).abs() <= 1,
                    "cell {k}: {got:?} vs {want:?}"
                );
                got
            } else {
                assert_eq!(got, want, "cell {k} at r = {:?}", r[k]);
                want
            }
        })
        .collect();
    eprintln!("{} cells, {ambiguous} within 1e-9 of an edge", t.len());
    (edges, rows)
}

/// Checks `p` against the reference definition over the cells of `t`.
fn check_profile(t: &CellTable, spec: &ProfileSpec, vars: &[&str], p: &Profile) {
    let n = spec.bins;
    let plan = ProfilePlan::new(spec, p.edges[0]).unwrap();
    let (edges, rows) = ref_rows(t, spec, &plan);
    for (a, b) in p.edges.iter().zip(&edges) {
        assert!(close(*a, *b, 0.0, 1e-12), "edge {a} vs {b}");
    }
    let rho = t.column("density").unwrap();
    let vol = |k: usize| (t.units.boxlen / 2f64.powi(t.level[k] as i32)).powi(3);
    let w = |k: usize| match spec.weight {
        Weight::Mass => rho[k] * vol(k),
        Weight::Volume => vol(k),
        Weight::None => 1.0,
    };
    // Compensated (Neumaier) sums: exact to a few ulps however many cells
    // a bin holds, so 1e-12 measures the kernel's own rounding.
    let sum = |v: &[Neumaier]| v.iter().map(Neumaier::sum).collect::<Vec<f64>>();
    let (mut count, mut sw, mut sm) = (
        vec![0u64; n + 2],
        vec![Neumaier::default(); n + 2],
        vec![Neumaier::default(); n + 2],
    );
    for (k, row) in rows.iter().enumerate() {
        if let Some(i) = *row {
            count[i] += 1;
            sw[i].add(w(k));
            sm[i].add(rho[k] * vol(k));
        }
    }
    let (sw, sm) = (sum(&sw), sum(&sm));
    let running = |v: &[f64], i: usize| {
        let mut c = Neumaier::default();
        c.add(v[n]);
        v[..=i].iter().for_each(|&x| c.add(x));
        c.sum()
    };
    assert_eq!(&p.count[..], &count[..n]);
    assert_eq!((p.inside.count, p.beyond.count), (count[n], count[n + 1]));
    for i in 0..n {
        assert!(close(p.weight[i], sw[i], 0.0, SUM_TOL), "weight {i}");
        assert!(close(p.mass[i], sm[i], 0.0, SUM_TOL), "mass {i}");
        let enclosed = running(&sm, i);
        assert!(
            close(p.mass_enclosed[i], enclosed, 0.0, SUM_TOL),
            "mass_enclosed {i}"
        );
    }
    // Mass conservation: bins + inside r0 + on R = every cell within R.
    let mut selected = Neumaier::default();
    (0..t.len())
        .filter(|&k| rows[k].is_some())
        .for_each(|k| selected.add(rho[k] * vol(k)));
    let selected = selected.sum();
    let parts = p.mass.iter().sum::<f64>() + p.inside.mass + p.beyond.mass;
    assert!(
        close(parts, selected, 0.0, SUM_TOL),
        "{parts} vs {selected}"
    );
    assert!(close(p.selected.mass, selected, 0.0, SUM_TOL));
    for (v, name) in vars.iter().enumerate() {
        let f = t.column(name).unwrap();
        let vp = &p.vars[v];
        // Σwf, and Σw|f|: a signed mean is known to the size of what
        // cancels in it.
        let (mut swf, mut swa) = (
            vec![Neumaier::default(); n + 2],
            vec![Neumaier::default(); n + 2],
        );
        for (k, row) in rows.iter().enumerate() {
            if let Some(i) = *row {
                swf[i].add(w(k) * f[k]);
                swa[i].add(w(k) * f[k].abs());
            }
        }
        let (swf, swa) = (sum(&swf), sum(&swa));
        let mean: Vec<f64> = (0..n + 2).map(|i| swf[i] / sw[i]).collect();
        let mut m2 = vec![Neumaier::default(); n + 2];
        for (k, row) in rows.iter().enumerate() {
            if let Some(i) = *row {
                m2[i].add(w(k) * (f[k] - mean[i]).powi(2));
            }
        }
        let m2 = sum(&m2);
        for i in 0..n {
            let (m, s) = if count[i] == 0 {
                (f64::NAN, f64::NAN)
            } else {
                (mean[i], (m2[i] / sw[i]).sqrt())
            };
            let size = swa[i] / sw[i];
            assert!(
                close(vp.mean[i], m, size, SUM_TOL),
                "{name} mean {i}: {} vs {m}",
                vp.mean[i]
            );
            // A spread is known to the scale of the values it spreads.
            assert!(
                close(vp.std[i], s, size, 1e-12),
                "{name} std {i}: {} vs {s}",
                vp.std[i]
            );
            let (cw, cwf) = (running(&sw, i), running(&swf, i));
            let csize = running(&swa, i) / cw;
            let c = vp.cumulative_mean[i];
            assert!(
                close(c, cwf / cw, csize, SUM_TOL),
                "{name} cumulative {i}: {c} vs {}",
                cwf / cw
            );
        }
    }
}

/// The centre of the densest cell (code units), found by a plain loop.
fn densest(t: &CellTable) -> [f64; 3] {
    let rho = t.column("density").unwrap();
    let k = (0..t.len())
        .max_by(|&a, &b| rho[a].total_cmp(&rho[b]))
        .unwrap();
    centre(t, k)
}

#[test]
fn profiles_match_the_definition_on_real_outputs() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let exec = Exec::on(&pool);
    let vars = ["density", "temperature", "velocity_x"];
    let mut checked = 0;
    if let Some((snap, t)) = cells("gravity", &exec) {
        // Around the densest cell, a sphere reaching across the periodic
        // faces; default r0 (the smallest cell), log bins, mass weight.
        let mut spec = ProfileSpec::new(densest(&t), 0.45);
        spec.period = periods(&snap.info);
        assert_eq!(spec.period, [Some(1.0); 3]);
        let p = profile(&t, &spec, &vars, &exec).unwrap();
        assert!(p.inside.count >= 1, "the densest cell is inside r0");
        check_profile(&t, &spec, &vars, &p);
        // Near a corner, unweighted, lin bins from a given r0.
        let mut spec = ProfileSpec::new([0.03, 0.97, 0.5], 0.3);
        spec.period = periods(&snap.info);
        spec.weight = Weight::None;
        spec.spacing = Spacing::Lin;
        spec.rmin = Some(0.01);
        spec.bins = 17;
        let p = profile(&t, &spec, &vars, &exec).unwrap();
        check_profile(&t, &spec, &vars, &p);
        checked += 2;
    }
    if let Some((snap, t)) = cells("sedov3d", &exec) {
        // The blast: box centre, volume weight, 64 log bins out to 0.5
        // (through the shock at ~0.28).
        let mut spec = ProfileSpec::new([0.5; 3], 0.5);
        spec.period = periods(&snap.info);
        spec.weight = Weight::Volume;
        let p = profile(&t, &spec, &vars, &exec).unwrap();
        check_profile(&t, &spec, &vars, &p);
        // With a volume weight the mean density is Σm/ΣdX³.
        for i in 0..64 {
            if p.count[i] > 0 {
                let m = p.mass[i] / p.weight[i];
                assert!(close(p.vars[0].mean[i], m, 0.0, 1e-13), "bin {i}");
            }
        }
        // A tilted cylinder, lin bins.
        spec.shape = Shape::Cylinder {
            normal: [1.0, 1.0, 0.5],
            height: 0.3,
        };
        spec.spacing = Spacing::Lin;
        spec.weight = Weight::Mass;
        spec.radius = 0.4;
        spec.bins = 40;
        let p = profile(&t, &spec, &vars, &exec).unwrap();
        check_profile(&t, &spec, &vars, &p);
        checked += 2;
    }
    eprintln!("{checked} profiles checked");
}

#[test]
fn profiles_and_phases_are_the_same_bits_on_one_and_two_threads() {
    let one = Pool::builder().num_threads(1).build().unwrap();
    let two = Pool::builder().num_threads(2).build().unwrap();
    let Some((snap, t)) = cells("sedov3d", &Exec::on(&one)) else {
        return;
    };
    let vars = ["density", "temperature", "velocity_x"];
    let mut spec = ProfileSpec::new([0.31, 0.52, 0.47], 0.5);
    spec.period = periods(&snap.info);
    let a = profile(&t, &spec, &vars, &Exec::on(&one)).unwrap();
    let b = profile(&t, &spec, &vars, &Exec::on(&two)).unwrap();
    let bits = |p: &Profile| -> Vec<u64> {
        let mut v: Vec<u64> = p
            .mass
            .iter()
            .chain(&p.weight)
            .map(|x| x.to_bits())
            .collect();
        for vp in &p.vars {
            v.extend(
                vp.mean
                    .iter()
                    .chain(&vp.std)
                    .chain(&vp.cumulative_mean)
                    .map(|x| x.to_bits()),
            );
        }
        v
    };
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a.to_json(true).to_string(), b.to_json(true).to_string());
    let spec = phase_spec("density", "temperature", Some("velocity_x"));
    let a = phase(&t, &spec, &Exec::on(&one)).unwrap();
    let b = phase(&t, &spec, &Exec::on(&two)).unwrap();
    let bits = |p: &Phase| -> Vec<u64> {
        p.values
            .iter()
            .chain(&p.weights)
            .map(|x| x.to_bits())
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a.to_json().to_string(), b.to_json().to_string());
}

#[test]
fn bad_profile_requests_are_one_clear_error_each() {
    let exec = Exec::default();
    let Some((_, t)) = cells("gravity", &exec) else {
        return;
    };
    let err =
        |spec: &ProfileSpec, vars: &[&str]| profile(&t, spec, vars, &exec).unwrap_err().to_string();
    let spec = ProfileSpec::new([0.5; 3], 0.2);
    let e = err(&spec, &["densty"]);
    assert!(e.contains("densty") && e.contains("density"), "{e}");
    let mut s = spec.clone();
    s.rmin = Some(0.2);
    assert!(err(&s, &["density"]).contains("--rmin (0.2) must be smaller than --radius (0.2)"));
    let mut s = spec.clone();
    s.bins = 0;
    assert!(err(&s, &["density"]).contains("--bins must be at least 1"));
    // A radius smaller than any centre's distance: nothing selected.
    let s = ProfileSpec::new([0.5; 3], 1e-4);
    let e = err(&s, &["density"]);
    assert!(e.contains("empty selection"), "{e}");
    let mut s = spec.clone();
    s.rmin = Some(0.0);
    assert!(err(&s, &["density"]).contains("positive for log bins"));
}

// ------------------------------------------------------------------ phases

fn phase_spec(x: &str, y: &str, z: Option<&str>) -> PhaseSpec {
    let axis = |v: &str| AxisSpec {
        var: v.into(),
        scale: Scale::Log,
        range: None,
        bins: 128,
    };
    PhaseSpec {
        x: axis(x),
        y: axis(y),
        z: z.map(String::from),
        weight: Weight::Mass,
    }
}

/// The reference bin of `v` on an axis: `None` outside, `Some(None)`
/// dropped; with the kernel's slot taken within 1e-9 of an edge.
fn ref_slot(scale: Scale, [a, b]: [f64; 2], n: usize, v: f64, got: Slot) -> Slot {
    let tr = |v: f64| if scale == Scale::Log { v.log10() } else { v };
    if !v.is_finite() || (scale == Scale::Log && v <= 0.0) {
        assert_eq!(got, Slot::Dropped, "{v}");
        return Slot::Dropped;
    }
    let (ta, tb, t) = (tr(a), tr(b), tr(v));
    let tol = 1e-9 * (tb - ta).max(t.abs());
    let near = (0..=n).any(|k| (t - (ta + (tb - ta) * k as f64 / n as f64)).abs() <= tol);
    let want = if t < ta || t > tb {
        Slot::Outside
    } else if t == tb {
        Slot::Bin(n - 1)
    } else {
        Slot::Bin((((t - ta) / (tb - ta)) * n as f64).floor() as usize)
    };
    // The range's own ends are not in doubt: a in bin 0, b in bin N − 1.
    if near && v != a && v != b {
        got
    } else {
        assert_eq!(got, want, "value {v} on [{a}, {b}]");
        want
    }
}

/// Checks `ph` against the definition over the cells of `t`; returns the
/// number of cells dropped.
fn check_phase(t: &CellTable, spec: &PhaseSpec, ph: &Phase) -> u64 {
    let rho = t.column("density").unwrap();
    let (xs, ys) = (
        t.column(&spec.x.var).unwrap(),
        t.column(&spec.y.var).unwrap(),
    );
    let vol = |k: usize| (t.units.boxlen / 2f64.powi(t.level[k] as i32)).powi(3);
    // Default ranges: the finite (positive on log axes) extrema.
    let range = |s: &AxisSpec, col: &[f64]| {
        s.range.unwrap_or_else(|| {
            let ok: Vec<f64> = col
                .iter()
                .copied()
                .filter(|v| v.is_finite() && (s.scale == Scale::Lin || *v > 0.0))
                .collect();
            [
                ok.iter().copied().fold(f64::INFINITY, f64::min),
                ok.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ]
        })
    };
    let (rx, ry) = (range(&spec.x, xs), range(&spec.y, ys));
    assert_eq!([ph.axes[0].edges[0], ph.axes[0].edges[spec.x.bins]], rx);
    assert_eq!([ph.axes[1].edges[0], ph.axes[1].edges[spec.y.bins]], ry);
    let (nx, ny) = (spec.x.bins, spec.y.bins);
    // Compensated (Neumaier) sums: the reference is exact to a few ulps
    // however many cells a bin holds, so the kernel's own rounding is what
    // the comparison below measures.
    let (mut cnt, mut sw, mut swz) = (
        vec![0u64; nx * ny],
        vec![Neumaier::default(); nx * ny],
        vec![Neumaier::default(); nx * ny],
    );
    let mut swa = vec![Neumaier::default(); nx * ny];
    let (mut m_in, mut m_out, mut m_drop) = (
        Neumaier::default(),
        Neumaier::default(),
        Neumaier::default(),
    );
    let (mut n_out, mut n_drop) = (0u64, 0u64);
    let z = spec.z.as_deref().map(|z| t.column(z).unwrap());
    for k in 0..t.len() {
        let sx = ref_slot(spec.x.scale, rx, nx, xs[k], ph.axes[0].slot(xs[k]));
        let sy = ref_slot(spec.y.scale, ry, ny, ys[k], ph.axes[1].slot(ys[k]));
        let m = rho[k] * vol(k);
        match (sx, sy) {
            (Slot::Bin(i), Slot::Bin(j)) => {
                let w = match spec.weight {
                    Weight::Mass => m,
                    Weight::Volume => vol(k),
                    Weight::None => 1.0,
                };
                cnt[j * nx + i] += 1;
                sw[j * nx + i].add(w);
                swz[j * nx + i].add(z.map_or(0.0, |z| w * z[k]));
                swa[j * nx + i].add(z.map_or(0.0, |z| w * z[k].abs()));
                m_in.add(m);
            }
            (Slot::Dropped, _) | (_, Slot::Dropped) => {
                n_drop += 1;
                m_drop.add(m);
            }
            _ => {
                n_out += 1;
                m_out.add(m);
            }
        }
    }
    assert_eq!(ph.counts, cnt);
    for b in 0..nx * ny {
        let (sw, swz, swa) = (sw[b].sum(), swz[b].sum(), swa[b].sum());
        let want = match z {
            None => sw,
            Some(_) if cnt[b] == 0 => f64::NAN,
            Some(_) => swz / sw,
        };
        // A signed mean is known to the size of what cancels in it.
        let size = swa / sw;
        // SUM_TOL however many cells the bin holds (sedov3d's uniform
        // ambient gas puts over 10^4 in one): the kernel's sums are
        // compensated too.
        let tol = SUM_TOL;
        assert!(
            close(ph.values[b], want, size, tol),
            "H[{b}] {} vs {want}",
            ph.values[b]
        );
    }
    assert_eq!(
        (ph.outside[0] as u64, ph.dropped[0] as u64),
        (n_out, n_drop)
    );
    // Mass conservation: bins + outside + dropped = all cells.
    let mut total = Neumaier::default();
    (0..t.len()).for_each(|k| total.add(rho[k] * vol(k)));
    let (total, m_in, m_out, m_drop) = (total.sum(), m_in.sum(), m_out.sum(), m_drop.sum());
    let parts = ph.binned[1] + ph.outside[1] + ph.dropped[1];
    assert!(close(parts, total, 0.0, SUM_TOL), "{parts} vs {total}");
    assert!(close(ph.binned[1], m_in, 0.0, SUM_TOL) && close(ph.outside[1], m_out, 0.0, SUM_TOL));
    assert!(close(ph.dropped[1], m_drop, 0.0, SUM_TOL));
    n_drop
}

#[test]
fn phase_diagrams_match_the_definition_on_real_outputs() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let exec = Exec::on(&pool);
    for run in ["sedov3d", "gravity"] {
        let Some((_, t)) = cells(run, &exec) else {
            continue;
        };
        // The default: mass per bin of log density and log temperature.
        let spec = phase_spec("density", "temperature", None);
        let ph = phase(&t, &spec, &exec).unwrap();
        assert_eq!(check_phase(&t, &spec, &ph), 0);
        let total: f64 = ph.values.iter().sum();
        assert!(close(total, ph.binned[1], 0.0, 1e-12));
        // Mass-weighted mean velocity over density and pressure, with
        // ranges that leave cells out on both sides.
        let mut spec = phase_spec("density", "pressure", Some("velocity_x"));
        let rho = t.column("density").unwrap();
        let (lo, hi) = rho
            .iter()
            .fold((f64::INFINITY, 0f64), |m, &v| (m.0.min(v), m.1.max(v)));
        spec.x.range = Some([lo * 1.5, hi / 1.5]);
        spec.x.bins = 50;
        spec.y.bins = 70;
        let ph = phase(&t, &spec, &exec).unwrap();
        check_phase(&t, &spec, &ph);
        assert!(ph.outside[0] > 0.0, "cells outside the x range");
        // A lin axis of a signed variable; volume weight; and a log axis
        // of it, where the non-positive values are dropped and counted.
        let mut spec = phase_spec("velocity_x", "density", Some("temperature"));
        spec.x.scale = Scale::Lin;
        spec.weight = Weight::Volume;
        let ph = phase(&t, &spec, &exec).unwrap();
        assert_eq!(check_phase(&t, &spec, &ph), 0);
        spec.x.scale = Scale::Log;
        spec.weight = Weight::None;
        let ph = phase(&t, &spec, &exec).unwrap();
        let dropped = check_phase(&t, &spec, &ph);
        let nonpositive = t
            .column("velocity_x")
            .unwrap()
            .iter()
            .filter(|&&v| v <= 0.0)
            .count();
        assert_eq!(dropped as usize, nonpositive);
        assert!(dropped > 0);
        assert_eq!(ph.to_json()["cells_dropped_x"], serde_json::json!(dropped));
    }
}

#[test]
fn bad_phase_requests_are_one_clear_error_each() {
    let exec = Exec::default();
    let Some((_, t)) = cells("gravity", &exec) else {
        return;
    };
    let err = |spec: &PhaseSpec| phase(&t, spec, &exec).unwrap_err().to_string();
    let e = err(&phase_spec("density", "temprature", None));
    assert!(e.contains("temprature") && e.contains("temperature"), "{e}");
    let mut s = phase_spec("density", "temperature", None);
    s.y.bins = 0;
    assert!(err(&s).contains("at least 1 bin"));
    let mut s = phase_spec("density", "temperature", None);
    s.x.range = Some([-1.0, 10.0]);
    assert!(err(&s).contains("must be positive"));
    // Every value non-positive on a log axis: said, with the count.
    let mut neg = t.clone();
    let v: Vec<f64> = neg.column("density").unwrap().iter().map(|d| -d).collect();
    neg.names.push("minus_density".into());
    neg.columns.push(v);
    let e = phase(&neg, &phase_spec("minus_density", "density", None), &exec)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("all dropped from the log axis") && e.contains(&t.len().to_string()),
        "{e}"
    );
    let mut empty = t.clone();
    empty.retain(|_, _| false);
    let e = phase(&empty, &phase_spec("density", "temperature", None), &exec)
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty selection"), "{e}");
}

// ------------------------------------------------- requests (front ends)

#[test]
fn a_request_reads_only_what_it_needs_and_bins_the_same_numbers() {
    use amrkit_kernels::binned_request::{profile_output, ProfileRequest};
    let exec = Exec::default();
    let Some((snap, t)) = cells("gravity", &exec) else {
        return;
    };
    let vars = ["density", "temperature"];
    // Inside the box (a bounding box is read) and across a face (the
    // whole box is read): the same profile as binning every cell.
    for (c, r) in [([0.5, 0.5, 0.5], 0.2), ([0.1, 0.95, 0.5], 0.3)] {
        let mut spec = ProfileSpec::new(c, r);
        spec.period = periods(&snap.info);
        let whole = profile(&t, &spec, &vars, &exec).unwrap();
        let req = ProfileRequest {
            vars: vars.iter().map(|s| s.to_string()).collect(),
            units: Vec::new(),
            center: c,
            radius: Some(r),
            spec: spec.clone(),
            mu: DEFAULT_MU,
            lmax: None,
        };
        let (p, cols) = profile_output(&snap, &req, &exec).unwrap();
        assert_eq!(cols[1].unit, "K");
        // The same bits: blocks are runs of selected cells, whatever else
        // was read.
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(p.count, whole.count, "centre {c:?}");
        assert_eq!(bits(&p.mass), bits(&whole.mass));
        for v in 0..2 {
            assert_eq!(bits(&p.vars[v].mean), bits(&whole.vars[v].mean));
            assert_eq!(bits(&p.vars[v].std), bits(&whole.vars[v].std));
        }
        assert_eq!(p.vars[1].name, "temperature");
    }
}

#[test]
fn a_phase_request_reduced_per_file_bins_the_same_numbers() {
    // `phase_output` reads a CPU file at a time (a first pass for the
    // default ranges, none when both are given): the same bits as the
    // phase diagram of a table of every file, at 1 and 2 threads.
    use amrkit_kernels::binned_request::{phase_output, PhaseAxisRequest};
    let pool = Pool::builder().num_threads(2).build().unwrap();
    for run in ["sedov3d", "gravity", "particles"] {
        let Some((snap, t)) = cells(run, &Exec::on(&pool)) else {
            return;
        };
        for (ranges, z) in [(None, None), (None, Some("velocity_x")), (Some(()), None)] {
            let mut spec = phase_spec("density", "temperature", z);
            let whole_ext = amrkit_kernels::phase::extrema(&t, &spec, &Exec::on(&pool)).unwrap();
            if ranges.is_some() {
                // Ranges inside the extrema: some cells fall outside.
                let [a, b] = whole_ext[0].unwrap();
                spec.x.range = Some([a * 1.5, b / 1.5]);
                let [a, b] = whole_ext[1].unwrap();
                spec.y.range = Some([a * 2.0, b / 2.0]);
            }
            let whole = phase(&t, &spec, &Exec::on(&pool)).unwrap();
            let ax = |s: &AxisSpec, v: &str| PhaseAxisRequest {
                var: v.into(),
                unit: None,
                lin: s.scale == Scale::Lin,
                range: s.range,
                bins: s.bins,
            };
            let (xa, ya) = (ax(&spec.x, "density"), ax(&spec.y, "temperature"));
            for threads in [1, 2] {
                let exec = Exec {
                    max_threads: Some(threads),
                    ..Exec::on(&pool)
                };
                let (ph, _) = phase_output(
                    &snap,
                    &Selection::default(),
                    [&xa, &ya],
                    z.map(|z| (z, None)),
                    spec.weight,
                    DEFAULT_MU,
                    &exec,
                )
                .unwrap();
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&ph.values), bits(&whole.values), "{run} {z:?}");
                assert_eq!(ph.counts, whole.counts, "{run} {z:?}");
                assert_eq!(bits(&ph.outside), bits(&whole.outside), "{run} {z:?}");
                assert_eq!(bits(&ph.binned), bits(&whole.binned), "{run} {z:?}");
                assert_eq!(bits(&ph.axes[0].edges), bits(&whole.axes[0].edges));
                assert_eq!(bits(&ph.axes[1].edges), bits(&whole.axes[1].edges));
                if ranges.is_some() {
                    assert!(ph.outside[0] > 0.0, "{run}: the ranges cut nothing");
                }
            }
        }
    }
}

#[test]
fn shares_of_the_files_folded_in_order_give_the_same_bits() {
    // What `mpirun -n k` relies on: processes that each read a contiguous
    // block of the files and send their partials in file order.
    use amrkit_kernels::phase::{axes, phase_partials};
    use amrkit_kernels::profile::{profile_partials, ProfilePartial};
    let exec = Exec::default();
    let Some((snap, t)) = cells("gravity", &exec) else {
        return;
    };
    let vars = ["density", "temperature", "velocity_x"];
    let mut spec = ProfileSpec::new([0.2, 0.9, 0.45], 0.4);
    spec.period = periods(&snap.info);
    let whole = profile(&t, &spec, &vars, &exec).unwrap();
    let plan = ProfilePlan::new(&spec, whole.edges[0]).unwrap();
    let pspec = phase_spec("density", "temperature", Some("velocity_x"));
    let whole_phase = phase(&t, &pspec, &exec).unwrap();
    let pax = axes(&t, &pspec, &exec).unwrap();
    let n = snap.info.ncpu;
    for k in [2, 3, n] {
        let (mut parts, mut pparts) = (Vec::new(), Vec::new());
        for r in 0..k {
            let sel = Selection {
                files: Some([r * n / k, (r + 1) * n / k]),
                ..Selection::default()
            };
            let mut mine = load_cells(
                &snap,
                &sel,
                &["density", "pressure", "velocity_x"],
                &[],
                &exec,
            )
            .unwrap();
            let (rho, p) = (
                mine.column("density").unwrap(),
                mine.column("pressure").unwrap(),
            );
            let temp = temperature(&mine.units, rho, p, DEFAULT_MU, &exec);
            mine.names.push("temperature".into());
            mine.columns.push(temp);
            parts.extend(profile_partials(&mine, &plan, &vars, &exec).unwrap());
            pparts.extend(phase_partials(&mine, &pspec, &pax, &exec).unwrap());
        }
        let sums = ProfilePartial::fold(plan.edges.bins(), vars.len(), &parts);
        let p = Profile::from_sums(&plan, &vars, &sums).unwrap();
        assert_eq!(
            p.to_json(true).to_string(),
            whole.to_json(true).to_string(),
            "{k} shares"
        );
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for v in 0..3 {
            assert_eq!(bits(&p.vars[v].std), bits(&whole.vars[v].std));
        }
        let ph = Phase::fold(&pspec, &pax, &pparts);
        assert_eq!(bits(&ph.values), bits(&whole_phase.values), "{k} shares");
        assert_eq!(ph.to_json(), whole_phase.to_json());
    }
}

#[test]
fn csv_and_json_carry_the_same_numbers() {
    let exec = Exec::default();
    let Some((snap, t)) = cells("sedov3d", &exec) else {
        return;
    };
    let mut spec = ProfileSpec::new([0.5; 3], 0.4);
    spec.period = periods(&snap.info);
    spec.bins = 20;
    let p = profile(&t, &spec, &["density", "temperature"], &exec).unwrap();
    let j = p.to_json(true);
    let csv = p.to_csv(true);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "r_lo,r_hi,count,weight,mass,mass_enclosed,density_mean,density_std,density_cumulative_mean,\
         temperature_mean,temperature_std,temperature_cumulative_mean"
    );
    for (k, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(
            f[0].parse::<f64>().unwrap(),
            j["edges"][k].as_f64().unwrap()
        );
        assert_eq!(
            f[2].parse::<u64>().unwrap(),
            j["bins"]["count"][k].as_u64().unwrap()
        );
        let mean = &j["bins"]["temperature"]["mean"][k];
        match mean.as_f64() {
            Some(m) => assert_eq!(f[9].parse::<f64>().unwrap(), m),
            None => assert_eq!(f[9], "", "empty bin {k}"),
        }
    }
    // The JSON's keys are exactly the issue's.
    let keys: Vec<&String> = j["bins"].as_object().unwrap().keys().collect();
    for k in [
        "count",
        "weight",
        "mass",
        "mass_enclosed",
        "density",
        "temperature",
    ] {
        assert!(keys.iter().any(|x| *x == k), "{k}");
    }
    assert_eq!(j["center"], serde_json::json!([0.5, 0.5, 0.5]));
    assert!(j["bins"]["density"]["std"].is_array());
}
