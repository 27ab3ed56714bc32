//! Unit tests of the level selection and the table fill against per-oct
//! computations.

use super::cells::fill_cells;
use super::header::AmrHead;
use super::scan::{CpuScan, LevelScan};
use super::select::{bit_counts, compact, oct_origin, select_level, Grid};
use crate::fortran::{RawReals, RealWidth};
use crate::oct::cell_bits;
use std::path::Path;

/// A small deterministic generator (xorshift) for the masks below.
fn masks(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// `select_level` on a level of `n` octs of a 3D unit grid at level 4
/// (centres at odd multiples of 1/16), `son` from `masks`: its index
/// lists, origins and the cells `fill_cells` writes agree with the
/// per-oct `oct_origin` and the selection bits, for both byte orders
/// and widths; an off-grid centre of an oct with a selected cell is
/// named, one of an oct with none is not looked at.
#[test]
fn select_level_agrees_with_the_per_oct_checks() {
    let (ilevel, n) = (4usize, 300usize);
    let g = Grid::new(3, [0; 3], [1; 3]);
    let top = [16.0; 3];
    let p = Path::new("amr_00001.out00001");
    let leaf = masks(7, n);
    let centre = |j: usize, d: usize| (2 * ((j * (d + 3) + d) % 8) + 1) as f64 / 16.0;
    for (width, be) in [
        (RealWidth::F64, false),
        (RealWidth::F64, true),
        (RealWidth::F32, false),
        (RealWidth::F32, true),
    ] {
        let enc = |x: f64| -> Vec<u8> {
            match (width, be) {
                (RealWidth::F64, false) => x.to_le_bytes().to_vec(),
                (RealWidth::F64, true) => x.to_be_bytes().to_vec(),
                (RealWidth::F32, false) => (x as f32).to_le_bytes().to_vec(),
                (RealWidth::F32, true) => (x as f32).to_be_bytes().to_vec(),
            }
        };
        let mut xg: Vec<Vec<u8>> = (0..3)
            .map(|d| (0..n).flat_map(|j| enc(centre(j, d))).collect())
            .collect();
        // son: 0 (a leaf) where the bit of `leaf` is set; oct 5 fully
        // refined (no selected cell).
        let son: Vec<Vec<u8>> = (0..8)
            .map(|ind| {
                (0..n)
                    .flat_map(|j| {
                        let v: i32 = if j != 5 && leaf[j] >> ind & 1 == 1 {
                            0
                        } else {
                            7
                        };
                        if be {
                            v.to_be_bytes()
                        } else {
                            v.to_le_bytes()
                        }
                    })
                    .collect()
            })
            .collect();
        let run = |xg: &[Vec<u8>]| {
            let raw: Vec<RawReals> = xg.iter().map(|x| RawReals::new(x, width, be)).collect();
            let son: Vec<&[u8]> = son.iter().map(|s| s.as_slice()).collect();
            select_level(p, ilevel, 8, &raw, &son, be, None, None, &g)
        };
        let lev = run(&xg).unwrap();
        for ind in 0..8 {
            let want: Vec<u32> = (0..n as u32)
                .filter(|&j| j != 5 && leaf[j as usize] >> ind & 1 == 1)
                .collect();
            assert_eq!(lev.per_ind[ind], want.len());
            assert_eq!(lev.sel_of(ind), &want[..], "{width:?} be={be} ind={ind}");
        }
        for j in (0..n).filter(|&j| j != 5 && leaf[j] != 0) {
            let x = std::array::from_fn(|d| centre(j, d));
            let o = oct_origin(x, ilevel, &g, &top, p).unwrap();
            assert_eq!(o, std::array::from_fn(|d| lev.origin[d][j]), "oct {j}");
        }
        // The table `fill_cells` writes: cell by cell as the lists say.
        let scan = CpuScan {
            icpu: 1,
            header: AmrHead {
                ncpu: 1,
                ndim: 3,
                nx: [1; 3],
                nlevelmax: 8,
                nboundary: 0,
                boxlen: 1.0,
                time: 0.0,
                real_width: width.bytes(),
            },
            levels: [vec![LevelScan::default(); 3], vec![lev.clone()]].concat(),
            counts: Vec::new(),
        };
        let m = lev.count;
        let (mut lv, mut ix, mut iy, mut iz) = (vec![0; m], vec![0; m], vec![0; m], vec![0; m]);
        fill_cells(&scan, &mut lv, &mut ix, &mut iy, &mut iz);
        let mut k = 0;
        for ind in 0..8 {
            let b = cell_bits(ind);
            for &j in lev.sel_of(ind) {
                let j = j as usize;
                assert_eq!(lv[k], 4);
                assert_eq!(
                    [ix[k], iy[k], iz[k]],
                    std::array::from_fn(|d| lev.origin[d][j] + b[d])
                );
                k += 1;
            }
        }
        assert_eq!(k, m);
        // Off the grid: oct 5 (nothing selected) is not checked, an
        // oct with a selected cell is named.
        let w = width.bytes();
        xg[1][5 * w..6 * w].copy_from_slice(&enc(2.0 / 16.0));
        assert!(run(&xg).is_ok());
        let j = (0..n).find(|&j| j != 5 && leaf[j] != 0).unwrap();
        xg[1][j * w..(j + 1) * w].copy_from_slice(&enc(2.0 / 16.0));
        let err = run(&xg).unwrap_err().to_string();
        assert!(
            err.contains("level 4 oct centre 0.125 (axis 1) is not on the level grid"),
            "{err}"
        );
    }
}

#[test]
fn compact_keeps_the_selected_in_order() {
    for (seed, n) in [(1, 0), (2, 1), (3, 7), (4, 255), (5, 256), (6, 1000)] {
        let mut mask = masks(seed, n);
        if n > 3 {
            // Runs of all-selected and none-selected at the ends.
            mask[0] = 0xff;
            mask[n - 1] = 0;
            mask[n - 2] = 0;
        }
        let counts = bit_counts(&mask);
        for (ind, &count) in counts.iter().enumerate() {
            let want: Vec<usize> = (0..n).filter(|&j| mask[j] >> ind & 1 == 1).collect();
            assert_eq!(count, want.len(), "bit_counts n={n} ind={ind}");
            let mut got = vec![usize::MAX; want.len()];
            compact(&mask, ind, want.len(), |k, j| got[k] = j);
            assert_eq!(got, want, "compact n={n} ind={ind}");
        }
    }
}

#[test]
fn oct_origin_rounds_and_rejects_off_grid_centres() {
    let g = Grid::new(3, [0; 3], [1; 3]);
    let ilevel = 3; // 8 cells per axis; oct centres at odd multiples of 1/8
    let top = [8.0; 3];
    let p = Path::new("amr_00001.out00001");
    let ok = |x: [f64; 3]| oct_origin(x, ilevel, &g, &top, p);
    assert_eq!(ok([1.0 / 8.0, 3.0 / 8.0, 7.0 / 8.0]).unwrap(), [0, 2, 6]);
    // Within 1e-6 cell of the grid point: rounded.
    let e = 1e-7 / 8.0;
    assert_eq!(
        ok([1.0 / 8.0 + e, 3.0 / 8.0 - e, 5.0 / 8.0]).unwrap(),
        [0, 2, 4]
    );
    for bad in [
        2.0 / 8.0,        // an even multiple
        1.0 / 8.0 + 1e-4, // off the grid
        -1.0 / 8.0,       // outside the box
        9.0 / 8.0,        // beyond it
        f64::NAN,
        f64::INFINITY,
        1e300,
    ] {
        let x = [bad, 1.0 / 8.0, 1.0 / 8.0];
        let err = ok(x).expect_err(&format!("{x:?}")).to_string();
        assert!(err.contains("not on the level grid"), "{err}");
    }
}
