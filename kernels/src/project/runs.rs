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
