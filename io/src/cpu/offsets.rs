//! Record and block lengths of the amr, hydro, gravity and rt files,
//! computed from the amr header's oct counts (`numbl`): every jump of a
//! reader over what it does not need, and every file's expected length,
//! is a sum of these.

use crate::error::{inconsistent, Result};
use std::path::Path;

/// Records per non-empty AMR block: ind_grid, next, prev, ndim × xg,
/// father, 2·ndim × nbor, then 2^ndim each of son, cpu_map and flag1 (37
/// in 3D).
pub(super) fn amr_block_records(ndim: usize) -> usize {
    3 + ndim + 1 + 2 * ndim + 3 * (1 << ndim)
}

/// Records of an AMR block that hold int32 values: ind_grid, next, prev,
/// father, 2·ndim nbor, then 2^ndim each of son, cpu_map and flag1.
pub(super) fn amr_i32_records(ndim: usize) -> usize {
    3 + 1 + 2 * ndim + 3 * (1 << ndim)
}

/// Bytes of a record of `n` values of `size` bytes, markers included.
pub(super) fn rec_len(n: usize, size: usize) -> usize {
    n * size + 8
}

/// One level's oct counts seen from one CPU file: the domains before the
/// file's own, its own, and those after; for the others, the sum of their
/// counts and how many are non-zero (a block's length is affine in its
/// count, with a constant for non-empty blocks), so every jump and the
/// file's expected length are a few multiplications.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LevelCounts {
    pub(super) before: (usize, usize),
    pub(super) own: usize,
    pub(super) after: (usize, usize),
}

impl LevelCounts {
    pub(super) fn of(row: &[usize], icpu: usize) -> LevelCounts {
        let sum = |r: &[usize]| {
            r.iter()
                .fold((0, 0), |(s, z), &n| (s + n, z + (n > 0) as usize))
        };
        LevelCounts {
            before: sum(&row[..icpu - 1]),
            own: row[icpu - 1],
            after: sum(&row[icpu..]),
        }
    }

    /// `(sum, nonzero)` over every domain of the level.
    pub(super) fn total(&self) -> (usize, usize) {
        (
            self.before.0 + self.own + self.after.0,
            self.before.1 + (self.own > 0) as usize + self.after.1,
        )
    }
}

/// Bytes and records of the AMR blocks of `(sum, nonzero)` octs and blocks
/// in `ndim` dimensions.
pub(super) fn amr_blocks((sum, nz): (usize, usize), w: usize, ndim: usize) -> (usize, usize) {
    (
        amr_i32_records(ndim) * (4 * sum + 8 * nz) + ndim * (w * sum + 8 * nz),
        amr_block_records(ndim) * nz,
    )
}

/// Bytes and records of the hydro or gravity blocks of `ndom` domains with
/// `(sum, nonzero)` octs and non-empty blocks: every domain has its
/// `(ilevel, ncache)` pair, non-empty ones `twotondim × nvar` records.
pub(super) fn var_blocks(
    (sum, nz): (usize, usize),
    ndom: usize,
    nvar: usize,
    w: usize,
    twotondim: usize,
) -> (usize, usize) {
    (
        2 * ndom * rec_len(1, 4) + twotondim * nvar * (w * sum + 8 * nz),
        2 * ndom + twotondim * nvar * nz,
    )
}

/// Bytes of the amr tree body that the oct counts imply.
pub(super) fn amr_body_len(counts: &[LevelCounts], w: usize, ndim: usize) -> usize {
    counts
        .iter()
        .map(|c| amr_blocks(c.total(), w, ndim).0)
        .sum()
}

/// Checks that a file ends where the AMR header's oct counts say its tree
/// body does: a corrupt count would otherwise send the computed jumps into
/// the wrong records.
pub(super) fn check_file_len(path: &Path, what: &str, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        return Ok(());
    }
    Err(inconsistent(
        path,
        format!(
            "{what} file is {len} bytes, but the amr file's oct counts (numbl) imply {expected}: file truncated, corrupt, or from another output"
        ),
    ))
}

/// Names of the `xg` records, per axis.
pub(super) const XG: [&str; 3] = ["xg(:,1)", "xg(:,2)", "xg(:,3)"];
