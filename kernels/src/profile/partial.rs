//! The sums a profile is made of: per block of selected cells of one CPU
//! file, per row (bin, inside `r0`, on `R`), compensated sums of the
//! count, Σw, Σm and Σwf and a second moment about the block's own mean;
//! folded in block order (compensated again, second moments by Chan et
//! al.'s update). Blocks depend only on each file's selected cells, so the
//! result is the same bits for any thread count or split of the files.

use super::compensated::Compensated;
use super::edges::{Edges, Place};
use super::geometry::{Geometry, LevelSizes, Selected};
use super::{empty, invalid, ProfileSpec};
use crate::error::Result;
use crate::exec::Exec;
use crate::project::Weight;
use crate::table::CellTable;

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

    pub(crate) fn width(&self) -> usize {
        3 + 2 * self.nvars
    }

    pub(crate) fn rows(&self) -> usize {
        self.data.len() / self.width()
    }

    pub(crate) fn row(&self, i: usize) -> &[f64] {
        let w = self.width();
        &self.data[i * w..(i + 1) * w]
    }

    /// Whether column `c` of a row is a second moment (the others are
    /// sums).
    fn is_moment(c: usize) -> bool {
        c >= 4 && c.is_multiple_of(2)
    }

    /// The partials folded one after the other, in order (see
    /// [`ProfileFold`]).
    pub fn fold(bins: usize, nvars: usize, parts: &[ProfilePartial]) -> ProfilePartial {
        let mut f = ProfileFold::new(bins, nvars);
        for p in parts {
            f.add(p);
        }
        f.finish()
    }
}

/// The partials of a profile folded one after the other, in order, as
/// they come (a reduction over CPU files hands over each file's partials
/// once the files before it are folded): counts, Σw, Σm and Σwf as
/// compensated sums (exact to a few ulps however many blocks), second
/// moments combined as `M = M_a + M_b + (f̄_b − f̄_a)²·w_a·w_b/(w_a + w_b)`.
/// Folding all partials at once or as they come is the same additions in
/// the same order: the same bits.
#[derive(Clone, Debug)]
pub struct ProfileFold {
    /// The second moments so far (the other columns are in `sums`).
    acc: ProfilePartial,
    sums: Vec<Compensated>,
}

impl ProfileFold {
    /// Nothing folded yet, for `bins` bins and `nvars` variables.
    pub fn new(bins: usize, nvars: usize) -> ProfileFold {
        let acc = ProfilePartial::zeros(bins, nvars);
        let sums = vec![Compensated::default(); acc.data.len()];
        ProfileFold { acc, sums }
    }

    /// Adds the next partial (in block order).
    pub fn add(&mut self, p: &ProfilePartial) {
        let wd = self.acc.width();
        let nvars = self.acc.nvars;
        for ((a, s), b) in self
            .acc
            .data
            .chunks_mut(wd)
            .zip(self.sums.chunks_mut(wd))
            .zip(p.data.chunks(wd))
        {
            let (wa, wb) = (s[1].value(), b[1]);
            for v in 0..nvars {
                let (f, m) = (3 + 2 * v, 4 + 2 * v);
                a[m] = if wa == 0.0 || wb == 0.0 {
                    a[m] + b[m]
                } else {
                    let d = b[f] / wb - s[f].value() / wa;
                    a[m] + b[m] + d * d * (wa * wb / (wa + wb))
                };
            }
            for (c, (s, &x)) in s.iter_mut().zip(b).enumerate() {
                if !ProfilePartial::is_moment(c) {
                    s.add(x);
                }
            }
        }
    }

