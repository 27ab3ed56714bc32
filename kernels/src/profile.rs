//! Radial and cylindrical profiles of cell variables.
//!
//! One stated definition, so that a profile can be checked against a plain
//! loop over the cells (and against yt's `create_profile` of the same
//! definition):
//!
//! * Every cell is a point at its centre `x`. Its distance from the centre
//!   `c` is `r = |x − c|` (sphere), or the distance from the axis through
//!   `c` along the unit vector `n` (cylinder; the cell must also have
//!   `|(x − c)·n| ≤ h/2`). Along a periodic axis of length `L` (a box
//!   without boundary regions) `x − c` is the minimum image: shifted by
//!   `±L` when it is beyond `±L/2`.
//! * The selection is every cell with `r ≤ R`.
//! * Edges `e_0 … e_N`: log `e_k = r0·(R/r0)^(k/N)`, lin
//!   `e_k = r0 + k(R − r0)/N` (`e_0 = r0` and `e_N = R` exactly). A cell is
//!   in bin `k` when `e_k ≤ r < e_{k+1}`; cells with `r < r0` are "inside"
//!   (no bin, but in `mass_enclosed` and the cumulative means), cells with
//!   `r = R` are "beyond" (no bin).
//! * Per bin: `count`, `weight` Σw, `mass` Σm (m = ρ·dx³), `mass_enclosed`
//!   (the mass of every selected cell with `r < e_{k+1}`), and per variable
//!   the mean Σwf/Σw and the weighted population standard deviation
//!   √(Σw(f − mean)²/Σw) (NaN for an empty bin). The cumulative mean of bin
//!   `k` is Σwf/Σw over every selected cell with `r < e_{k+1}`.
//! * w is ρ·dx³ (mass), dx³ (volume) or 1 (none); dx³ is dx^ndim.
//!
//! Sums are taken per block of one CPU file — runs of [`SUM_BLOCK`]
//! selected cells of the file — and folded in block order, so the result is
//! the same bits for any thread count, split of the files between
//! processes, or region read around the selection. A block keeps, per bin, its sums
//! and its own Σw(f − mean_block)²; two blocks' second moments combine
//! with Chan et al.'s update, which keeps the standard deviation accurate
//! where Σwf² − (Σwf)²/Σw would cancel.

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::project::Weight;
use crate::sums::{sum_blocks, SUM_BLOCK};
use crate::table::CellTable;
use serde_json::{json, Value};

/// How the edges are spaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spacing {
    /// `e_k = r0·(R/r0)^(k/N)`.
    Log,
    /// `e_k = r0 + k(R − r0)/N`.
    Lin,
}

/// Which distance bins the cells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// `r = |x − c|`.
    Sphere,
    /// Distance from the axis through `c` along `normal` (any length, not
    /// zero), for cells with `|(x − c)·n̂| ≤ height/2`.
    Cylinder {
        /// The axis direction.
        normal: [f64; 3],
        /// The full height of the cylinder (code units).
        height: f64,
    },
}

/// What profile to take. Lengths and the centre are in code units
/// (positions in `[0, extent·boxlen]`).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSpec {
    /// The centre `c`.
    pub center: [f64; 3],
    /// The selection radius `R` (the last edge).
    pub radius: f64,
    /// The first edge `r0`; `None`: the smallest leaf cell size in the
    /// selection.
    pub rmin: Option<f64>,
    /// Number of bins `N`.
    pub bins: usize,
    /// Edge spacing.
    pub spacing: Spacing,
    /// Sphere or cylinder.
    pub shape: Shape,
    /// The weight of the means.
    pub weight: Weight,
    /// Box length along each periodic axis (minimum-image distances),
    /// `None` along the others. See [`periods`].
    pub period: [Option<f64>; 3],
}

