//! Which 4 KiB pages of a CPU's files a request needs, found by a plain
//! walk of every record marker.
//!
//! This is the yardstick for "bytes read ∝ the request": it reads the
//! files in full (call it on a warm cache, or before evicting them), steps
//! through every record by its markers, the way a sequential reader would,
//! and notes the records a cell read cannot do without:
//!
//! * the header records of the amr, hydro and grav files;
//! * in the amr file, the own domain's oct centres (`xg`) and `son`
//!   records, up to `lmax`;
//! * in hydro and grav files, the own domain's `(ilevel, ncache)` pairs and
//!   the records of the requested variables.
//!
//! It shares no offset arithmetic with the reader in `cpu/` (which jumps
//! over what it does not need by lengths computed from the header), so a
//! reader that fetches more than this set is caught by comparing the two.

use crate::cpu::read_amr_header;
use crate::error::Result;
use crate::fortran::Records;
use crate::snapshot::Snapshot;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The page size the counts use.
pub const PAGE: u64 = 4096;

/// Needed pages of one file.
#[derive(Clone, Debug)]
pub struct FilePages {
    /// The file.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
    /// Indices (offset / [`PAGE`]) of the pages holding needed bytes.
    pub pages: BTreeSet<u64>,
}

impl FilePages {
    /// Pages in the whole file.
    pub fn file_pages(&self) -> u64 {
        self.len.div_ceil(PAGE)
    }
}

/// Needed bytes of one file, as sorted disjoint ranges.
#[derive(Clone, Debug)]
pub struct FileRanges {
    /// The file.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
    /// Byte ranges `start..end` that the read needs.
    pub ranges: Vec<(usize, usize)>,
}

impl FileRanges {
    /// Needed bytes of the file.
    pub fn bytes(&self) -> u64 {
        self.ranges.iter().map(|&(s, e)| (e - s) as u64).sum()
    }

    /// The pages holding needed bytes.
    pub fn pages(&self) -> BTreeSet<u64> {
        let mut pages = BTreeSet::new();
        for &(s, e) in &self.ranges {
            pages.extend(s as u64 / PAGE..=(e as u64 - 1) / PAGE);
        }
        pages
    }
}

/// Marks byte range `start..end` as needed (ranges come in file order;
/// touching ones are joined).
fn mark(ranges: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    if end <= start {
        return;
    }
    match ranges.last_mut() {
        Some(last) if last.1 == start => last.1 = end,
        _ => ranges.push((start, end)),
    }
}

/// Walks the next record, marking it when `needed`.
fn walk(r: &mut Records, pages: &mut Vec<(usize, usize)>, needed: bool, what: &str) -> Result<()> {
    let start = r.offset();
    r.skip(what)?;
    if needed {
        mark(pages, start, r.offset());
    }
    Ok(())
}

fn load(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| crate::error::io_err(path, e))
}

/// The pages that reading the leaf cells of CPU `icpu` up to `lmax`, with
/// hydro variables `hydro_vars` and gravity variables `grav_vars` (0-based
/// file indices), needs: one entry per file the read opens.
pub fn needed_pages(
    snap: &Snapshot,
    icpu: usize,
    lmax: u32,
    hydro_vars: &[usize],
    grav_vars: &[usize],
) -> Result<Vec<FilePages>> {
    Ok(needed_ranges(snap, icpu, lmax, hydro_vars, grav_vars)?
        .into_iter()
        .map(|f| FilePages {
            pages: f.pages(),
            path: f.path,
            len: f.len,
        })
        .collect())
}

/// The byte ranges behind [`needed_pages`]: the amr header's records, the
/// own domain's `xg` and `son` records, and in the hydro and gravity files
/// the header, the own blocks' `(ilevel, ncache)` pairs and the requested
/// variables' records (markers included).
pub fn needed_ranges(
    snap: &Snapshot,
    icpu: usize,
    lmax: u32,
    hydro_vars: &[usize],
    grav_vars: &[usize],
) -> Result<Vec<FileRanges>> {
    let amr_path = snap.file("amr", icpu);
    let amr = load(&amr_path)?;
    let mut r = Records::new(&amr_path, &amr)?;
    let h = read_amr_header(&mut r, &amr_path)?;
    let mut pages = Vec::new();
    mark(&mut pages, 0, r.offset());
    let lmax = (lmax as usize).min(h.head.nlevelmax);
    let ndom = h.head.ncpu + h.head.nboundary;
    for ilevel in 1..=lmax {
        for idom in 1..=ndom {
            if h.ncache[ilevel - 1][idom - 1] == 0 {
                continue;
            }
            let own = idom == icpu;
            // ind_grid, next, prev, xg × 3, father, nbor × 6, son × 8,
            // cpu_map × 8, flag1 × 8.
            for k in 1..=37 {
                let needed = own && ((4..=6).contains(&k) || (14..=21).contains(&k));
                walk(&mut r, &mut pages, needed, "amr block record")?;
            }
        }
    }
    let mut out = vec![FileRanges {
        path: amr_path,
        len: amr.len() as u64,
        ranges: pages,
    }];
    for (kind, vars, header_records) in [("hydro", hydro_vars, 6), ("grav", grav_vars, 4)] {
        if vars.is_empty() {
            continue;
        }
        let path = snap.file(kind, icpu);
        let data = load(&path)?;
        let mut r = Records::new(&path, &data)?;
        let mut pages = Vec::new();
        let mut nvar = 0;
        for k in 1..=header_records {
            if k == 2 {
                nvar = r.i32("nvar")?.max(0) as usize;
            } else {
                r.skip("header")?;
            }
        }
        mark(&mut pages, 0, r.offset());
        for _ilevel in 1..=lmax {
            for idom in 1..=ndom {
                let own = idom == icpu;
                walk(&mut r, &mut pages, own, "ilevel")?;
                let start = r.offset();
                let n = r.i32("ncache")?.max(0) as usize;
                if own {
                    mark(&mut pages, start, r.offset());
                }
                if n == 0 {
                    continue;
                }
                for _ind in 0..8 {
                    for ivar in 0..nvar {
                        walk(&mut r, &mut pages, own && vars.contains(&ivar), "variable")?;
                    }
                }
            }
        }
        out.push(FileRanges {
            path,
            len: data.len() as u64,
            ranges: pages,
        });
    }
    Ok(out)
}
