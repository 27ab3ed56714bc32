//! Positioned reads of a file's byte ranges (`pread`/`preadv`) into one
//! reused buffer per thread: no map, no page faults, no read-ahead
//! (`POSIX_FADV_RANDOM`), and ranges whose pages touch merged into one
//! read, so that no page is read that no range needs.

use crate::error::{io_err, Result};
use std::cell::RefCell;
use std::fs::File;
use std::path::Path;

thread_local! {
    /// The read buffer of this thread.
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Page size that reads are merged by.
pub(crate) const PAGE: usize = 4096;

/// A read buffer larger than this is freed after use, not kept.
const MAX_KEPT: usize = 16 << 20;

/// Runs `f` with this thread's read buffer (a fresh one if it is in use).
pub(crate) fn with_buf<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    BUF.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => {
            let out = f(&mut buf);
            if buf.len() > MAX_KEPT {
                *buf = Vec::new();
            }
            out
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// An open file read by position.
pub(crate) struct PFile {
    file: File,
    pub(crate) len: usize,
}

impl PFile {
    pub(crate) fn open(path: &Path) -> Result<PFile> {
        let file = File::open(path).map_err(|e| io_err(path, e))?;
        let len = file.metadata().map_err(|e| io_err(path, e))?.len() as usize;
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: a valid descriptor owned by `file`; advice only (where
            // it is refused, reads are still correct, with read-ahead).
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
        }
        Ok(PFile { file, len })
    }

    /// Bytes `at..at + n` (which must lie in the file) into `buf`.
    pub(crate) fn read<'b>(
        &self,
        path: &Path,
        at: usize,
        n: usize,
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<&'b [u8]>> {
        Ok(self
            .read_ranges(path, &[(at, at + n)], buf)?
            .map(|mut v| v.remove(0)))
    }

    /// The byte ranges `ranges` (sorted by start, each inside the file),
    /// one slice each. Ranges whose pages overlap or touch are read in one
    /// `pread`, the bytes between them included: those lie on pages a
    /// range needs, so no other page is read. `None` when a range is not
    /// inside the file or the file got shorter.
    pub(crate) fn read_ranges<'b>(
        &self,
        path: &Path,
        ranges: &[(usize, usize)],
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<Vec<&'b [u8]>>> {
        self.read_ranges_into(path, ranges, &mut [], buf)
    }

    /// [`PFile::read_ranges`], where range `i` may name a destination
    /// `direct[i]` for its bytes between its first and last 4 (a record's
    /// body, between its markers): those bytes go there straight from the
    /// page cache (one vectored read per run, no copy through `buf`), and
    /// the range's slice then holds only its two markers where they are
    /// (the bytes between are stale). `direct` is empty or one entry per
    /// range; a destination must be exactly the body's length and its
    /// body overlap no other range (else `None`).
    pub(crate) fn read_ranges_into<'b>(
        &self,
        path: &Path,
        ranges: &[(usize, usize)],
        direct: &mut [Option<&mut [u8]>],
        buf: &'b mut Vec<u8>,
    ) -> Result<Option<Vec<&'b [u8]>>> {
        // (start, end, offset in buf, first range, end of its ranges) of
        // each read.
        let mut runs: Vec<(usize, usize, usize, usize, usize)> = Vec::with_capacity(ranges.len());
        let mut total = 0;
        for (i, &(s, e)) in ranges.iter().enumerate() {
            if s >= e || e > self.len {
                return Ok(None);
            }
            if let Some(last) = runs.last_mut() {
                if s < last.0 {
                    return Ok(None);
                }
                if s / PAGE <= (last.1 - 1) / PAGE + 1 {
                    if e > last.1 {
                        total += e - last.1;
                        last.1 = e;
                    }
                    last.4 = i + 1;
                    continue;
                }
            }
            runs.push((s, e, total, i, i + 1));
            total += e - s;
        }
        if buf.len() < total {
            buf.resize(total, 0);
        }
        let mut rest: &mut [u8] = &mut buf[..total];
        let mut iov: Vec<std::io::IoSliceMut> = Vec::new();
        for &(rs, re, _, first, end) in &runs {
            // The run's bytes in file order: into `buf` (at the run's
            // offset, as if read whole), except the direct bodies.
            iov.clear();
            let mut at = rs; // file offset up to which `iov` reaches
            let mut reach = rs; // end of the ranges seen so far
            for (i, &(s, e)) in ranges.iter().enumerate().take(end).skip(first) {
                if s < at {
                    // Starts inside a direct body.
                    return Ok(None);
                }
                if let Some(dst) = direct.get_mut(i).and_then(Option::take) {
                    if e - s < 8 || dst.len() != e - s - 8 || reach > s + 4 {
                        return Ok(None);
                    }
                    let (scratch, tail) = std::mem::take(&mut rest).split_at_mut(s + 4 - at);
                    let (_, tail) = tail.split_at_mut(dst.len());
                    rest = tail;
                    iov.push(std::io::IoSliceMut::new(scratch));
                    iov.push(std::io::IoSliceMut::new(dst));
                    at = e - 4;
                }
                reach = reach.max(e);
            }
            let (scratch, tail) = std::mem::take(&mut rest).split_at_mut(re - at);
            rest = tail;
            iov.push(std::io::IoSliceMut::new(scratch));
            match read_vectored_exact_at(&self.file, &mut iov, rs as u64) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(err) => return Err(io_err(path, err)),
            }
        }
        drop(iov);
        let buf: &'b [u8] = buf;
        let mut out = Vec::with_capacity(ranges.len());
        let mut ri = 0;
        for &(s, e) in ranges {
            loop {
                let Some(&(rs, re, ..)) = runs.get(ri) else {
                    return Ok(None);
                };
                if rs <= s && e <= re {
                    break;
                }
                ri += 1;
            }
            let (rs, _, o, ..) = runs[ri];
            out.push(&buf[o + (s - rs)..o + (e - rs)]);
        }
        Ok(Some(out))
    }
}