impl ProfileSpec {
    /// The defaults: 64 log bins of a mass-weighted spherical
    /// profile of radius `radius` around `center`, `r0` the smallest cell,
    /// no periodic wrap.
    pub fn new(center: [f64; 3], radius: f64) -> Self {
        ProfileSpec {
            center,
            radius,
            rmin: None,
            bins: 64,
            spacing: Spacing::Log,
            shape: Shape::Sphere,
            weight: Weight::Mass,
            period: [None; 3],
        }
    }
}

/// The periodic axes of an output's box (code units): every axis of the
/// run whose coarse grid has no boundary cells, with its length
/// `extent·boxlen`.
pub fn periods(info: &amrkit_io::Info) -> [Option<f64>; 3] {
    std::array::from_fn(|d| {
        (d < info.ndim && info.coarse_grid[d] == info.extent[d])
            .then(|| info.extent[d] as f64 * info.boxlen)
    })
}

fn invalid<T>(msg: String) -> Result<T> {
    Err(KernelError::Invalid(msg))
}

/// Distances of points from the centre, as the spec defines them.
#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    center: [f64; 3],
    period: [Option<f64>; 3],
    /// Unit axis and half height of a cylinder.
    axis: Option<([f64; 3], f64)>,
}

impl Geometry {
    /// The geometry of `spec` (checks the cylinder's axis and height).
    pub fn of(spec: &ProfileSpec) -> Result<Geometry> {
        let axis = match spec.shape {
            Shape::Sphere => None,
            Shape::Cylinder { normal, height } => {
                let len =
                    (normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]).sqrt();
                if !(len > 0.0 && len.is_finite()) {
                    return invalid(format!(
                        "--normal must be a non-zero vector, got {normal:?}"
                    ));
                }
                if !(height > 0.0 && height.is_finite()) {
                    return invalid(format!("--height must be positive, got {height}"));
                }
                Some((normal.map(|v| v / len), 0.5 * height))
            }
        };
        Ok(Geometry {
            center: spec.center,
            period: spec.period,
            axis,
        })
    }

    /// `x − c`, the minimum image along periodic axes.
    #[inline]
    pub fn separation(&self, x: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|d| {
            let s = x[d] - self.center[d];
            match self.period[d] {
                Some(l) if s > 0.5 * l => s - l,
                Some(l) if s < -0.5 * l => s + l,
                _ => s,
            }
        })
    }

    /// The distance that bins the point `x` (code units); `None` for a
    /// cylinder when `x` is beyond its half height.
    #[inline]
    pub fn distance(&self, x: [f64; 3]) -> Option<f64> {
        let s = self.separation(x);
        match self.axis {
            None => Some((s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt()),
            Some((n, half)) => {
                let along = s[0] * n[0] + s[1] * n[1] + s[2] * n[2];
                if along.abs() > half {
                    return None;
                }
                let p: [f64; 3] = std::array::from_fn(|d| s[d] - along * n[d]);
                Some((p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt())
            }
        }
    }
}

/// Where a distance falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Not selected (`r > R`, or outside the cylinder's height).
    Out,
    /// Selected, `r < r0`.
    Inside,
    /// Selected, in bin `k`.
    Bin(usize),
    /// Selected, `r = R` (on the last edge).
    Beyond,
}

/// The edges of a profile and the bin of a distance.
#[derive(Clone, Debug, PartialEq)]
pub struct Edges {
    /// `e_0 … e_N`.
    pub edges: Vec<f64>,
    spacing: Spacing,
}

