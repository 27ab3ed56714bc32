//! The positioned-read path of a CPU's files.
//!
//! [`Snapshot`](crate::Snapshot) reads a CPU's files with a few `pread`s
//! of the byte ranges a request needs, into one reused buffer per thread,
//! instead of mapping each file: no `mmap`/`munmap` per file (each unmap
//! of a file touched by one thread of a multi-threaded process flushes the
//! TLBs of the others), no page faults, and no contention on the process's
//! map lock. With thousands of CPU files these per-file costs dominated
//! the reads (issue 15). Each file is opened once per read, advised
//! `POSIX_FADV_RANDOM` (no read-ahead: a `pread` fetches exactly the pages
//! it covers from storage), and ranges whose pages touch are merged into
//! one read, so no page is read that no range needs.
//!
//! Of the amr file only these are read: the header records before `headl`
//! (the first page), the markers around `headl` and `taill` (tables of
//! `ncpu × nlevelmax` values that the cell walk does not need), `numbl`
//! with the records after it up to `bound_key`'s leading marker (one
//! read), `bound_key`'s trailing marker and the coarse records, and per
//! level the own domain's `xg` and `son` records. `numbl` is folded into
//! per-level sums around the own domain as it is decoded. Of a hydro,
//! gravity or rt file: its header (the first page) and per level the own
//! block's `(ilevel, ncache)` pair and the records of the requested
//! variables. A requested record whose every cell is selected and whose
//! reals are f64 in the machine's byte order is read by `preadv` straight
//! into its output column (its markers into the buffer, then checked):
//! the values are copied once, by the kernel. The `xg` and `son` records
//! are decoded where the cell walk uses them, not copied into vectors.
//!
//! Every check of the reference walk over the whole file (`walk.rs`) is
//! made here too, on what is read, and some more (every `xg` and variable
//! record must have the header's width). When one fails, or the file does
//! not have the layout assumed (a header longer than a page, bisection
//! ordering, a large coarse grid), these functions return `None` and the
//! caller runs the reference walk on a map of the file, which accepts the
//! file or names the problem (file, record and expectation).
//!
//! `amr.rs` reads the amr file (with `numbl` folded by `counts.rs`),
//! `var.rs` the hydro, gravity and rt files.

use crate::fortran;
use std::cell::Cell;

thread_local! {
    /// Reads on this thread that fell back to the reference walk.
    static FALLBACKS: Cell<usize> = const { Cell::new(0) };
}

/// How many file reads on the calling thread fell back to the reference
/// walk over a map of the whole file (a test hook: the valid outputs of
/// the test data must take the positioned path).
pub fn fallbacks() -> usize {
    FALLBACKS.with(|f| f.get())
}

fn note_fallback() {
    FALLBACKS.with(|f| f.set(f.get() + 1));
}

/// `Err(_)` to `None`: the reference walk names the problem.
macro_rules! ok {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(_) => return Ok(None),
        }
    };
}

/// `Ok(None)` passed on, other results unwrapped.
macro_rules! some {
    ($e:expr) => {
        match $e? {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

/// The non-negative record marker at `at`, in the file's byte order.
fn marker(data: &[u8], at: usize, be: bool) -> Option<usize> {
    usize::try_from(fortran::marker(data, at, be)?).ok()
}

// After the macros: `ok!` and `some!` are visible in these by textual
// scope.
mod amr;
mod counts;
mod var;

pub(crate) use amr::scan_amr;
pub use var::CellGroup;
pub(crate) use var::{read_var_file, stream_var_file};
