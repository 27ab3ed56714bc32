//! The mesh of a synthetic 3D output, built level by level: levels up to
//! `levelmin` are full, and a cell of a deeper level is refined when the
//! gas density at its centre exceeds `refine_density·4^(level-levelmin)`.
//! Octs of each level are sorted by the Hilbert key of their centre (the
//! key of the father cell, which decides the owning domain, as in RAMSES),
//! and the domain bounds split all octs into `ncpu` equal parts of that
//! key order. Like a RAMSES rank, a CPU file holds ghost (virtual) copies
//! of the other domains' octs that neighbour its own, on every level.

use super::fields::gas_at;
use crate::hilbert::oct_key;
use crate::oct::cell_bits;
use std::collections::HashMap;

/// The octs of one level, sorted by key.
pub(super) struct Level {
    /// Oct coordinates on the level's oct grid (`2^(level-1)` per axis).
    pub(super) octs: Vec<[u32; 3]>,
    pub(super) keys: Vec<u128>,
    /// Refinement flag of cell `ind` of oct `j`: `refined[8·j + ind]`.
    pub(super) refined: Vec<bool>,
    /// Index of the first oct of each domain (`ncpu + 1` values).
    pub(super) dom_start: Vec<usize>,
    /// Oct index by coordinates.
    index: HashMap<[u32; 3], usize>,
}

/// The octs of every level and the domain decomposition.
pub(super) struct Mesh {
    pub(super) levelmax: u32,
    /// Per level (index 0 is level 1).
    pub(super) levels: Vec<Level>,
    /// Global index of the first oct of each level (1-based numbering).
    pub(super) level_base: Vec<usize>,
    pub(super) total_octs: usize,
    /// The `ncpu + 1` domain bounds (Hilbert keys).
    pub(super) bound_keys: Vec<u128>,
}

impl Mesh {
    /// Builds the mesh of levels 1 to `levelmax` for `ncpu` domains (the
    /// caller has checked `1 ≤ levelmin ≤ levelmax ≤ 16`, `ncpu ≥ 1`).
    pub(super) fn build(ncpu: usize, levelmin: u32, levelmax: u32, refine_density: f64) -> Mesh {
        let lmax = levelmax;
        let mut levels: Vec<Level> = Vec::new();
        // Level 1: the single oct under the root cell.
        let mut octs: Vec<[u32; 3]> = vec![[0, 0, 0]];
        for l in 1..=lmax {
            let mut keyed: Vec<(u128, [u32; 3])> = octs
                .iter()
                .map(|o| (oct_key(o[0] as u64, o[1] as u64, o[2] as u64, l, lmax), *o))
                .collect();
            keyed.sort_unstable_by_key(|k| k.0);
            let dx = 0.5f64.powi(l as i32);
            let threshold = refine_density * 4f64.powi(l as i32 - levelmin as i32);
            let mut refined = vec![false; 8 * keyed.len()];
            let mut next = Vec::new();
            for (j, (_, o)) in keyed.iter().enumerate() {
                for ind in 0..8 {
                    let b = cell_bits(ind);
                    let c: [u32; 3] = std::array::from_fn(|d| 2 * o[d] + b[d]);
                    let refine = if l >= lmax {
                        false
                    } else if l < levelmin {
                        true
                    } else {
                        let x = c.map(|v| (v as f64 + 0.5) * dx);
                        gas_at(x)[0] > threshold
                    };
                    if refine {
                        refined[8 * j + ind] = true;
                        next.push(c);
                    }
                }
            }
            let (keys, octs_sorted): (Vec<u128>, Vec<[u32; 3]>) = keyed.into_iter().unzip();
            let index = octs_sorted
                .iter()
                .enumerate()
                .map(|(j, &o)| (o, j))
                .collect();
            levels.push(Level {
                octs: octs_sorted,
                keys,
                refined,
                dom_start: Vec::new(),
                index,
            });
            octs = next;
        }
        // Domain bounds: equal numbers of octs in key order.
        let mut all: Vec<u128> = levels.iter().flat_map(|l| l.keys.iter().copied()).collect();
        all.sort_unstable();
        let total_octs = all.len();
        let bits3 = 3 * (lmax + 1);
        let mut bound_keys = vec![0u128; ncpu + 1];
        bound_keys[ncpu] = 1u128 << bits3;
        for (d, b) in bound_keys.iter_mut().enumerate().take(ncpu).skip(1) {
            *b = all[d * total_octs / ncpu];
        }
        drop(all);
        let mut level_base = Vec::with_capacity(levels.len());
        let mut base = 1;
        for lev in levels.iter_mut() {
            level_base.push(base);
            base += lev.octs.len();
            lev.dom_start = (0..=ncpu)
                .map(|d| lev.keys.partition_point(|&k| k < bound_keys[d]))
                .collect();
            lev.dom_start[ncpu] = lev.octs.len();
        }
        Mesh {
            levelmax,
            levels,
            level_base,
            total_octs,
            bound_keys,
        }
    }

