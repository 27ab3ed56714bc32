//! Finding the bin of a value among positive increasing edges without a
//! logarithm.
//!
//! The bit pattern of a positive `f64`, read as an integer, increases with
//! the value and is close to linear in its log2 (exponent bits, then the
//! mantissa). A table over that integer, cut into segments a fraction of a
//! log bin wide, gives the bin of each segment's first value; a value
//! starts from its segment's bin and steps up while it is at or above the
//! next edge. The answer is decided by comparisons with the edges
//! themselves, so it is exactly the bin `k` with `e_k ≤ v < e_{k+1}` —
//! the table only saves work (a step or two instead of an `ln` and a
//! guess).

/// Segments per bin the table aims at (at least this many; a segment is at
/// most twice as wide in log2 as the average, so a value is at most one
/// step from its bin in practice).
const SEGMENTS_PER_BIN: usize = 8;

/// The largest table (entries), for very many bins or a huge ratio.
const MAX_TABLE: usize = 1 << 16;

/// A lookup table over the bit patterns between the first and last edge.
#[derive(Clone, Debug, PartialEq)]
pub struct BitsIndex {
    /// Bit pattern of the first edge.
    lo: u64,
    /// Bits dropped from `v.to_bits() − lo`.
    shift: u32,
    /// Per segment: the bin of its first value.
    table: Vec<u32>,
}

impl BitsIndex {
    /// The table for `edges` (at least two, positive, finite, strictly
    /// increasing); `None` otherwise, or when there are more than
    /// `u32::MAX` bins.
    pub fn new(edges: &[f64]) -> Option<BitsIndex> {
        let n = edges.len().checked_sub(1).filter(|&n| n >= 1)?;
        let ok = edges[0] > 0.0
            && edges[n].is_finite()
            && edges.windows(2).all(|w| w[0] < w[1])
            && u32::try_from(n).is_ok();
        if !ok {
            return None;
        }
        let lo = edges[0].to_bits();
        let span = edges[n].to_bits() - lo;
        let want = (SEGMENTS_PER_BIN * n).clamp(64, MAX_TABLE) as u64;
        let mut shift = 0u32;
        while (span >> shift) >= want {
            shift += 1;
        }
        let segments = (span >> shift) as usize + 1;
        let mut table = Vec::with_capacity(segments);
        let mut k = 0usize;
        for j in 0..segments as u64 {
            let first = f64::from_bits(lo + (j << shift));
            while k + 1 < n && first >= edges[k + 1] {
                k += 1;
            }
            table.push(k as u32);
        }
        Some(BitsIndex { lo, shift, table })
    }

    /// The bin `k` of `v` with `edges[k] ≤ v < edges[k + 1]`, for
    /// `edges[0] ≤ v < edges[N]` (`edges` those given to [`new`](Self::new);
    /// other values: a bin next to theirs, never a panic).
    #[inline]
    pub fn bin(&self, edges: &[f64], v: f64) -> usize {
        let j = (v.to_bits().wrapping_sub(self.lo) >> self.shift) as usize;
        let mut k = self.table[j.min(self.table.len() - 1)] as usize;
        let last = edges.len() - 2;
        while k < last && v >= edges[k + 1] {
            k += 1;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bin by a plain scan of the edges.
    fn scan(edges: &[f64], v: f64) -> usize {
        (0..edges.len() - 1)
            .find(|&k| edges[k] <= v && v < edges[k + 1])
            .unwrap()
    }

    #[test]
    fn every_value_near_every_edge_gets_the_scanned_bin() {
        for (r0, r1, n) in [
            (1e-3f64, 0.45, 64),
            (0.25, 0.5, 3),
            (1e-150, 1e150, 1000),
            (1.0, 1.0 + 1e-12, 7),
        ] {
            let mut edges: Vec<f64> = (0..=n)
                .map(|k| r0 * (r1 / r0).powf(k as f64 / n as f64))
                .collect();
            edges[0] = r0;
            edges[n] = r1;
            let idx = BitsIndex::new(&edges).unwrap();
            for e in &edges {
                for d in -3i64..=3 {
                    let v = f64::from_bits((e.to_bits() as i64 + d) as u64);
                    if v >= edges[0] && v < edges[n] {
                        assert_eq!(
                            idx.bin(&edges, v),
                            scan(&edges, v),
                            "{v:e} in {r0:e}..{r1:e}/{n}"
                        );
                    }
                }
            }
            for j in 0..10_000 {
                let v = r0 * (r1 / r0).powf(j as f64 / 10_000.0);
                if v >= edges[0] && v < edges[n] {
                    assert_eq!(idx.bin(&edges, v), scan(&edges, v));
                }
            }
        }
    }

    #[test]
    fn refuses_edges_it_cannot_index() {
        assert!(BitsIndex::new(&[0.0, 1.0]).is_none());
        assert!(BitsIndex::new(&[1.0]).is_none());
        assert!(BitsIndex::new(&[1.0, 1.0, 2.0]).is_none());
        assert!(BitsIndex::new(&[1.0, f64::INFINITY]).is_none());
    }
}
