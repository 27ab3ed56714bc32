//! RAMSES's 3D Hilbert keys and the choice of CPU files for a region.
//!
//! RAMSES orders cells along a Hilbert curve and gives each domain (CPU) a
//! contiguous key range `[bound_key(d-1), bound_key(d))`. Keys are computed
//! at `bit_length = nlevelmax + 1` bits per axis from the integer position
//! of a cell centre. An oct is stored in the file of the domain that owns
//! its father cell, i.e. the domain whose range holds the key of the oct
//! centre.
//!
//! [`cpus_for_region`] walks the key tree top-down: a cube of the
//! `2^L`-grid owns the fine keys `[o·8^(B-L), (o+1)·8^(B-L))`, where `o` is
//! its key at `L` bits (the curve is self-similar, so a coarse key is the
//! prefix of its fine keys). Cubes outside the region are dropped, cubes
//! inside it (or small enough) mark every domain their key range touches,
//! and the rest are split into 8. That is the refinement yt applies to the
//! classic 8-corner test of amr2map, done exactly with integer keys.

/// RAMSES's 12-state diagram (`hilbert3d`): from state `s`, the octant
/// digit `sdigit = 4·x + 2·y + z` (one bit of each axis) leads to state
/// `NEXT[s][sdigit]` and contributes the Hilbert digit `DIGIT[s][sdigit]`.
const NEXT: [[u8; 8]; 12] = [
    [1, 2, 3, 2, 4, 5, 3, 5],
    [2, 6, 0, 7, 8, 8, 0, 7],
    [0, 9, 10, 9, 1, 1, 11, 11],
    [6, 0, 6, 11, 9, 0, 9, 8],
    [11, 11, 0, 7, 5, 9, 0, 7],
    [4, 4, 8, 8, 0, 6, 10, 6],
    [5, 7, 5, 3, 1, 1, 11, 11],
    [6, 1, 6, 10, 9, 4, 9, 10],
    [10, 3, 1, 1, 10, 3, 5, 9],
    [4, 4, 8, 8, 2, 7, 2, 3],
    [7, 2, 11, 2, 7, 5, 8, 5],
    [10, 3, 2, 6, 10, 3, 4, 4],
];
/// See [`NEXT`].
const DIGIT: [[u8; 8]; 12] = [
    [0, 1, 3, 2, 7, 6, 4, 5],
    [0, 7, 1, 6, 3, 4, 2, 5],
    [0, 3, 7, 4, 1, 2, 6, 5],
    [2, 3, 1, 0, 5, 4, 6, 7],
    [4, 3, 5, 2, 7, 0, 6, 1],
    [6, 5, 1, 2, 7, 4, 0, 3],
    [4, 7, 3, 0, 5, 6, 2, 1],
    [6, 7, 5, 4, 1, 0, 2, 3],
    [2, 5, 3, 4, 1, 6, 0, 7],
    [2, 1, 5, 6, 3, 0, 4, 7],
    [4, 5, 7, 6, 3, 2, 0, 1],
    [6, 1, 7, 0, 5, 2, 4, 3],
];

/// The Hilbert key of the integer point `(ix, iy, iz)` on a `2^bits` grid
/// per axis (`bits ≤ 42`), as RAMSES's `hilbert3d` computes it.
pub fn key3d(ix: u64, iy: u64, iz: u64, bits: u32) -> u128 {
    debug_assert!(bits <= 42);
    let mut state = 0usize;
    let mut key = 0u128;
    for i in (0..bits).rev() {
        let sdigit = (((ix >> i) & 1) << 2 | ((iy >> i) & 1) << 1 | ((iz >> i) & 1)) as usize;
        key = key << 3 | DIGIT[state][sdigit] as u128;
        state = NEXT[state][sdigit] as usize;
    }
    key
}

/// The key (at `nlevelmax + 1` bits) that decides which domain stores an
/// oct of level `level` whose integer oct coordinates on that level's oct
/// grid (`2^(level-1)` octs per axis) are `(ox, oy, oz)`: the key of the
/// oct centre, which is its father cell's centre.
pub fn oct_key(ox: u64, oy: u64, oz: u64, level: u32, nlevelmax: u32) -> u128 {
    let bits = nlevelmax + 1;
    // The oct centre is at (2·o + 1)·2^-level; on the 2^bits grid that is
    // (2·o + 1)·2^(bits - level).
    let s = bits - level;
    key3d(
        (2 * ox + 1) << s,
        (2 * oy + 1) << s,
        (2 * oz + 1) << s,
        bits,
    )
}