impl Edges {
    /// Edges from `r0` to `r1` in `n` bins (checked: `0 ≤ r0 < r1`, `r0 > 0`
    /// for log spacing, `n ≥ 1`).
    pub fn new(r0: f64, r1: f64, n: usize, spacing: Spacing) -> Result<Edges> {
        if n == 0 {
            return invalid("--bins must be at least 1, got 0".into());
        }
        if !(r1 > 0.0 && r1.is_finite()) {
            return invalid(format!("--radius must be positive, got {r1}"));
        }
        if r0.is_nan() || r0 >= r1 {
            return invalid(format!(
                "--rmin ({r0}) must be smaller than --radius ({r1})"
            ));
        }
        if spacing == Spacing::Log && (r0.is_nan() || r0 <= 0.0) {
            return invalid(format!(
                "--rmin must be positive for log bins, got {r0} (use --lin, or a positive --rmin)"
            ));
        }
        if r0.is_nan() || r0 < 0.0 {
            return invalid(format!("--rmin must not be negative, got {r0}"));
        }
        let mut edges: Vec<f64> = (0..=n)
            .map(|k| {
                let f = k as f64 / n as f64;
                match spacing {
                    Spacing::Log => r0 * (r1 / r0).powf(f),
                    Spacing::Lin => r0 + k as f64 * (r1 - r0) / n as f64,
                }
            })
            .collect();
        edges[0] = r0;
        edges[n] = r1;
        Ok(Edges { edges, spacing })
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// Where the distance `r` of a selected-or-not cell falls: the bin `k`
    /// with `e_k ≤ r < e_{k+1}` exactly against [`edges`](Self::edges).
    #[inline]
    pub fn place(&self, r: f64) -> Place {
        let e = &self.edges;
        let n = e.len() - 1;
        if r.is_nan() || r > e[n] {
            return Place::Out;
        }
        if r == e[n] {
            return Place::Beyond;
        }
        if r < e[0] {
            return Place::Inside;
        }
        // A first guess from the formula, then moved to the stored edges
        // (at most a step or two away).
        let f = match self.spacing {
            Spacing::Log => (r / e[0]).ln() / (e[n] / e[0]).ln(),
            Spacing::Lin => (r - e[0]) / (e[n] - e[0]),
        };
        let mut k = ((f * n as f64) as usize).min(n - 1);
        while k > 0 && r < e[k] {
            k -= 1;
        }
        while k + 1 < n && r >= e[k + 1] {
            k += 1;
        }
        Place::Bin(k)
    }
}

/// The smallest leaf cell size (code units) among the cells within
/// `radius` of the geometry's centre; `None` when there are none. Min is
/// exact, so any order of the blocks gives the same number.
pub fn smallest_cell(t: &CellTable, geo: &Geometry, radius: f64, exec: &Exec) -> Option<f64> {
    let b = t.units.boxlen;
    let blocks = sum_blocks(t);
    let deepest: Vec<Option<u8>> = exec.par().min_chunk(1).map(&blocks, |r| {
        r.clone()
            .filter(|&k| {
                let x = t.centre_box(k).map(|v| v * b);
                geo.distance(x).is_some_and(|d| d <= radius)
            })
            .map(|k| t.level[k])
            .max()
    });
    deepest
        .into_iter()
        .flatten()
        .max()
        .map(|l| b / (1u64 << l) as f64)
}

/// The sums of one block of cells (or of several, folded): per row, the
/// count, Σw, Σm and per variable Σwf and Σw(f − f̄)² (f̄ = the row's own
/// Σwf/Σw). Rows `0..N` are the bins, row `N` the cells inside `r0`,
/// row `N + 1` those on `R`. Plain numbers, so that a process can send
/// them to another.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfilePartial {
    /// Number of variables.
    pub nvars: usize,
    /// `(N + 2) × (3 + 2·nvars)` numbers, row by row.
    pub data: Vec<f64>,
}

impl ProfilePartial {
    /// Zero sums for `bins` bins and `nvars` variables.
    pub fn zeros(bins: usize, nvars: usize) -> Self {
        ProfilePartial {
            nvars,
            data: vec![0.0; (bins + 2) * (3 + 2 * nvars)],
        }
    }

    fn width(&self) -> usize {
        3 + 2 * self.nvars
    }

    fn rows(&self) -> usize {
        self.data.len() / self.width()
    }

