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
    let (a, b) = spec.image_axes();
    let pw = (spec.range[a][1] - spec.range[a][0]) / spec.res[0] as f64;
    let ph = (spec.range[b][1] - spec.range[b][0]) / spec.res[1] as f64;
    // Whole numbers, at most 4 + the map's pixels: summed as integers they
    // cut where sums of the same values as `f64` did (exact below 2^53,
    // which every map that can be allocated is), one cycle per cell
    // rather than a chain of floating-point additions.
    let cost: Vec<u64> = (0..64)
        .map(|l| {
            let dx = 0.5f64.powi(l);
            (4.0 + (dx / pw).ceil().min(spec.res[0] as f64)
                * (dx / ph).ceil().min(spec.res[1] as f64)) as u64
        })
        .collect();
    let mut v = Vec::new();
    for (_, r) in t.file_ranges() {
        let mut start = r.start;
        let mut acc = 0;
        for k in r.clone() {
            acc += cost[t.level[k] as usize];
            if acc >= RUN_COST {
                v.push(start..k + 1);
                start = k + 1;
                acc = 0;
            }
        }
        if start < r.end {
            v.push(start..r.end);
        }
    }
    v
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