/// The 1-based domain whose key range holds `key`.
pub fn domain_of(bound_keys: &[u128], key: u128) -> usize {
    // bound_keys[0] ≤ key < bound_keys[ncpu]; the domain is the number of
    // bounds ≤ key (partition_point of "≤ key").
    let n = bound_keys.partition_point(|&b| b <= key);
    n.clamp(1, bound_keys.len().saturating_sub(1).max(1))
}

/// The 1-based CPU files that can hold leaf cells or particles inside the
/// box `[lo, hi]` (box units, `[0, 1]` per axis).
///
/// `levelmin` is the run's coarsest leaf level: a leaf's oct is owned by
/// its father cell, whose centre lies within `2^-levelmin` of any point of
/// the leaf, so the region is widened by that much before the key test.
/// The answer is a superset: callers still filter cells by position.
pub fn cpus_for_region(
    bound_keys: &[u128],
    nlevelmax: u32,
    levelmin: u32,
    lo: [f64; 3],
    hi: [f64; 3],
) -> Vec<usize> {
    let ncpu = bound_keys.len().saturating_sub(1);
    let pad = 0.5f64.powi(levelmin as i32);
    let lo = lo.map(|v| (v - pad).max(0.0));
    let hi = hi.map(|v| (v + pad).min(1.0));
    let mut hit = vec![false; ncpu];
    if lo.iter().zip(&hi).any(|(a, b)| a > b) {
        return Vec::new();
    }
    let bits = nlevelmax + 1;
    // Cubes at this depth are marked whole even if they only touch the
    // region: about 1/64 of the region's size, which keeps the walk short.
    let dmax = (0..3).map(|d| hi[d] - lo[d]).fold(0.0, f64::max).max(1e-12);
    let stop = ((-dmax.log2()).ceil().max(0.0) as u32 + 6).min(bits);
    let mut stack = vec![(0u32, [0u64; 3], 0u128)];
    while let Some((level, c, key)) = stack.pop() {
        let size = 0.5f64.powi(level as i32);
        let cube_lo = c.map(|v| v as f64 * size);
        let outside = (0..3).any(|d| cube_lo[d] > hi[d] || cube_lo[d] + size < lo[d]);
        if outside {
            continue;
        }
        // The files whose key ranges meet the cube's, `bound_keys[d] < k1
        // && bound_keys[d + 1] > k0`, are `first..end` (the keys ascend).
        // Below a cube none of whose files is new the walk stops: its
        // children's ranges are inside its own, so they add no file.
        let shift = 3 * (bits - level);
        let (k0, k1) = (key << shift, (key + 1) << shift);
        let end = bound_keys[..ncpu].partition_point(|&x| x < k1);
        let first = bound_keys[1..].partition_point(|&x| x <= k0);
        if first >= end || hit[first..end].iter().all(|&h| h) {
            continue;
        }
        let inside = (0..3).all(|d| cube_lo[d] >= lo[d] && cube_lo[d] + size <= hi[d]);
        if inside || level >= stop {
            hit[first..end].fill(true);
            continue;
        }
        for child in 0..8u64 {
            let b = [(child >> 2) & 1, (child >> 1) & 1, child & 1];
            let cc = [2 * c[0] + b[0], 2 * c[1] + b[1], 2 * c[2] + b[2]];
            // The child's key at level+1 bits, from the full coordinates.
            let ck = key3d(cc[0], cc[1], cc[2], level + 1);
            stack.push((level + 1, cc, ck));
        }
    }
    hit.iter()
        .enumerate()
        .filter_map(|(d, &h)| h.then_some(d + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_a_bijection_and_prefixes() {
        for bits in 1..=3u32 {
            let n = 1u64 << bits;
            let mut seen = vec![false; (n * n * n) as usize];
            for x in 0..n {
                for y in 0..n {
                    for z in 0..n {
                        let k = key3d(x, y, z, bits);
                        assert!(!seen[k as usize]);
                        seen[k as usize] = true;
                        if bits > 1 {
                            assert_eq!(k >> 3, key3d(x >> 1, y >> 1, z >> 1, bits - 1));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn consecutive_keys_are_neighbours() {
        // A Hilbert curve moves by one cell along one axis per step.
        let bits = 3;
        let n = 1u64 << bits;
        let mut at = vec![[0u64; 3]; (n * n * n) as usize];
        for x in 0..n {
            for y in 0..n {
                for z in 0..n {
                    at[key3d(x, y, z, bits) as usize] = [x, y, z];
                }
            }
        }
        for w in at.windows(2) {
            let d: u64 = (0..3).map(|i| w[0][i].abs_diff(w[1][i])).sum();
            assert_eq!(d, 1, "{:?} -> {:?}", w[0], w[1]);
        }
    }

    /// The files of a region by the plain rule: every cube of the walk's
    /// depth (or wholly inside the padded region) that meets the region
    /// marks every file whose key range meets its own — no pruning.
    fn cpus_unpruned(
        keys: &[u128],
        nlevelmax: u32,
        levelmin: u32,
        lo: [f64; 3],
        hi: [f64; 3],
    ) -> Vec<usize> {
        let ncpu = keys.len() - 1;
        let pad = 0.5f64.powi(levelmin as i32);
        let lo = lo.map(|v| (v - pad).max(0.0));
        let hi = hi.map(|v| (v + pad).min(1.0));
        let mut hit = vec![false; ncpu];
        let bits = nlevelmax + 1;
        let dmax = (0..3).map(|d| hi[d] - lo[d]).fold(0.0, f64::max).max(1e-12);
        let stop = ((-dmax.log2()).ceil().max(0.0) as u32 + 6).min(bits);
        let mut stack = vec![(0u32, [0u64; 3])];
        while let Some((level, c)) = stack.pop() {
            let size = 0.5f64.powi(level as i32);
            let cube_lo = c.map(|v| v as f64 * size);
            if (0..3).any(|d| cube_lo[d] > hi[d] || cube_lo[d] + size < lo[d]) {
                continue;
            }
            let inside = (0..3).all(|d| cube_lo[d] >= lo[d] && cube_lo[d] + size <= hi[d]);
            if inside || level >= stop {
                let key = key3d(c[0], c[1], c[2], level);
                let shift = 3 * (bits - level);
                let (k0, k1) = (key << shift, (key + 1) << shift);
                for d in 0..ncpu {
                    if keys[d] < k1 && keys[d + 1] > k0 {
                        hit[d] = true;
                    }
                }
                continue;
            }
            for child in 0..8u64 {
                let b = [(child >> 2) & 1, (child >> 1) & 1, child & 1];
                stack.push((
                    level + 1,
                    [2 * c[0] + b[0], 2 * c[1] + b[1], 2 * c[2] + b[2]],
                ));
            }
        }
        (0..ncpu).filter(|&d| hit[d]).map(|d| d + 1).collect()
    }

    proptest::proptest! {
        /// The pruned walk chooses the files of the plain rule, for random
        /// file boundaries (empty files among them) and random boxes.
        #[test]
        fn pruned_walk_chooses_the_plain_rule_s_files(
            cuts in proptest::collection::vec(0u64..(1 << 24), 1..40),
            a in proptest::array::uniform3(0.0f64..1.0),
            b in proptest::array::uniform3(0.0f64..1.0),
            levelmin in 1u32..5,
        ) {
            let nlevelmax = 7;
            let top = 1u128 << (3 * (nlevelmax + 1));
            let mut keys: Vec<u128> = cuts.iter().map(|&c| (c as u128 * top) >> 24).collect();
            keys.push(0);
            keys.push(top);
            keys.sort();
            let lo = std::array::from_fn(|d| a[d].min(b[d]));
            let hi = std::array::from_fn(|d| a[d].max(b[d]));
            proptest::prop_assert_eq!(
                cpus_for_region(&keys, nlevelmax, levelmin, lo, hi),
                cpus_unpruned(&keys, nlevelmax, levelmin, lo, hi)
            );
        }
    }

    #[test]
    fn whole_box_selects_every_cpu() {
        let b = vec![0u128, 100, 200, 300, 1 << 24];
        assert_eq!(
            cpus_for_region(&b, 7, 3, [0.0; 3], [1.0; 3]),
            vec![1, 2, 3, 4]
        );
        assert_eq!(domain_of(&b, 0), 1);
        assert_eq!(domain_of(&b, 150), 2);
        assert_eq!(domain_of(&b, 300), 4);
    }
}
