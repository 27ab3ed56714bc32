//! How a table's cells are cut into runs, each deposited into one partial.

use super::spec::ProjSpec;
use crate::load::CellTable;

/// Deposition work (cost units) of one partial: a cell costs a constant
/// plus the pixels its footprint spans, which differ by 4× per level.
const RUN_COST: u64 = 1 << 17;

/// The runs of cells the partials are taken over: every CPU file's cells
/// ([`CellTable::file_ranges`]) cut into runs of about [`RUN_COST`] of
/// deposition work. They depend only on each file's own cells and the
/// spec, so a process that reads some of the files cuts them as one that
/// reads all of them does.
pub(super) fn runs(t: &CellTable, spec: &ProjSpec) -> Vec<std::ops::Range<usize>> {
    let cost = level_costs(spec);
    let mut v = Vec::new();
    for (_, r) in t.file_ranges() {
        cut(&t.level[..r.end], r.start, &cost, &mut v);
    }
    v
}

/// The cost of a cell of each level (every `u8`): whole numbers, at most 4 + the map's
/// pixels. Summed as integers they cut where sums of the same values as
/// `f64` did (exact below 2^53, which every map that can be allocated
/// is).
fn level_costs(spec: &ProjSpec) -> [u64; 256] {
    let (a, b) = spec.image_axes();
    let pw = (spec.range[a][1] - spec.range[a][0]) / spec.res[0] as f64;
    let ph = (spec.range[b][1] - spec.range[b][0]) / spec.res[1] as f64;
    std::array::from_fn(|l| {
        let dx = 0.5f64.powi(l as i32);
        (4.0 + (dx / pw).ceil().min(spec.res[0] as f64) * (dx / ph).ceil().min(spec.res[1] as f64))
            as u64
    })
}

/// Appends to `v` the runs of cells `from..level.len()` (one file's): each
/// ends at the first cell where the costs summed since its start reach
/// [`RUN_COST`], the last one at the file's end. A stretch of cells of one
/// level adds the same cost per cell, so its cuts are found by division
/// rather than cell by cell (the same cuts: the sum after `m` cells of
/// cost `c` is `acc + m·c`, first ≥ `RUN_COST` at `m = ⌈(RUN_COST −
/// acc)/c⌉`).
fn cut(level: &[u8], from: usize, cost: &[u64; 256], v: &mut Vec<std::ops::Range<usize>>) {
    let (mut start, mut acc, mut k) = (from, 0u64, from);
    while k < level.len() {
        let end = stretch_end(level, k);
        // ≥ 4, so every cut moves on.
        let c = cost[usize::from(level[k])];
        loop {
            // `acc < RUN_COST` here, so `need ≥ 1`.
            let need = (RUN_COST - acc).div_ceil(c);
            match usize::try_from(need) {
                Ok(m) if m <= end - k => {
                    k += m;
                    v.push(start..k);
                    (start, acc) = (k, 0);
                }
                // Fewer than `need` cells left: their sum stays below
                // `RUN_COST − acc` (no overflow).
                _ => {
                    acc += (end - k) as u64 * c;
                    k = end;
                    break;
                }
            }
        }
    }
    if start < level.len() {
        v.push(start..level.len());
    }
}

/// The end of the stretch of cells of one level that starts at `k` (the
/// first index past it whose level differs, or the length): compared 8
/// levels at a time, as cells of one level come by the thousand.
pub(super) fn stretch_end(level: &[u8], k: usize) -> usize {
    let l = level[k];
    let same = u64::from_ne_bytes([l; 8]);
    let mut e = k + 1;
    while let Some(w) = level.get(e..e + 8) {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        // The lowest byte that differs: the first level in memory order.
        let x = w ^ same;
        if x != 0 {
            return e + (x.trailing_zeros() / 8) as usize;
        }
        e += 8;
    }
    e + level[e..].iter().take_while(|&&m| m == l).count()
}

