//! How the files of an output are read: memory-mapped (the whole file
//! populated, or sparse with no read-ahead), or the head alone by a
//! positioned read.

use crate::error::{io_err, Result};
use crate::pread::with_head;
use std::path::Path;

/// How a mapped file will be read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Most of the file is decoded (particle columns): every page is mapped
    /// up front (`MAP_POPULATE`), one pass instead of a fault per page.
    Whole,
    /// Only some records are read (cell files: the own domain's blocks and
    /// the requested variables, located by computed offsets). The map is
    /// advised `MADV_RANDOM`, so a fault fetches the page it needs and no
    /// read-ahead around it: bytes read from storage follow the request.
    /// Pages already cached are still mapped in batches by the kernel's
    /// fault-around, so warm reads pay few faults.
    Sparse,
}

/// A file's bytes, memory-mapped: no copy, and no fresh pages to zero.
pub(super) fn map_file(path: &Path, access: Access) -> Result<memmap2::Mmap> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    // SAFETY: the map is read-only and lives only for one CPU read. If
    // another process truncates the file meanwhile, reads of the lost pages
    // fault (SIGBUS); RAMSES never rewrites finished outputs, and that is
    // the accepted contract of every memory-mapped reader (yt, osyris).
    let mut opts = memmap2::MmapOptions::new();
    if access == Access::Whole {
        opts.populate();
    }
    let map = unsafe { opts.map(&f) }.map_err(|e| io_err(path, e))?;
    #[cfg(unix)]
    if access == Access::Sparse && !map.is_empty() {
        // Advice only: where it is refused, reads are still correct (with
        // the kernel's default read-ahead).
        let _ = map.advise(memmap2::Advice::Random);
    }
    Ok(map)
}

/// Reads just enough of the start of a file for its header records, by a
/// positioned read without read-ahead.
pub(super) fn read_head(path: &Path, bytes: usize) -> Result<Vec<u8>> {
    with_head(path, bytes, |head| head.to_vec())
}
