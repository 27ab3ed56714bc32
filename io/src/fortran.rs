//! Fortran unformatted sequential records.
//!
//! Each record is `[i32 n][n bytes][i32 n]`. The byte order is detected from
//! the first marker, which in every RAMSES binary file frames one int32
//! (`ncpu`) and so must read 4. Both markers are checked, and a record's
//! length is validated against the bytes left before anything is allocated.
//! Negative markers (gfortran sub-records, for records over 2 GiB) are
//! refused with a clear error: RAMSES never writes records that large.

use crate::error::{Error, Result};
use std::path::Path;

/// A cursor over the records of one file held in memory.
pub struct Records<'a> {
    path: &'a Path,
    data: &'a [u8],
    pos: usize,
    /// Records consumed so far (the next one has index `index + 1`).
    index: usize,
    big_endian: bool,
}

/// Width of the reals in a record, found from its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RealWidth {
    /// `real*4`.
    F32,
    /// `real*8`.
    F64,
}

impl RealWidth {
    /// Bytes per value.
    pub fn bytes(self) -> usize {
        match self {
            RealWidth::F32 => 4,
            RealWidth::F64 => 8,
        }
    }
}

/// A value of `N` bytes in a record, in either byte order.
pub(crate) trait Word<const N: usize>: Copy {
    /// From little-endian bytes.
    fn from_le(b: [u8; N]) -> Self;
    /// From big-endian bytes.
    fn from_be(b: [u8; N]) -> Self;
}

macro_rules! word {
    ($($t:ty: $n:literal),*) => {$(
        impl Word<$n> for $t {
            #[inline(always)]
            fn from_le(b: [u8; $n]) -> Self {
                <$t>::from_le_bytes(b)
            }
            #[inline(always)]
            fn from_be(b: [u8; $n]) -> Self {
                <$t>::from_be_bytes(b)
            }
        }
    )*};
}

word!(i32: 4, i64: 8, f32: 4, f64: 8, u128: 16);

/// The value of bytes `b` in byte order `be` (big-endian when true): the
/// one place a file's byte order is applied.
#[inline(always)]
pub(crate) fn decode<T: Word<N>, const N: usize>(b: [u8; N], be: bool) -> T {
    if be {
        T::from_be(b)
    } else {
        T::from_le(b)
    }
}

/// The values of `rec` (`N` bytes each, a trailing part ignored), in byte
/// order `be`.
#[inline(always)]
pub(crate) fn decode_all<T: Word<N>, const N: usize>(
    rec: &[u8],
    be: bool,
) -> impl Iterator<Item = T> + '_ {
    rec.as_chunks::<N>().0.iter().map(move |&b| decode(b, be))
}

/// The int32 at byte `at` of `data`, in byte order `be`; `None` past the
/// end.
#[inline(always)]
pub(crate) fn marker(data: &[u8], at: usize, be: bool) -> Option<i32> {
    // A wrapped end lies before `at`: an empty range, `None`.
    let b: [u8; 4] = data.get(at..at.wrapping_add(4))?.try_into().ok()?;
    Some(decode(b, be))
}

/// A real of `N` bytes of type `T` in byte order `BE`, widened to f64.
#[inline(always)]
pub(crate) fn real<T: Word<N> + Into<f64>, const N: usize, const BE: bool>(b: [u8; N]) -> f64 {
    decode::<T, N>(b, BE).into()
}

/// Evaluates `$body` with `$get: fn([u8; $n]) -> f64`, the decoder of the
/// reals of width `$width` ([`RealWidth`]) in byte order `$be`, and the
/// constant `$n`, their bytes: the one choice among the four kinds of real
/// a file can hold. `$body` is compiled once per kind, so that a loop in
/// it decodes without a branch per value.
macro_rules! with_reals {
    ($width:expr, $be:expr, |$n:ident, $get:ident| $body:expr) => {
        match ($width, $be) {
            ($crate::fortran::RealWidth::F64, false) => {
                const $n: usize = 8;
                let $get: fn([u8; $n]) -> f64 = $crate::fortran::real::<f64, 8, false>;
                $body
            }
            ($crate::fortran::RealWidth::F64, true) => {
                const $n: usize = 8;
                let $get: fn([u8; $n]) -> f64 = $crate::fortran::real::<f64, 8, true>;
                $body
            }
            ($crate::fortran::RealWidth::F32, false) => {
                const $n: usize = 4;
                let $get: fn([u8; $n]) -> f64 = $crate::fortran::real::<f32, 4, false>;
                $body
            }
            ($crate::fortran::RealWidth::F32, true) => {
                const $n: usize = 4;
                let $get: fn([u8; $n]) -> f64 = $crate::fortran::real::<f32, 4, true>;
                $body
            }
        }
    };
}
pub(crate) use with_reals;

