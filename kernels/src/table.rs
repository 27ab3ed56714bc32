//! The tables loads fill: leaf cells and particles as columns (struct of
//! arrays), their accessors, and the carving of a table's columns into one
//! disjoint slice per CPU file, which lets every file job decode straight
//! into its own part of the final columns.

use crate::error::{KernelError, Result};
use crate::units::Units;
use amrkit_io::particles::{PartColumn, PartColumnMut};

/// Leaf cells as columns (struct of arrays). Cell `k` is at level
/// `level[k]` with integer coordinates `(ix, iy, iz)[k]` on that level's
/// grid: its centre is `(i + ½)·2^-level` in box units.
#[derive(Clone, Debug, Default)]
pub struct CellTable {
    /// Units of the output.
    pub units: Units,
    /// Adiabatic index (hydro header), if hydro was read.
    pub gamma: Option<f64>,
    /// Level of each cell.
    pub level: Vec<u8>,
    /// Integer x.
    pub ix: Vec<u32>,
    /// Integer y.
    pub iy: Vec<u32>,
    /// Integer z.
    pub iz: Vec<u32>,
    /// Variable names (RAMSES names), one per column.
    pub names: Vec<String>,
    /// Variable columns.
    pub columns: Vec<Vec<f64>>,
    /// The CPU file (1-based) each run of cells came from, and the run's
    /// length: the table is these runs one after the other, in this order.
    /// Sums ([`derive`](crate::derive), [`project`](crate::project)) are
    /// taken per block of one file and folded in file order, so that they
    /// do not depend on how the work is split (threads, or processes that
    /// each read some of the files). Empty for a table not read from files:
    /// then the whole table counts as one run.
    pub files: Vec<(usize, usize)>,
}

impl CellTable {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.level.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.level.is_empty()
    }

    /// A column by RAMSES name.
    pub fn column(&self, name: &str) -> Result<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.columns[i].as_slice())
            .ok_or_else(|| KernelError::NoVariable {
                name: name.into(),
                available: self.names.join(", "),
            })
    }

    /// Cell size of cell `k` in box units.
    #[inline]
    pub fn dx_box(&self, k: usize) -> f64 {
        // 2^-level built from its exponent bits: the quotient's exact
        // value without a division (a level is a byte, so the exponent
        // 1023 − level stays that of a normal number).
        f64::from_bits((1023 - self.level[k] as u64) << 52)
    }

    /// Centre of cell `k` in box units. Along the axes a 1D or 2D run
    /// does not have, cells span the unit depth: their centre is ½ there.
    #[inline]
    pub fn centre_box(&self, k: usize) -> [f64; 3] {
        let dx = self.dx_box(k);
        let c = [
            (self.ix[k] as f64 + 0.5) * dx,
            (self.iy[k] as f64 + 0.5) * dx,
            (self.iz[k] as f64 + 0.5) * dx,
        ];
        match self.units.ndim {
            1 => [c[0], 0.5, 0.5],
            2 => [c[0], c[1], 0.5],
            _ => c,
        }
    }

    /// Volume of cell `k` in code units: dx^ndim (per unit depth in 1D and
    /// 2D).
    #[inline]
    pub fn volume(&self, k: usize) -> f64 {
        let d = self.dx_box(k) * self.units.boxlen;
        // Products, not `powi`: with an exponent unknown at compile time
        // that is a call to `__powidf2` per cell (2% of a `stats` profile).
        match self.units.ndim {
            1 => d,
            2 => d * d,
            _ => d * d * d,
        }
    }

    /// Cells per level (index 0 is level 0).
    pub fn cells_per_level(&self) -> Vec<usize> {
        let mut n = vec![0usize; 1 + self.level.iter().copied().max().unwrap_or(0) as usize];
        for &l in &self.level {
            n[l as usize] += 1;
        }
        n
    }

    /// The cells of each CPU file: `(file, range of cells)`, in table
    /// order (the whole table as file 0 when [`files`](Self::files) is
    /// empty).
    pub fn file_ranges(&self) -> Vec<(usize, std::ops::Range<usize>)> {
        if self.files.is_empty() {
            return vec![(0, 0..self.len())];
        }
        let mut at = 0;
        self.files
            .iter()
            .map(|&(icpu, n)| {
                at += n;
                (icpu, at - n..at)
            })
            .collect()
    }

    /// Keeps only the cells for which `keep(k)` holds (all columns).
    pub fn retain(&mut self, keep: impl Fn(&CellTable, usize) -> bool) {
        let flags: Vec<bool> = (0..self.len()).map(|k| keep(self, k)).collect();
        let ranges = self.file_ranges();
        if !self.files.is_empty() {
            for (f, (_, r)) in self.files.iter_mut().zip(ranges) {
                f.1 = flags[r].iter().filter(|&&b| b).count();
            }
        }
        compact(&mut self.level, &flags);
        compact(&mut self.ix, &flags);
        compact(&mut self.iy, &flags);
        compact(&mut self.iz, &flags);
        for c in &mut self.columns {
            compact(c, &flags);
        }
    }
}

