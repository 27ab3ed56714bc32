//! The deposit from per-level tables against the per-cell evaluation
//! (bit for bit) and against a brute-force integral over every pixel
//! (1e-12), on made-up cells of every kind the tables treat apart: levels
//! whose spans end in rounded-off pixels, levels too fine for tables
//! (more coordinates than `MAX_POSITIONS`) or for the integer pixel box,
//! 1D and 2D runs, slabs and windows cutting cells.

use super::deposit::cell_partial;
use super::geometry::Geometry;
use super::recycle::Recycler;
use super::spans::Spans;
use super::{ProjSpec, Weight};
use crate::load::CellTable;
use crate::units::Units;

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Cells at the given levels, at random places (coordinates 0 along the
/// axes a run of `ndim` dimensions does not have), a positive `density`
/// and a signed `v`.
fn table(ndim: usize, levels: &[u8], per_level: usize, seed: u64) -> CellTable {
    let mut r = Lcg(seed);
    let mut t = CellTable {
        units: Units {
            ndim,
            boxlen: 2.5,
            ..Units::default()
        },
        names: vec!["density".into(), "v".into()],
        columns: vec![Vec::new(), Vec::new()],
        ..CellTable::default()
    };
    for &l in levels {
        for _ in 0..per_level {
            let side = 1u64 << l;
            let mut c = [0u32; 3];
            for x in c.iter_mut().take(ndim) {
                // Deep levels: near the middle, so that windows there meet them.
                *x = if l > 30 {
                    ((side / 2) as i64 + r.below(1 << 20) as i64 - (1 << 19)) as u32
                } else {
                    r.below(side) as u32
                };
            }
            t.level.push(l);
            t.ix.push(c[0]);
            t.iy.push(c[1]);
            t.iz.push(c[2]);
            t.columns[0].push(1.0 + r.below(1000) as f64 / 7.0);
            t.columns[1].push(r.below(2001) as f64 / 13.0 - 77.0);
        }
    }
    t
}

fn spec(axis: usize, res: [usize; 2], range: [[f64; 2]; 3], weight: Weight) -> ProjSpec {
    ProjSpec {
        axis,
        res,
        range,
        vars: vec!["v".into(), "density".into()],
        weight,
    }
}

/// The partial of the whole table, from tables or evaluated per cell.
fn partial(t: &CellTable, s: &ProjSpec, tables: bool) -> super::Partial {
    let g = Geometry::new(s, &t.units);
    let sp = if tables {
        Spans::new(g)
    } else {
        Spans::direct(g)
    };
    let cols: Vec<&[f64]> = s.vars.iter().map(|v| t.column(v).unwrap()).collect();
    let rho = (s.weight == Weight::Mass).then(|| t.column("density").unwrap());
    let arrays = Recycler::new(0);
    cell_partial(
        &arrays,
        &sp,
        t,
        &cols,
        rho,
        s.weight != Weight::None,
        0..t.len(),
    )
}

/// `Σ_cells value · w · |cell ∩ pixel column| / pixel area` for every
/// pixel (and the weight sums), straight from the definition.
fn brute(t: &CellTable, s: &ProjSpec) -> (Vec<Vec<f64>>, Vec<f64>) {
    let (a, b) = s.image_axes();
    let c = s.axis;
    let [nx, ny] = s.res;
    let r = s.range;
    let (pw, ph) = (
        (r[a][1] - r[a][0]) / nx as f64,
        (r[b][1] - r[b][0]) / ny as f64,
    );
    let mut maps = vec![vec![0.0; nx * ny]; s.vars.len()];
    let mut w = vec![0.0; nx * ny];
    let overlap = |lo: f64, hi: f64, r0: f64, r1: f64| (hi.min(r1) - lo.max(r0)).max(0.0);
    for k in 0..t.len() {
        let dx = 1.0 / (1u64 << t.level[k]) as f64;
        let lo = [t.ix[k], t.iy[k], t.iz[k]].map(|x| x as f64 * dx);
        let ext = |d: usize, r0: f64, r1: f64| {
            if d < t.units.ndim {
                overlap(lo[d], lo[d] + dx, r0, r1)
            } else {
                r1 - r0
            }
        };
        let depth = if c < t.units.ndim {
            ext(c, r[c][0], r[c][1]) * t.units.boxlen
        } else {
            1.0
        };
        let rho = if s.weight == Weight::Mass {
            t.column("density").unwrap()[k]
        } else {
            1.0
        };
        for j in 0..ny {
            let fy = ext(b, r[b][0] + j as f64 * ph, r[b][0] + (j + 1) as f64 * ph) / ph;
            for i in 0..nx {
                let fx = ext(a, r[a][0] + i as f64 * pw, r[a][0] + (i + 1) as f64 * pw) / pw;
                let wt = fx * fy * depth * rho;
                w[j * nx + i] += wt;
                for (m, v) in maps.iter_mut().zip(&s.vars) {
                    m[j * nx + i] += wt * t.column(v).unwrap()[k];
                }
            }
        }
    }
    (maps, w)
}

/// The partial spread on the whole map.
fn whole(p: &super::Partial, m: &[f64], nx: usize, ny: usize) -> Vec<f64> {
    let mut out = vec![0.0; nx * ny];
    if p.nx == 0 {
        return out;
    }
    for j in 0..p.ny {
        for i in 0..p.nx {
            out[(p.j0 + j) * nx + p.i0 + i] = m[j * p.nx + i];
        }
    }
    out
}

fn check(t: &CellTable, s: &ProjSpec, brute_force: bool) {
    let (fast, slow) = (partial(t, s, true), partial(t, s, false));
    let bits = |p: &super::Partial| -> Vec<Vec<u64>> {
        p.acc
            .iter()
            .chain(std::iter::once(&p.w))
            .map(|m| m.iter().map(|x| x.to_bits()).collect())
            .collect()
    };
    assert_eq!(
        (fast.i0, fast.j0, fast.nx, fast.ny),
        (slow.i0, slow.j0, slow.nx, slow.ny)
    );
    assert!(bits(&fast) == bits(&slow), "tables differ: {s:?}");
    if !brute_force {
        return;
    }
    let [nx, ny] = s.res;
    let (maps, w) = brute(t, s);
    let close = |got: &[f64], want: &[f64]| {
        let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        got.iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= 1e-12 * scale)
    };
    for (m, want) in fast.acc.iter().zip(&maps) {
        assert!(close(&whole(&fast, m, nx, ny), want), "{s:?}");
    }
    if s.weight != Weight::None {
        assert!(close(&whole(&fast, &fast.w, nx, ny), &w), "{s:?}");
    } else {
        assert!(fast.w.is_empty());
    }
}