    fn row(&self, i: usize) -> &[f64] {
        let w = self.width();
        &self.data[i * w..(i + 1) * w]
    }

    /// Adds `other`'s sums (the blocks after these). Counts, Σw, Σm and
    /// Σwf add; second moments combine as
    /// `M = M_a + M_b + (f̄_b − f̄_a)²·w_a·w_b/(w_a + w_b)`.
    pub fn add(&mut self, other: &ProfilePartial) {
        let w = self.width();
        for (a, b) in self.data.chunks_mut(w).zip(other.data.chunks(w)) {
            let (wa, wb) = (a[1], b[1]);
            for v in 0..self.nvars {
                let (s, m) = (3 + 2 * v, 4 + 2 * v);
                a[m] = if wa == 0.0 || wb == 0.0 {
                    a[m] + b[m]
                } else {
                    let d = b[s] / wb - a[s] / wa;
                    a[m] + b[m] + d * d * (wa * wb / (wa + wb))
                };
                a[s] += b[s];
            }
            a[0] += b[0];
            a[1] += b[1];
            a[2] += b[2];
        }
    }

    /// The partials added one after the other, in order.
    pub fn fold(bins: usize, nvars: usize, parts: &[ProfilePartial]) -> ProfilePartial {
        let mut acc = ProfilePartial::zeros(bins, nvars);
        for p in parts {
            acc.add(p);
        }
        acc
    }
}

/// A spec with its edges known: what [`profile_partials`] needs.
#[derive(Clone, Debug)]
pub struct ProfilePlan {
    /// The spec.
    pub spec: ProfileSpec,
    /// Its distances.
    pub geometry: Geometry,
    /// Its edges.
    pub edges: Edges,
}

impl ProfilePlan {
    /// Checks the spec and makes the edges; `r0` (the spec's, or the
    /// smallest cell of the selection from [`smallest_cell`]) must be known.
    pub fn new(spec: &ProfileSpec, r0: f64) -> Result<ProfilePlan> {
        let geometry = Geometry::of(spec)?;
        let edges = Edges::new(r0, spec.radius, spec.bins, spec.spacing)?;
        Ok(ProfilePlan {
            spec: spec.clone(),
            geometry,
            edges,
        })
    }

    /// The plan for the cells of `t`: `r0` from the spec or the selection
    /// (an empty selection is an error).
    pub fn for_table(t: &CellTable, spec: &ProfileSpec, exec: &Exec) -> Result<ProfilePlan> {
        if spec.bins == 0 {
            return invalid("--bins must be at least 1, got 0".into());
        }
        if !(spec.radius > 0.0 && spec.radius.is_finite()) {
            return invalid(format!("--radius must be positive, got {}", spec.radius));
        }
        let geo = Geometry::of(spec)?;
        let r0 = match spec.rmin {
            Some(r0) => r0,
            None => smallest_cell(t, &geo, spec.radius, exec).ok_or_else(|| empty(spec))?,
        };
        ProfilePlan::new(spec, r0)
    }

    /// Where cell `k` of `t` falls.
    #[inline]
    pub fn place_cell(&self, t: &CellTable, k: usize) -> Place {
        let b = t.units.boxlen;
        match self.geometry.distance(t.centre_box(k).map(|v| v * b)) {
            Some(r) => self.edges.place(r),
            None => Place::Out,
        }
    }
}

fn empty(spec: &ProfileSpec) -> KernelError {
    KernelError::Invalid(format!(
        "empty selection: no cell centre within {} (code units) of {:?}",
        spec.radius, spec.center
    ))
}

/// The weight of cell `k` with mass `m`.
#[inline]
fn weight_of(t: &CellTable, k: usize, m: f64, w: Weight) -> f64 {
    match w {
        Weight::Mass => m,
        Weight::Volume => t.volume(k),
        Weight::None => 1.0,
    }
}