/// The positions of `want` among `names`, or an error listing what `what`
/// holds.
pub(crate) fn lookup(names: &[String], want: &[&str], what: &str) -> Result<Vec<usize>> {
    want.iter()
        .map(|w| {
            names
                .iter()
                .position(|n| n == w)
                .ok_or_else(|| KernelError::NoVariable {
                    name: w.to_string(),
                    available: format!("{what}: {}", names.join(", ")),
                })
        })
        .collect()
}

/// Keeps `v[r]` where `keep[r]`, in order.
pub(crate) fn compact<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
    let mut w = 0;
    for r in 0..v.len() {
        if keep[r] {
            v[w] = v[r];
            w += 1;
        }
    }
    v.truncate(w);
}

/// Cuts `col` into consecutive disjoint slices of `counts[i]` elements.
pub(crate) fn carve<'a, T>(mut col: &'a mut [T], counts: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(counts.len());
    for &n in counts {
        let (head, rest) = std::mem::take(&mut col).split_at_mut(n);
        col = rest;
        out.push(head);
    }
    out
}

/// [`carve`] for a particle column of any type.
pub(crate) fn carve_particles<'a>(
    col: PartColumnMut<'a>,
    counts: &[usize],
) -> Vec<PartColumnMut<'a>> {
    match col {
        PartColumnMut::F64(s) => carve(s, counts)
            .into_iter()
            .map(PartColumnMut::F64)
            .collect(),
        PartColumnMut::I64(s) => carve(s, counts)
            .into_iter()
            .map(PartColumnMut::I64)
            .collect(),
        PartColumnMut::I8(s) => carve(s, counts)
            .into_iter()
            .map(PartColumnMut::I8)
            .collect(),
    }
}

/// Transposes per-column pieces (`cols[c][f]`) into per-file lists
/// (`[f][c]`).
pub(crate) fn per_file<T>(cols: Vec<Vec<T>>, nfiles: usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = (0..nfiles)
        .map(|_| Vec::with_capacity(cols.len()))
        .collect();
    for col in cols {
        for (f, piece) in col.into_iter().enumerate() {
            out[f].push(piece);
        }
    }
    out
}

/// Particles as columns, one per loaded field (positions in code units).
#[derive(Clone, Debug, Default)]
pub struct ParticleTable {
    /// Units of the output.
    pub units: Units,
    /// Field names.
    pub names: Vec<String>,
    /// Field columns.
    pub columns: Vec<PartColumn>,
}

impl ParticleTable {
    /// Number of particles.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, PartColumn::len)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Result<&PartColumn> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
            .ok_or_else(|| KernelError::NoVariable {
                name: name.into(),
                available: self.names.join(", "),
            })
    }

    /// A real column by name.
    pub fn reals(&self, name: &str) -> Result<&[f64]> {
        match self.column(name)? {
            PartColumn::F64(v) => Ok(v),
            _ => Err(KernelError::Invalid(format!(
                "particle field {name} is not real"
            ))),
        }
    }

    /// The position columns (code units), `None` along the axes a 1D or
    /// 2D run does not have (particles there sit at the middle of the unit
    /// depth).
    pub fn positions(&self) -> Result<[Option<&[f64]>; 3]> {
        let mut out = [None; 3];
        for (d, name) in ["position_x", "position_y", "position_z"]
            .iter()
            .enumerate()
        {
            if d < self.units.ndim {
                out[d] = Some(self.reals(name)?);
            }
        }
        Ok(out)
    }

    /// The family codes (`family` field).
    pub fn families(&self) -> Result<&[i8]> {
        match self.column("family")? {
            PartColumn::I8(v) => Ok(v),
            _ => Err(KernelError::Invalid(
                "particle field family is not int8".into(),
            )),
        }
    }
}
