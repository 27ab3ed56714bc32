//! The oct counts of the amr file's `numbl` table folded per level
//! around the own domain (before, own, after), straight from the raw
//! record: the table is `ncpu × nlevelmax` int32 (537 MB for 4,096 CPU
//! files), so it is summed where it lies, vectorised, never built.

use crate::cpu::offsets::LevelCounts;
use crate::fortran::decode_all;

/// `(sum, nonzero, OR of all)` of `values`: a branch-free loop the
/// compiler vectorises.
#[inline(always)]
fn fold_counts(values: &[i32]) -> (i64, i64, i32) {
    let (mut sum, mut nonzero, mut signs) = (0i64, 0i64, 0i32);
    for &v in values {
        sum += v as i64;
        nonzero += (v != 0) as i64;
        signs |= v;
    }
    (sum, nonzero, signs)
}

/// [`fold_counts`] compiled for AVX2 (wide sign extension; the baseline
/// x86-64 build has none, and this loop runs over every `numbl` table:
/// 537 MB for 4,096 CPU files).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fold_counts_avx2(values: &[i32]) -> (i64, i64, i32) {
    fold_counts(values)
}

/// `(sum, nonzero)` of the int32 counts in `bytes`; `None` if one is
/// negative.
fn sum_counts(bytes: &[u8], be: bool) -> Option<(usize, usize)> {
    let native = be == cfg!(target_endian = "big");
    let (sum, nonzero, signs) = match bytemuck::try_cast_slice::<u8, i32>(bytes) {
        // The usual case: the counts follow two 4-byte markers in a buffer
        // from the allocator, aligned, in the machine's byte order.
        Ok(values) if native => {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                return finish(unsafe { fold_counts_avx2(values) });
            }
            fold_counts(values)
        }
        _ => {
            let v: Vec<i32> = decode_all(bytes, be).collect();
            fold_counts(&v)
        }
    };
    finish((sum, nonzero, signs))
}

/// `(sum, nonzero)`, or `None` when a value was negative.
fn finish((sum, nonzero, signs): (i64, i64, i32)) -> Option<(usize, usize)> {
    (signs >= 0).then_some((sum as usize, nonzero as usize))
}

/// Per level, the oct counts around domain `icpu`, from the raw `numbl`
/// record (`ncpu × nlevelmax` int32, CPU fastest) and `numbb` (boundary
/// domains, after the real ones), without building the table.
pub(super) fn level_counts(
    numbl: &[u8],
    numbb: &[i32],
    ncpu: usize,
    nboundary: usize,
    nlevelmax: usize,
    icpu: usize,
    be: bool,
) -> Option<Vec<LevelCounts>> {
    let mut out = Vec::with_capacity(nlevelmax);
    for l in 0..nlevelmax {
        let row = &numbl[4 * l * ncpu..4 * (l + 1) * ncpu];
        let before = sum_counts(&row[..4 * (icpu - 1)], be)?;
        let (own, _) = sum_counts(&row[4 * (icpu - 1)..4 * icpu], be)?;
        let mut after = sum_counts(&row[4 * icpu..], be)?;
        for &v in &numbb[l * nboundary..(l + 1) * nboundary] {
            let v = usize::try_from(v).ok()?;
            after.0 += v;
            after.1 += (v > 0) as usize;
        }
        out.push(LevelCounts { before, own, after });
    }
    Some(out)
}