/// The selected cells of `t`, file by file: for every CPU file (in table
/// order) its selected cells `(row, cell)` in table order, where row `k <
/// N` is bin `k`, `N` inside `r0`, `N + 1` on `R`. Placed in parallel over
/// runs of [`SUM_BLOCK`] table cells of one file.
fn selected_by_file(t: &CellTable, plan: &ProfilePlan, exec: &Exec) -> Vec<Vec<(u32, usize)>> {
    let n = plan.edges.bins();
    let mut runs: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    let files = t.file_ranges();
    for (f, (_, r)) in files.iter().enumerate() {
        let mut at = r.start;
        while at < r.end {
            let end = (at + SUM_BLOCK).min(r.end);
            runs.push((f, at..end));
            at = end;
        }
    }
    let placed: Vec<Vec<(u32, usize)>> = exec.par().min_chunk(1).map(&runs, |(_, r)| {
        r.clone()
            .filter_map(|k| match plan.place_cell(t, k) {
                Place::Out => None,
                Place::Bin(i) => Some((i as u32, k)),
                Place::Inside => Some((n as u32, k)),
                Place::Beyond => Some((n as u32 + 1, k)),
            })
            .collect()
    });
    let mut by_file: Vec<Vec<(u32, usize)>> = vec![Vec::new(); files.len()];
    for ((f, _), cells) in runs.iter().zip(placed) {
        by_file[*f].extend(cells);
    }
    by_file
}

/// The [`ProfilePartial`]s of `t`, in order, for the variables `vars`
/// (columns of `t`; `density` must be one too): one per run of
/// [`SUM_BLOCK`] *selected* cells of one CPU file, counted from the file's
/// first selected cell. The runs depend only on each file's selected
/// cells, so neither the thread count, nor how the files are shared
/// between processes, nor how many unselected cells were read around the
/// selection changes a bit of the result.
pub fn profile_partials(
    t: &CellTable,
    plan: &ProfilePlan,
    vars: &[&str],
    exec: &Exec,
) -> Result<Vec<ProfilePartial>> {
    let rho = t.column("density")?;
    let cols: Vec<&[f64]> = vars.iter().map(|v| t.column(v)).collect::<Result<_>>()?;
    let n = plan.edges.bins();
    let weight = plan.spec.weight;
    exec.check()?;
    let by_file = selected_by_file(t, plan, exec);
    let blocks: Vec<&[(u32, usize)]> = by_file.iter().flat_map(|f| f.chunks(SUM_BLOCK)).collect();
    Ok(exec.par().min_chunk(1).map(&blocks, |cells| {
        let mut p = ProfilePartial::zeros(n, cols.len());
        let wd = p.width();
        for &(i, k) in cells.iter() {
            let i = i as usize;
            let m = rho[k] * t.volume(k);
            let w = weight_of(t, k, m, weight);
            let a = &mut p.data[i * wd..(i + 1) * wd];
            a[0] += 1.0;
            a[1] += w;
            a[2] += m;
            for (v, c) in cols.iter().enumerate() {
                a[3 + 2 * v] += w * c[k];
            }
        }
        // Second moments about the block's own means.
        for &(i, k) in cells.iter() {
            let i = i as usize;
            let m = rho[k] * t.volume(k);
            let w = weight_of(t, k, m, weight);
            let a = &mut p.data[i * wd..(i + 1) * wd];
            if a[1] == 0.0 {
                continue;
            }
            for (v, c) in cols.iter().enumerate() {
                let d = c[k] - a[3 + 2 * v] / a[1];
                a[4 + 2 * v] += w * d * d;
            }
        }
        p
    }))
}

/// The profile of one variable.
#[derive(Clone, Debug, PartialEq)]
pub struct VarProfile {
    /// The variable.
    pub name: String,
    /// Σwf/Σw per bin (NaN when empty).
    pub mean: Vec<f64>,
    /// √(Σw(f − mean)²/Σw) per bin (NaN when empty).
    pub std: Vec<f64>,
    /// Σwf/Σw over the cells with `r < e_{k+1}` (inside `r0` included).
    pub cumulative_mean: Vec<f64>,
}