/// Fills `bufs` in order from the file's bytes at `at` on (`preadv`, in
/// batches of at most `IOV_MAX` slices, repeated after short reads).
#[cfg(target_os = "linux")]
fn read_vectored_exact_at(
    file: &File,
    mut bufs: &mut [std::io::IoSliceMut],
    mut at: u64,
) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    const IOV_MAX: usize = 1024;
    while bufs.iter().any(|b| !b.is_empty()) {
        let k = bufs.len().min(IOV_MAX);
        // SAFETY: `IoSliceMut` is ABI-compatible with `iovec` on Unix; the
        // first `k` slices are valid, writable and not aliased for the
        // call (they borrow `bufs` mutably); the descriptor is `file`'s.
        let got = unsafe {
            libc::preadv(
                file.as_raw_fd(),
                bufs.as_ptr() as *const libc::iovec,
                k as libc::c_int,
                at as libc::off_t,
            )
        };
        if got < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        if got == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        at += got as u64;
        std::io::IoSliceMut::advance_slices(&mut bufs, got as usize);
    }
    Ok(())
}

/// [`read_vectored_exact_at`] one slice at a time.
#[cfg(not(target_os = "linux"))]
fn read_vectored_exact_at(
    file: &File,
    bufs: &mut [std::io::IoSliceMut],
    mut at: u64,
) -> std::io::Result<()> {
    for b in bufs.iter_mut() {
        read_exact_at(file, b, at)?;
        at += b.len() as u64;
    }
    Ok(())
}

#[cfg(all(unix, not(target_os = "linux")))]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_exact_at(_file: &File, _buf: &mut [u8], _at: u64) -> std::io::Result<()> {
    // No positioned reads here: every file takes the reference walk.
    Err(std::io::ErrorKind::UnexpectedEof.into())
}

/// Runs `f` on the first `n` bytes of the file at `path` (all of it if it
/// is shorter), read by position: a header, without read-ahead.
pub(crate) fn with_head<T>(path: &Path, n: usize, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
    with_head_len(path, n, |head, _| f(head))
}

/// [`with_head`], also passing `f` the file's length (the head is the
/// whole file when that is at most `n`).
pub(crate) fn with_head_len<T>(
    path: &Path,
    n: usize,
    f: impl FnOnce(&[u8], usize) -> T,
) -> Result<T> {
    let file = PFile::open(path)?;
    with_buf(|buf| {
        let n = n.min(file.len);
        if n == 0 {
            return Ok(f(&[], file.len));
        }
        match file.read(path, 0, n, buf)? {
            Some(head) => Ok(f(head, file.len)),
            // The file got shorter meanwhile: read what is left.
            None => Ok(f(&[], usize::MAX)),
        }
    })
}

/// Runs `f` on the whole file at `path`, read by position into this
/// thread's buffer, when it is at most `max` bytes; else hands `arg`
/// back (`Err`), for the caller to map the file.
pub(crate) fn with_whole<T, U>(
    path: &Path,
    max: usize,
    arg: U,
    f: impl FnOnce(&[u8], U) -> T,
) -> Result<std::result::Result<T, U>> {
    let file = PFile::open(path)?;
    if file.len > max {
        return Ok(Err(arg));
    }
    with_buf(|buf| {
        if file.len == 0 {
            return Ok(Ok(f(&[], arg)));
        }
        match file.read(path, 0, file.len, buf)? {
            Some(data) => Ok(Ok(f(data, arg))),
            None => Ok(Err(arg)),
        }
    })
}
