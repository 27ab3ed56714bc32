//! Phase one's result: per level, the selected cells of the own domain
//! and the oct counts around it, which place the own blocks in the other
//! files.

use super::header::AmrHead;
use super::offsets::LevelCounts;

/// One level of the file's own domain: which cells are selected (leaves
/// inside the region) and the integer origin of each oct holding one.
#[derive(Clone, Debug, Default)]
pub(super) struct LevelScan {
    pub(super) ncache: usize,
    /// Selected cells per cell index `ind` (over all octs).
    pub(super) per_ind: [usize; 8],
    /// The octs whose cell `ind` is selected, in order, for each `ind`
    /// with some but not all of them selected (`sel_at[ind]` on; the
    /// others have no list: every oct, or none). Built once per level, so
    /// that each variable and the coordinates are gathered by index
    /// instead of each scanning every oct's selection bits again.
    pub(super) sel: Vec<u32>,
    pub(super) sel_at: [usize; 8],
    /// Integer origin of each oct along each axis (see `oct_origin` in `select.rs`),
    /// one column per axis; meaningful for the octs with a selected cell.
    pub(super) origin: [Vec<u32>; 3],
    pub(super) count: usize,
}

impl LevelScan {
    /// The octs whose cell `ind` is selected, when some but not all are.
    #[inline]
    pub(super) fn sel_of(&self, ind: usize) -> &[u32] {
        &self.sel[self.sel_at[ind]..self.sel_at[ind] + self.per_ind[ind]]
    }
}

/// The first phase of a two-phase read of one CPU: the amr file's header
/// and the own domain's oct centres and `son` flags, decoded into the
/// selected leaf cells of each level and their integer coordinates. The
/// amr file is not needed again: [`read_cpu_into`](crate::cpu::read_cpu_into) fills the coordinate
/// columns from the scan and decodes the requested variables from the
/// hydro, gravity and rt files, whose own blocks sit at offsets computed
/// from the per-level oct counts kept here, into slices the caller sized
/// with [`CpuScan::len`].
#[derive(Clone, Debug)]
pub struct CpuScan {
    /// 1-based CPU number.
    pub icpu: usize,
    /// The amr file's first header records.
    pub(super) header: AmrHead,
    pub(super) levels: Vec<LevelScan>,
    /// Per level (all `nlevelmax`), the oct counts around the own domain,
    /// shared by the amr, hydro, gravity and rt walks.
    pub(super) counts: Vec<LevelCounts>,
}

impl CpuScan {
    /// Number of selected leaf cells: the length of every output column.
    pub fn len(&self) -> usize {
        self.levels.iter().map(|l| l.count).sum()
    }

    /// Whether no cell is selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Selected cells per level (index 0 is level 1).
    pub fn per_level(&self) -> Vec<usize> {
        self.levels.iter().map(|l| l.count).collect()
    }
}