/// Count and mass of a group of cells.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    /// Cells.
    pub count: u64,
    /// Σm (code units).
    pub mass: f64,
}

/// A profile: the spec, its edges and the per-bin results.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// What was asked for (`rmin` as used).
    pub spec: ProfileSpec,
    /// `e_0 … e_N` (code units).
    pub edges: Vec<f64>,
    /// Cells per bin.
    pub count: Vec<u64>,
    /// Σw per bin.
    pub weight: Vec<f64>,
    /// Σm per bin.
    pub mass: Vec<f64>,
    /// Mass of the selected cells with `r < e_{k+1}`.
    pub mass_enclosed: Vec<f64>,
    /// One per variable.
    pub vars: Vec<VarProfile>,
    /// Selected cells with `r < r0`.
    pub inside: Tally,
    /// Selected cells with `r = R`.
    pub beyond: Tally,
    /// Every selected cell (= bins + inside + beyond).
    pub selected: Tally,
}

impl Profile {
    /// The profile that folded sums give.
    pub fn from_sums(plan: &ProfilePlan, vars: &[&str], sums: &ProfilePartial) -> Result<Profile> {
        let n = plan.edges.bins();
        if sums.rows() != n + 2 || sums.nvars != vars.len() {
            return invalid(format!(
                "profile sums of {} rows and {} variables for {} bins and {} variables",
                sums.rows(),
                sums.nvars,
                n,
                vars.len()
            ));
        }
        let tally = |i: usize| Tally {
            count: sums.row(i)[0] as u64,
            mass: sums.row(i)[2],
        };
        let (inside, beyond) = (tally(n), tally(n + 1));
        let mut selected = Tally {
            count: inside.count + beyond.count,
            mass: inside.mass,
        };
        for i in 0..n {
            selected.count += sums.row(i)[0] as u64;
            selected.mass += sums.row(i)[2];
        }
        selected.mass += beyond.mass;
        if selected.count == 0 {
            return Err(empty(&plan.spec));
        }
        let mut enclosed = inside.mass;
        let mass_enclosed = (0..n)
            .map(|i| {
                enclosed += sums.row(i)[2];
                enclosed
            })
            .collect();
        let profiles = vars
            .iter()
            .enumerate()
            .map(|(v, name)| {
                let (s, m) = (3 + 2 * v, 4 + 2 * v);
                let stat = |i: usize, f: &dyn Fn(&[f64]) -> f64| {
                    let row = sums.row(i);
                    if row[0] == 0.0 {
                        f64::NAN
                    } else {
                        f(row)
                    }
                };
                let (mut cw, mut cwf) = (sums.row(n)[1], sums.row(n)[s]);
                VarProfile {
                    name: name.to_string(),
                    mean: (0..n).map(|i| stat(i, &|r| r[s] / r[1])).collect(),
                    std: (0..n).map(|i| stat(i, &|r| (r[m] / r[1]).sqrt())).collect(),
                    cumulative_mean: (0..n)
                        .map(|i| {
                            cw += sums.row(i)[1];
                            cwf += sums.row(i)[s];
                            cwf / cw
                        })
                        .collect(),
                }
            })
            .collect();
        let mut spec = plan.spec.clone();
        spec.rmin = Some(plan.edges.edges[0]);
        Ok(Profile {
            spec,
            edges: plan.edges.edges.clone(),
            count: (0..n).map(|i| sums.row(i)[0] as u64).collect(),
            weight: (0..n).map(|i| sums.row(i)[1]).collect(),
            mass: (0..n).map(|i| sums.row(i)[2]).collect(),
            mass_enclosed,
            vars: profiles,
            inside,
            beyond,
            selected,
        })
    }