    /// The sums of every partial added.
    pub fn finish(self) -> ProfilePartial {
        let ProfileFold { mut acc, sums } = self;
        let wd = acc.width();
        for (c, (a, s)) in acc.data.iter_mut().zip(&sums).enumerate() {
            if !ProfilePartial::is_moment(c % wd) {
                *a = s.value();
            }
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
    /// smallest cell of the selection from [`Selected::smallest_cell`])
    /// must be known.
    pub fn new(spec: &ProfileSpec, r0: f64) -> Result<ProfilePlan> {
        let geometry = Geometry::of(spec)?;
        let edges = Edges::new(r0, spec.radius, spec.bins, spec.spacing)?;
        Ok(ProfilePlan {
            spec: spec.clone(),
            geometry,
            edges,
        })
    }

    /// Checks what can be checked before any cell is looked at.
    pub fn check(spec: &ProfileSpec) -> Result<Geometry> {
        if spec.bins == 0 {
            return invalid("--bins must be at least 1, got 0".into());
        }
        if !(spec.radius > 0.0 && spec.radius.is_finite()) {
            return invalid(format!("--radius must be positive, got {}", spec.radius));
        }
        Geometry::of(spec)
    }

    /// The plan for the cells `sel` of a table selects: `r0` from the
    /// spec or the selection (an empty selection is an error).
    pub fn for_selection(spec: &ProfileSpec, sel: &Selected) -> Result<ProfilePlan> {
        Self::check(spec)?;
        let r0 = match spec.rmin {
            Some(r0) => r0,
            None => sel.smallest_cell().ok_or_else(|| empty(spec))?,
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

/// The [`ProfilePartial`]s of `t`, in order, for the variables `vars`
/// (columns of `t`; `density` must be one too): one per run of
/// [`SUM_BLOCK`](crate::sums::SUM_BLOCK) *selected* cells of one CPU file, counted from the file's
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
    let sel = Selected::of(t, &plan.geometry, plan.spec.radius, exec);
    partials_of(t, plan, &sel, vars, exec)
}

/// [`profile_partials`] of the cells `sel` (made with `plan`'s geometry
/// and radius) already selected.
pub fn partials_of(
    t: &CellTable,
    plan: &ProfilePlan,
    sel: &Selected,
    vars: &[&str],
    exec: &Exec,
) -> Result<Vec<ProfilePartial>> {
    let rho = t.column("density")?;
    let cols: Vec<&[f64]> = vars.iter().map(|v| t.column(v)).collect::<Result<_>>()?;
    exec.check()?;
    let sizes = LevelSizes::of(t);
    let blocks = sel.blocks();
    let block = BlockSums {
        t,
        plan,
        rho,
        cols: &cols,
        sizes: &sizes,
    };
    Ok(exec
        .par()
        .min_chunk(1)
        .map(&blocks, |cells| block.sums(cells)))
}

/// What the sums of one block read.
struct BlockSums<'a> {
    t: &'a CellTable,
    plan: &'a ProfilePlan,
    rho: &'a [f64],
    cols: &'a [&'a [f64]],
    sizes: &'a LevelSizes,
}

impl BlockSums<'_> {
    /// Mass and weight of cell `k`.
    #[inline]
    fn mass_weight(&self, k: usize) -> (f64, f64) {
        let v = self.sizes.volume(self.t, k);
        let m = self.rho[k] * v;
        let w = match self.plan.spec.weight {
            Weight::Mass => m,
            Weight::Volume => v,
            Weight::None => 1.0,
        };
        (m, w)
    }

    /// The partial of one block of selected `(cell, r)`, in cell order
    /// (the pieces one after the other).
    fn sums(&self, pieces: &[&[(usize, f64)]]) -> ProfilePartial {
        let cells = || pieces.iter().flat_map(|p| p.iter());
        let len = pieces.iter().map(|p| p.len()).sum();
        let n = self.plan.edges.bins();
        let mut p = ProfilePartial::zeros(n, self.cols.len());
        let wd = p.width();
        let mut acc = vec![Compensated::default(); p.data.len()];
        let mut rows = Vec::with_capacity(len);
        // With mass weights Σw is Σm: summed once.
        let mass_weighted = self.plan.spec.weight == Weight::Mass;
        for &(k, r) in cells() {
            let i = match self.plan.edges.place(r) {
                Place::Bin(i) => i,
                Place::Inside => n,
                // Selected cells have r ≤ R: this is r = R.
                Place::Beyond | Place::Out => n + 1,
            };
            rows.push(i as u32);
            let (m, w) = self.mass_weight(k);
            let a = &mut acc[i * wd..(i + 1) * wd];
            p.data[i * wd] += 1.0;
            if !mass_weighted {
                a[1].add(w);
            }
            a[2].add(m);
            for (v, c) in self.cols.iter().enumerate() {
                a[3 + 2 * v].add(w * c[k]);
            }
        }
        if mass_weighted {
            for row in acc.chunks_mut(wd) {
                row[1] = row[2];
            }
        }
        for (c, (d, s)) in p.data.iter_mut().zip(&acc).enumerate() {
            if c % wd != 0 && !ProfilePartial::is_moment(c % wd) {
                *d = s.value();
            }
        }
        // Second moments about the block's own means (rows with Σw = 0
        // have nothing to add: their terms are 0·(f − NaN)², skipped).
        let nv = self.cols.len();
        let means: Vec<f64> = p
            .data
            .chunks(wd)
            .flat_map(|a| (0..nv).map(|v| a[3 + 2 * v] / a[1]))
            .collect();
        for (&(k, _), &i) in cells().zip(&rows) {
            let i = i as usize;
            if p.data[i * wd + 1] == 0.0 {
                continue;
            }
            let (_, w) = self.mass_weight(k);
            let m2 = &mut acc[i * wd..(i + 1) * wd];
            for (v, c) in self.cols.iter().enumerate() {
                let d = c[k] - means[i * nv + v];
                m2[4 + 2 * v].add(w * d * d);
            }
        }
        for (c, (d, s)) in p.data.iter_mut().zip(&acc).enumerate() {
            if ProfilePartial::is_moment(c % wd) {
                *d = s.value();
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chan_update_matches_one_pass_over_both_blocks() {
        // Two blocks of one bin: values 1, 2 (weights 1, 3) and 5 (weight 2).
        let mut a = ProfilePartial::zeros(1, 1);
        // mean_a = 7/4, M_a = 1·(0.75)² + 3·(0.25)² = 0.75
        a.data[..5].copy_from_slice(&[2.0, 4.0, 4.0, 7.0, 0.75]);
        let mut b = ProfilePartial::zeros(1, 1);
        b.data[..5].copy_from_slice(&[1.0, 2.0, 2.0, 10.0, 0.0]);
        let f = ProfilePartial::fold(1, 1, &[a, b]);
        // mean 17/6; M = Σ w (f − 17/6)².
        let mean = 17.0 / 6.0;
        let m: f64 = [(1.0, 1.0), (2.0, 3.0), (5.0, 2.0)]
            .iter()
            .map(|&(f, w)| w * (f - mean) * (f - mean))
            .sum();
        assert!((f.data[4] - m).abs() < 1e-14, "{} vs {m}", f.data[4]);
        assert_eq!(&f.data[..4], &[3.0, 6.0, 6.0, 17.0]);
    }

    #[test]
    fn the_fold_keeps_what_a_plain_sum_drops() {
        // 1 then 10⁵ blocks of 1e-16 in one bin's Σw: a plain fold stays
        // at 1.
        let mut parts = vec![ProfilePartial::zeros(1, 0)];
        parts[0].data[1] = 1.0;
        let mut tiny = ProfilePartial::zeros(1, 0);
        tiny.data[1] = 1e-16;
        parts.extend(std::iter::repeat_n(tiny, 100_000));
        let f = ProfilePartial::fold(1, 0, &parts);
        assert!((f.data[1] - (1.0 + 1e-11)).abs() <= 4.0 * f64::EPSILON);
    }
}