/// The stretches of cells of one level of `level`, in order: each level
/// and its cells.
pub(super) fn stretches(level: &[u8]) -> Vec<(u8, std::ops::Range<usize>)> {
    let mut v = Vec::new();
    let mut k = 0;
    while k < level.len() {
        let e = stretch_end(level, k);
        v.push((level[k], k..e));
        k = e;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Exec;
    use crate::select::Selection;
    use crate::weight::Weight;

    /// The rule cell by cell: each cell adds its level's cost, and a run
    /// ends at the cell where the sum reaches [`RUN_COST`].
    fn runs_per_cell(t: &CellTable, spec: &ProjSpec) -> Vec<std::ops::Range<usize>> {
        let cost = level_costs(spec);
        let mut v = Vec::new();
        for (_, r) in t.file_ranges() {
            let (mut start, mut acc) = (r.start, 0);
            for k in r.clone() {
                acc += cost[usize::from(t.level[k])];
                if acc >= RUN_COST {
                    v.push(start..k + 1);
                    (start, acc) = (k + 1, 0);
                }
            }
            if start < r.end {
                v.push(start..r.end);
            }
        }
        v
    }

    /// Specs whose level costs range from 5 (cells below a pixel) to more
    /// than `RUN_COST` (a cell over a 1000 × 700 map).
    fn specs() -> Vec<ProjSpec> {
        let mut v = Vec::new();
        for (axis, res) in [
            (2, [512, 512]),
            (0, [7, 3]),
            (1, [1000, 700]),
            (2, [64, 64]),
        ] {
            let mut s = ProjSpec::whole_box(axis, 1, &["density"], Weight::None);
            s.res = res;
            v.push(s);
        }
        // A window a fifth of the box: its pixels are finer.
        v[3].range = [[0.3, 0.5], [0.1, 0.3], [0.0, 1.0]];
        v
    }

    #[test]
    fn stretches_cut_where_the_cells_do_on_random_levels() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for _ in 0..300 {
            let mut t = CellTable::default();
            // Stretches of 1 to ~40 000 cells (some shorter than the
            // 8 levels compared at once), levels 0–40 and a few ≥ 64.
            for _ in 0..1 + next(12) {
                let l = match next(10) {
                    0 => 64 + next(192) as u8,
                    _ => next(41) as u8,
                };
                let most = if next(3) == 0 { 9 } else { 40_000 };
                let n = 1 + next(most) as usize;
                t.level.extend(std::iter::repeat_n(l, n));
            }
            // Files of random lengths, some empty; or none.
            let mut left = t.level.len();
            while left > 0 && next(4) != 0 {
                let n = (next(left as u64 + 1) as usize).min(left);
                t.files.push((t.files.len() + 1, n));
                left -= n;
            }
            if !t.files.is_empty() {
                t.files.push((t.files.len() + 1, left));
            }
            for s in specs() {
                assert_eq!(runs(&t, &s), runs_per_cell(&t, &s), "{:?}", t.files);
            }
        }
    }

    #[test]
    fn stretches_cut_where_the_cells_do_on_real_outputs() {
        let mut outputs: Vec<_> = testkit::runs().into_iter().map(|r| r.output).collect();
        outputs.extend(
            ["cosmo", "mhd3d", "blast2d", "sedov1d", "clumps"]
                .into_iter()
                .filter_map(testkit::variant)
                .map(|r| r.output),
        );
        for out in outputs {
            let snap = amrkit_io::Snapshot::open(&out).unwrap();
            let exec = Exec::default();
            let t = crate::load::load_cells(&snap, &Selection::default(), &["density"], &[], &exec)
                .unwrap();
            assert!(t.files.len() > 1, "{out:?}");
            for s in specs() {
                let cut = runs(&t, &s);
                assert_eq!(cut, runs_per_cell(&t, &s), "{out:?}");
            }
        }
    }
}