/// Decodes the reals of `rec` (of `width`, in byte order `be`) into `dst`,
/// widened to f64, as many as both hold: a straight loop over the
/// record's bytes, which the compiler turns into wide loads.
#[inline]
pub(crate) fn reals_to(rec: &[u8], width: RealWidth, be: bool, dst: &mut [f64]) {
    with_reals!(width, be, |N, get| {
        for (d, &b) in dst.iter_mut().zip(rec.as_chunks::<N>().0) {
            *d = get(b);
        }
    })
}

impl<'a> Records<'a> {
    /// Starts at the beginning of `data` (the contents of `path`).
    pub fn new(path: &'a Path, data: &'a [u8]) -> Result<Self> {
        let mut r = Records {
            path,
            data,
            pos: 0,
            index: 0,
            big_endian: false,
        };
        let Some(first) = data.get(0..4) else {
            return Err(r.error(
                "first record",
                format!(
                    "file is {} bytes long, expected at least a 4-byte record marker",
                    data.len()
                ),
            ));
        };
        let first: [u8; 4] = first.try_into().expect("4 bytes");
        if decode::<i32, 4>(first, false) == 4 {
            r.big_endian = false;
        } else if decode::<i32, 4>(first, true) == 4 {
            r.big_endian = true;
        } else {
            return Err(r.error(
                "first record (one int32)",
                format!(
                    "leading marker reads {} (little-endian), expected 4: not a RAMSES Fortran binary file",
                    decode::<i32, 4>(first, false)
                ),
            ));
        }
        Ok(r)
    }

    /// A cursor over `data`, a piece of a file read on its own that starts
    /// at a record marker, in the byte order found at the file's start.
    /// Offsets and record indices count from the piece's start.
    pub(crate) fn window(path: &'a Path, data: &'a [u8], big_endian: bool) -> Self {
        Records {
            path,
            data,
            pos: 0,
            index: 0,
            big_endian,
        }
    }

    /// Index (1-based) of the next record.
    pub fn next_index(&self) -> usize {
        self.index + 1
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Moves the cursor to byte `offset`, where record `index + 1` starts
    /// (an offset and index taken earlier from [`Records::offset`] and
    /// [`Records::next_index`] on the same bytes): a positioned read.
    pub fn seek(&mut self, offset: usize, next_index: usize) {
        self.pos = offset.min(self.data.len());
        self.index = next_index.saturating_sub(1);
    }

    /// A record of exactly `count` values of `size` bytes each, as raw
    /// bytes in the file's byte order.
    pub fn fixed(&mut self, what: &str, count: usize, size: usize) -> Result<&'a [u8]> {
        let at = self.pos;
        let rec = self.next(what)?;
        if Some(rec.len()) != count.checked_mul(size) {
            return Err(self.consumed_error(
                what,
                at,
                format!(
                    "record is {} bytes, expected {} ({count} values of {size} bytes)",
                    rec.len(),
                    count.saturating_mul(size)
                ),
            ));
        }
        Ok(rec)
    }