    /// The JSON form: `{"edges", "center", "bins": {"count", "weight",
    /// "mass", "mass_enclosed", "<var>": {"mean", "std"[,
    /// "cumulative_mean"]}}}` plus the settings; NaN is `null`.
    pub fn to_json(&self, cumulative: bool) -> Value {
        let nums = |v: &[f64]| -> Value {
            Value::Array(
                v.iter()
                    .map(|&x| if x.is_finite() { json!(x) } else { Value::Null })
                    .collect(),
            )
        };
        let mut bins = serde_json::Map::new();
        bins.insert("count".into(), json!(self.count));
        bins.insert("weight".into(), nums(&self.weight));
        bins.insert("mass".into(), nums(&self.mass));
        bins.insert("mass_enclosed".into(), nums(&self.mass_enclosed));
        for v in &self.vars {
            let mut o = serde_json::Map::new();
            o.insert("mean".into(), nums(&v.mean));
            o.insert("std".into(), nums(&v.std));
            if cumulative {
                o.insert("cumulative_mean".into(), nums(&v.cumulative_mean));
            }
            bins.insert(v.name.clone(), Value::Object(o));
        }
        let s = &self.spec;
        let shape = match s.shape {
            Shape::Sphere => json!({"kind": "sphere"}),
            Shape::Cylinder { normal, height } => {
                json!({"kind": "cylinder", "normal": normal, "height": height})
            }
        };
        json!({
            "edges": nums(&self.edges),
            "center": s.center,
            "bins": bins,
            "settings": {
                "radius": s.radius,
                "rmin": self.edges[0],
                "nbins": self.count.len(),
                "spacing": match s.spacing { Spacing::Log => "log", Spacing::Lin => "lin" },
                "weight": match s.weight { Weight::Mass => "mass", Weight::Volume => "volume", Weight::None => "none" },
                "shape": shape,
                "periodic": s.period.map(|p| p.is_some()),
                "cumulative": cumulative,
            },
            "selected": {"count": self.selected.count, "mass": self.selected.mass},
            "inside_rmin": {"count": self.inside.count, "mass": self.inside.mass},
            "on_radius": {"count": self.beyond.count, "mass": self.beyond.mass},
        })
    }
}

impl Profile {
    /// A CSV table, one line per bin: `r_lo,r_hi,count,weight,mass,
    /// mass_enclosed`, then `<var>_mean,<var>_std` per variable (and
    /// `<var>_cumulative_mean` with `cumulative`); empty bins have empty
    /// means. Numbers are written so that they read back to the same bits.
    pub fn to_csv(&self, cumulative: bool) -> String {
        let mut out = String::from("r_lo,r_hi,count,weight,mass,mass_enclosed");
        for v in &self.vars {
            out.push_str(&format!(",{0}_mean,{0}_std", v.name));
            if cumulative {
                out.push_str(&format!(",{}_cumulative_mean", v.name));
            }
        }
        out.push('\n');
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x:?}")
            } else {
                String::new()
            }
        };
        for k in 0..self.count.len() {
            out.push_str(&format!(
                "{},{},{},{},{},{}",
                num(self.edges[k]),
                num(self.edges[k + 1]),
                self.count[k],
                num(self.weight[k]),
                num(self.mass[k]),
                num(self.mass_enclosed[k])
            ));
            for v in &self.vars {
                out.push_str(&format!(",{},{}", num(v.mean[k]), num(v.std[k])));
                if cumulative {
                    out.push_str(&format!(",{}", num(v.cumulative_mean[k])));
                }
            }
            out.push('\n');
        }
        out
    }
}