    /// The level of the leaf cell holding a point (box units), and that
    /// leaf's oct coordinates.
    pub(super) fn leaf_of(&self, x: [f64; 3]) -> (u32, [u32; 3]) {
        let mut l = 1u32;
        loop {
            let n = (1u64 << l) as f64;
            let c: [u32; 3] = x.map(|v| ((v * n).floor().clamp(0.0, n - 1.0)) as u32);
            let o = c.map(|v| v >> 1);
            let lev = &self.levels[l as usize - 1];
            let key = oct_key(o[0] as u64, o[1] as u64, o[2] as u64, l, self.levelmax);
            let j = lev
                .keys
                .binary_search(&key)
                .expect("oct exists above a refined cell");
            let ind = (c[0] & 1) | (c[1] & 1) << 1 | (c[2] & 1) << 2;
            if !lev.refined[8 * j + ind as usize] {
                return (l, o);
            }
            l += 1;
        }
    }

    /// The ghost octs CPU file `icpu` holds, per level (index 0 is level
    /// 1), as sorted oct indices: like a RAMSES rank's virtual octs, the
    /// octs of other domains that touch one of its own octs (the 26
    /// neighbours on the same level, periodic box). Ghost data thus grows
    /// with a domain's surface, not with the whole level.
    pub(super) fn halos(&self, icpu: usize) -> Vec<Vec<usize>> {
        self.levels
            .iter()
            .enumerate()
            .map(|(l, lev)| {
                let n = 1u32 << l; // octs per axis at level l + 1
                let own = lev.dom_start[icpu - 1]..lev.dom_start[icpu];
                let mut ghosts = Vec::new();
                for j in own.clone() {
                    let o = lev.octs[j];
                    for d in 0..27u32 {
                        if d == 13 {
                            continue; // the oct itself
                        }
                        let step = [d % 3, d / 3 % 3, d / 9];
                        let c: [u32; 3] = std::array::from_fn(|k| (o[k] + n + step[k] - 1) % n);
                        if let Some(&k) = lev.index.get(&c) {
                            if !own.contains(&k) {
                                ghosts.push(k);
                            }
                        }
                    }
                }
                ghosts.sort_unstable();
                ghosts.dedup();
                ghosts
            })
            .collect()
    }

    /// Octs of domain `idom` written in CPU file `icpu` at level `l`
    /// (1-based), in key order: its own octs, or the ghost copies of
    /// domain `idom`'s octs among `halos` (from [`Mesh::halos`]).
    pub(super) fn block(
        &self,
        icpu: usize,
        idom: usize,
        l: usize,
        halos: &[Vec<usize>],
    ) -> Vec<usize> {
        let lev = &self.levels[l - 1];
        let (a, b) = (lev.dom_start[idom - 1], lev.dom_start[idom]);
        if idom == icpu {
            return (a..b).collect();
        }
        let h = &halos[l - 1];
        h[h.partition_point(|&k| k < a)..h.partition_point(|&k| k < b)].to_vec()
    }
}