    /// Whether every byte has been consumed.
    pub fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }

    fn error(&self, what: &str, problem: String) -> Error {
        Error::Format {
            path: self.path.to_path_buf(),
            record: self.index + 1,
            what: what.to_string(),
            offset: self.pos,
            problem,
        }
    }

    fn marker_at(&self, at: usize) -> Option<i32> {
        let b: [u8; 4] = self.data.get(at..at + 4)?.try_into().ok()?;
        Some(decode(b, self.big_endian))
    }

    /// The payload of the next record.
    pub fn next(&mut self, what: &str) -> Result<&'a [u8]> {
        let Some(n) = self.marker_at(self.pos) else {
            return Err(self.error(
                what,
                format!(
                    "file ends ({} bytes left), expected a 4-byte record marker",
                    self.data.len() - self.pos
                ),
            ));
        };
        if n < 0 {
            return Err(self.error(
                what,
                format!("leading marker is {n}: a Fortran sub-record (record over 2 GiB), which RAMSES does not write"),
            ));
        }
        let n = n as usize;
        let start = self.pos + 4;
        let left = self.data.len() - start;
        if n > left || left - n < 4 {
            return Err(self.error(
                what,
                format!("record claims {n} bytes but only {left} bytes follow (file truncated or marker corrupt)"),
            ));
        }
        let tail = self.marker_at(start + n).expect("checked above");
        if tail as usize != n || tail < 0 {
            return Err(self.error(
                what,
                format!("leading marker {n} and trailing marker {tail} differ (file corrupt)"),
            ));
        }
        self.pos = start + n + 4;
        self.index += 1;
        Ok(&self.data[start..start + n])
    }

    /// Skips the next record.
    pub fn skip(&mut self, what: &str) -> Result<()> {
        self.next(what).map(|_| ())
    }

    /// Steps over `records` records of `bytes` bytes in all (markers
    /// included), a length computed from counts read elsewhere, without
    /// touching them: the bytes are never read, so their pages need not be
    /// fetched from storage. The jump is checked only against the end of the
    /// file; the caller checks where it lands (the next record's marker,
    /// see [`Records::expect_len`]) before trusting the position.
    pub fn jump(&mut self, what: &str, bytes: usize, records: usize) -> Result<()> {
        let left = self.data.len() - self.pos;
        if bytes > left {
            return Err(self.error(
                what,
                format!(
                    "stepping over {records} records ({bytes} bytes, computed from the amr header's oct counts) runs past the end of the file ({left} bytes left): file truncated or header corrupt"
                ),
            ));
        }
        self.pos += bytes;
        self.index += records;
        Ok(())
    }

    /// Checks that the next record holds `bytes` bytes (its leading marker),
    /// without consuming it: the landing check after a [`Records::jump`].
    pub fn expect_len(&self, what: &str, bytes: usize) -> Result<()> {
        match self.marker_at(self.pos) {
            Some(n) if n >= 0 && n as usize == bytes => Ok(()),
            Some(n) => Err(self.error(
                what,
                format!(
                    "record marker reads {n}, expected {bytes} at this offset (computed from the amr header's oct counts): file corrupt or not from the same output"
                ),
            )),
            None => Err(self.error(
                what,
                "file ends here, expected a record (computed from the amr header's oct counts)".into(),
            )),
        }
    }

    /// An error about the record just consumed, which started at byte `at`.
    pub fn consumed_error(&self, what: &str, at: usize, problem: String) -> Error {
        Error::Format {
            path: self.path.to_path_buf(),
            record: self.index,
            what: what.to_string(),
            offset: at,
            problem,
        }
    }

    /// Whether the file was found to be big-endian.
    pub fn is_big_endian(&self) -> bool {
        self.big_endian
    }

    /// A record of exactly `count` int32 values (any count when `None`).
    pub fn i32s(&mut self, what: &str, count: Option<usize>) -> Result<Vec<i32>> {
        let rec = self.i32_record(what, count)?;
        Ok(decode_all(rec, self.big_endian).collect())
    }

    /// [`Records::i32s`]'s record, checked the same way but not decoded:
    /// its bytes (int32 in the file's byte order).
    pub(crate) fn i32_record(&mut self, what: &str, count: Option<usize>) -> Result<&'a [u8]> {
        let at = self.pos;
        let rec = self.next(what)?;
        if rec.len() % 4 != 0 || count.is_some_and(|c| c * 4 != rec.len()) {
            let expected = match count {
                Some(c) => format!("{} ({c} int32)", c * 4),
                None => "a multiple of 4 (int32 values)".into(),
            };
            return Err(self.consumed_error(
                what,
                at,
                format!("record is {} bytes, expected {expected}", rec.len()),
            ));
        }
        Ok(rec)
    }

    /// A record holding one int32.
    pub fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(self.i32s(what, Some(1))?[0])
    }

    /// The next record, which must hold `count` reals of 4 or 8 bytes.
    pub(crate) fn real_record(
        &mut self,
        what: &str,
        count: usize,
    ) -> Result<(&'a [u8], RealWidth)> {
        let at = self.pos;
        let rec = self.next(what)?;
        if rec.len() == 8 * count {
            Ok((rec, RealWidth::F64))
        } else if rec.len() == 4 * count {
            Ok((rec, RealWidth::F32))
        } else {
            Err(self.consumed_error(
                what,
                at,
                format!(
                    "record is {} bytes, expected {} or {} ({count} reals of 8 or 4 bytes)",
                    rec.len(),
                    8 * count,
                    4 * count
                ),
            ))
        }
    }

    /// A record of `count` reals of either width, widened to f64 and passed
    /// to `sink` in order. Returns the width found.
    pub fn reals_with(
        &mut self,
        what: &str,
        count: usize,
        mut sink: impl FnMut(usize, f64),
    ) -> Result<RealWidth> {
        let (rec, width) = self.real_record(what, count)?;
        with_reals!(width, self.big_endian, |N, get| {
            for (i, &b) in rec.as_chunks::<N>().0.iter().enumerate() {
                sink(i, get(b));
            }
        });
        Ok(width)
    }

    /// A record of `dst.len()` reals of either width, decoded into `dst`
    /// (a straight loop over the record's bytes, which the compiler turns
    /// into wide loads). Returns the width found.
    pub fn reals_into(&mut self, what: &str, dst: &mut [f64]) -> Result<RealWidth> {
        let (rec, width) = self.real_record(what, dst.len())?;
        reals_to(rec, width, self.big_endian, dst);
        Ok(width)
    }

    /// A record of `count` reals, as f64.
    pub fn reals(&mut self, what: &str, count: usize) -> Result<Vec<f64>> {
        // Grows only as the (length-checked) record supplies values, so a
        // corrupt count cannot trigger a huge allocation.
        let mut out = Vec::new();
        self.reals_with(what, count, |_, x| out.push(x))?;
        Ok(out)
    }
}