/// Windows: the whole box, a window whose pixel edges round (0.1 to 0.7
/// in 6 pixels: spans end in a pixel of fraction 0), a zoom with a thin
/// slab, and pixels 3/16 or 5/32 wide (4 per side), whose edges fall on
/// the cells' from level 5 on, while the fractions (⅙, ⅕, …) are not
/// powers of two, nor their ratios: the one-pixel tables with products
/// that round.
const RANGES: [[[f64; 2]; 3]; 4] = [
    [[0.0, 1.0]; 3],
    [[0.1, 0.7], [0.3, 0.9], [0.05, 0.95]],
    [[0.3137, 0.4219], [0.25, 0.61], [0.4, 0.43]],
    [[0.0, 0.75], [0.25, 0.875], [0.125, 0.875]],
];

#[test]
fn tables_give_the_bits_of_the_per_cell_evaluation_and_the_integral() {
    let t = table(3, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 40, 7);
    for (n, range) in RANGES.into_iter().enumerate() {
        for axis in 0..3 {
            for weight in [Weight::None, Weight::Mass, Weight::Volume] {
                let res = [[16, 16], [6, 7], [11, 5], [4, 4]][n];
                check(&t, &spec(axis, res, range, weight), true);
            }
        }
    }
    // Only cells narrower than the last window's pixels, so that no coarse
    // cell dominates a pixel's sum: the rounding of each product shows.
    let fine = table(3, &[5, 6, 7, 8], 40, 23);
    for axis in 0..3 {
        for weight in [Weight::None, Weight::Mass, Weight::Volume] {
            check(&fine, &spec(axis, [4, 4], RANGES[3], weight), true);
        }
    }
}

#[test]
fn maps_of_many_pixels_and_deep_levels_keep_their_bits() {
    // Levels 12 to 20 over the whole box: more coordinates than a table
    // holds from level 17 (evaluated per cell, in runs mixing both).
    let t = table(3, &[3, 7, 10, 12, 17, 20], 3000, 11);
    for (n, range) in RANGES.into_iter().enumerate() {
        for res in [[512, 512], [300, 171]] {
            check(&t, &spec(n % 3, res, range, Weight::Mass), false);
        }
    }
    // Levels beyond the integer pixel box (41 and more) near the centre.
    let t = table(3, &[6, 40, 41, 45], 200, 13);
    let zoom = [
        [0.5 - 1e-7, 0.5 + 1e-7],
        [0.5 - 2e-7, 0.5 + 1e-7],
        [0.0, 1.0],
    ];
    for axis in 0..3 {
        check(&t, &spec(axis, [64, 48], zoom, Weight::Volume), false);
    }
}

#[test]
fn runs_of_one_and_two_dimensions_span_the_missing_axes() {
    for ndim in [1, 2] {
        let t = table(ndim, &[2, 5, 6, 8], 50, 17 + ndim as u64);
        for (n, range) in RANGES.into_iter().enumerate() {
            for axis in 0..3 {
                let weight = [Weight::None, Weight::Mass, Weight::Volume][n % 3];
                check(&t, &spec(axis, [9, 13], range, weight), true);
            }
        }
    }
}