/// The profile of the variables `vars` (columns of `t`, with `density`)
/// over the cells of `t` as `spec` defines it: partials per block, folded
/// in order.
pub fn profile(t: &CellTable, spec: &ProfileSpec, vars: &[&str], exec: &Exec) -> Result<Profile> {
    t.column("density")?;
    for v in vars {
        t.column(v)?;
    }
    let plan = ProfilePlan::for_table(t, spec, exec)?;
    let parts = profile_partials(t, &plan, vars, exec)?;
    let sums = ProfilePartial::fold(plan.edges.bins(), vars.len(), &parts);
    Profile::from_sums(&plan, vars, &sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_exact_at_both_ends_and_bins_follow_them() {
        let e = Edges::new(0.01, 0.5, 7, Spacing::Log).unwrap();
        assert_eq!((e.edges[0], e.edges[7]), (0.01, 0.5));
        for k in 0..7 {
            assert_eq!(e.place(e.edges[k]), Place::Bin(k));
            let below = f64::from_bits(e.edges[k + 1].to_bits() - 1);
            assert_eq!(e.place(below), Place::Bin(k));
        }
        assert_eq!(e.place(0.5), Place::Beyond);
        assert_eq!(e.place(0.0099), Place::Inside);
        assert_eq!(e.place(0.51), Place::Out);
        assert_eq!(e.place(f64::NAN), Place::Out);
        let l = Edges::new(0.0, 1.0, 4, Spacing::Lin).unwrap();
        assert_eq!(l.edges, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(l.place(0.0), Place::Bin(0));
    }

    #[test]
    fn bad_edges_are_one_clear_error_each() {
        let msg = |r: Result<Edges>| r.unwrap_err().to_string();
        assert!(msg(Edges::new(0.1, 1.0, 0, Spacing::Log)).contains("--bins"));
        assert!(msg(Edges::new(1.0, 1.0, 4, Spacing::Log)).contains("smaller than --radius"));
        assert!(msg(Edges::new(2.0, 1.0, 4, Spacing::Lin)).contains("smaller than --radius"));
        assert!(msg(Edges::new(0.0, 1.0, 4, Spacing::Log)).contains("positive for log"));
        assert!(msg(Edges::new(0.1, -1.0, 4, Spacing::Log)).contains("--radius"));
    }

    #[test]
    fn minimum_image_and_cylinder_distances() {
        let mut spec = ProfileSpec::new([0.05, 0.5, 0.5], 0.3);
        spec.period = [Some(1.0), Some(1.0), None];
        let g = Geometry::of(&spec).unwrap();
        let d = g.distance([0.95, 0.5, 0.5]).unwrap();
        assert!((d - 0.1).abs() < 1e-15, "{d}");
        spec.shape = Shape::Cylinder {
            normal: [0.0, 0.0, 2.0],
            height: 0.2,
        };
        let g = Geometry::of(&spec).unwrap();
        assert_eq!(g.distance([0.05, 0.5, 0.65]), None);
        let d = g.distance([0.05, 0.8, 0.59]).unwrap();
        assert!((d - 0.3).abs() < 1e-15, "{d}");
    }

    #[test]
    fn chan_update_matches_one_pass_over_both_blocks() {
        // Two blocks of one bin: values 1, 2 (weights 1, 3) and 5 (weight 2).
        let mut a = ProfilePartial::zeros(1, 1);
        // mean_a = 7/4, M_a = 1·(0.75)² + 3·(0.25)² = 0.75
        a.data[..5].copy_from_slice(&[2.0, 4.0, 4.0, 7.0, 0.75]);
        let mut b = ProfilePartial::zeros(1, 1);
        b.data[..5].copy_from_slice(&[1.0, 2.0, 2.0, 10.0, 0.0]);
        a.add(&b);
        // mean 17/6; M = Σ w (f − 17/6)².
        let mean = 17.0 / 6.0;
        let m: f64 = [(1.0, 1.0), (2.0, 3.0), (5.0, 2.0)]
            .iter()
            .map(|&(f, w)| w * (f - mean) * (f - mean))
            .sum();
        assert!((a.data[4] - m).abs() < 1e-14, "{} vs {m}", a.data[4]);
        assert_eq!(&a.data[..4], &[3.0, 6.0, 6.0, 17.0]);
    }
}
