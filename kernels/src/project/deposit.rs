//! The deposit of a run of cells into its partial.

use super::geometry::Geometry;
use super::maps::Partial;
use crate::load::CellTable;

/// The partial of cells `range` of a table: the pixel box they touch, then
/// the deposit of each cell in order.
pub(super) fn cell_partial(
    g: &Geometry,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    weighted: bool,
    range: std::ops::Range<usize>,
) -> Partial {
    // The pixel box: from the cells' extents along the image axes (a
    // cheap pass; it contains every footprint, since the pixel spans of
    // `footprint` grow with the extents, and may be a little larger when
    // some cells lie outside the line-of-sight range).
    let Some([i0, i1, j0, j1]) = g.pixel_box(t, range.clone()) else {
        return Partial::default();
    };
    let (bw, bh) = (i1 - i0, j1 - j0);
    let mut p = Partial {
        i0,
        j0,
        nx: bw,
        ny: bh,
        // Separate zeroed allocations (not `vec![map; k]`, which would copy
        // the first array into the others page by page).
        acc: (0..cols.len()).map(|_| vec![0.0; bw * bh]).collect(),
        w: if weighted {
            vec![0.0; bw * bh]
        } else {
            Vec::new()
        },
    };
    let (a0, b0) = (g.range[g.a][0], g.range[g.b][0]);
    let (pw, ph) = (g.pw, g.ph);
    let mut fx: Vec<f64> = Vec::new();
    for k in range {
        let Some(f) = g.footprint(t, k) else {
            continue;
        };
        let ([u0, u1], [v0, v1]) = (f.u, f.v);
        let dlw = f.dl * rho.map_or(1.0, |r| r[k]);
        // Column overlap fractions, once per cell rather than once per pixel.
        fx.clear();
        fx.extend((f.i[0]..f.i[1]).map(|i| {
            let pu0 = a0 + i as f64 * pw;
            ((pu0 + pw).min(u1) - pu0.max(u0)) / pw
        }));
        for j in f.j[0]..f.j[1] {
            let pv0 = b0 + j as f64 * ph;
            let fy = ((pv0 + ph).min(v1) - pv0.max(v0)) / ph;
            if fy <= 0.0 {
                continue;
            }
            let fyd = fy * dlw;
            let row = (j - j0) * bw + (f.i[0] - i0);
            for (di, &fxi) in fx.iter().enumerate() {
                if fxi <= 0.0 {
                    continue;
                }
                let w = fxi * fyd;
                let q = row + di;
                if weighted {
                    p.w[q] += w;
                }
                for (m, col) in p.acc.iter_mut().zip(cols) {
                    m[q] += col[k] * w;
                }
            }
        }
    }
    p
}