/// One record of reals as read (file byte order, 4 or 8 bytes each),
/// decoded value by value where used: the `xg` records, which the cell
/// walk reads once per selected oct, are not copied into vectors first.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawReals<'a> {
    pub(crate) rec: &'a [u8],
    pub(crate) width: RealWidth,
    pub(crate) be: bool,
}

impl<'a> RawReals<'a> {
    pub(crate) fn new(rec: &'a [u8], width: RealWidth, be: bool) -> Self {
        RawReals { rec, width, be }
    }

    /// Value `j` (which must be in the record), widened to f64.
    #[inline(always)]
    pub(crate) fn get(&self, j: usize) -> f64 {
        with_reals!(self.width, self.be, |N, get| get(self.bytes::<N>(j)))
    }

    #[inline(always)]
    pub(crate) fn bytes<const N: usize>(&self, j: usize) -> [u8; N] {
        self.rec[N * j..N * (j + 1)].try_into().expect("N bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(payload: &[u8]) -> Vec<u8> {
        let mut v = (payload.len() as i32).to_le_bytes().to_vec();
        v.extend_from_slice(payload);
        v.extend_from_slice(&(payload.len() as i32).to_le_bytes());
        v
    }

    #[test]
    fn reads_records_and_checks_markers() {
        let mut data = rec(&4i32.to_le_bytes());
        data.extend(rec(&[1.5f64.to_le_bytes(), 2.5f64.to_le_bytes()].concat()));
        let p = Path::new("x");
        let mut r = Records::new(p, &data).unwrap();
        assert_eq!(r.i32("ncpu").unwrap(), 4);
        assert_eq!(r.reals("xs", 2).unwrap(), vec![1.5, 2.5]);
        assert!(r.at_end());
        assert!(r.next("more").is_err());
        // Corrupt the trailing marker of the second record.
        let n = data.len();
        data[n - 1] = 9;
        let mut r = Records::new(p, &data).unwrap();
        r.skip("ncpu").unwrap();
        let e = r.reals("xs", 2).unwrap_err().to_string();
        assert!(
            e.contains("record 2") && e.contains("trailing marker"),
            "{e}"
        );
    }

    #[test]
    fn detects_big_endian_and_rejects_garbage() {
        let mut data = 4i32.to_be_bytes().to_vec();
        data.extend_from_slice(&7i32.to_be_bytes());
        data.extend_from_slice(&4i32.to_be_bytes());
        let mut r = Records::new(Path::new("be"), &data).unwrap();
        assert_eq!(r.i32("ncpu").unwrap(), 7);
        let e = Records::new(Path::new("junk"), b"hello world")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("junk") && e.contains("expected 4"), "{e}");
    }
}
