//! The memory of partials the fold is done with, handed to the next runs.
//!
//! A projection makes hundreds of partials (a few per CPU file), each a
//! few pixel boxes of tens to hundreds of kB. Freshly allocated, every one
//! is mapped, faulted in page by page and unmapped again (with the TLB
//! shootdowns that interrupt the other workers): on an 11.6 M-cell output
//! that was about 24 000 page faults per map, a fifth of the time. Kept
//! here between windows, the arrays are reused already mapped (and often
//! still in cache); each is zeroed over the box it is given for, so a
//! partial holds exactly what a fresh allocation would, and the maps keep
//! their bits. The arrays kept add at most `cap` bytes to the memory of a
//! window's partials.

use super::maps::Partial;
use std::sync::Mutex;

/// Arrays of `f64` waiting to be reused, at most `cap` bytes of capacity
/// in all.
pub(super) struct Recycler {
    free: Mutex<Free>,
    cap: usize,
}

#[derive(Default)]
struct Free {
    arrays: Vec<Vec<f64>>,
    /// Their capacities, in bytes, summed.
    bytes: usize,
}

/// Bytes of arrays a projection keeps per worker thread: about what one
/// window of files makes per thread on the largest maps the project's
/// benchmarks draw (512², 11.6 M cells: ~3 MB per file).
pub(super) const KEEP_PER_THREAD: usize = 16 << 20;

impl Recycler {
    /// A recycler keeping at most `cap` bytes (0: every array is freed).
    pub(super) fn new(cap: usize) -> Recycler {
        Recycler {
            free: Mutex::new(Free::default()),
            cap,
        }
    }

    /// `n` zeros: in the smallest kept array that can hold them, else
    /// freshly allocated.
    pub(super) fn zeros(&self, n: usize) -> Vec<f64> {
        if self.cap == 0 {
            return vec![0.0; n];
        }
        let kept = self.free.lock().ok().and_then(|mut free| {
            let best = free
                .arrays
                .iter()
                .enumerate()
                .filter(|(_, a)| a.capacity() >= n)
                .min_by_key(|(_, a)| a.capacity())
                .map(|(i, _)| i)?;
            let a = free.arrays.swap_remove(best);
            free.bytes -= bytes(a.capacity());
            Some(a)
        });
        match kept {
            Some(mut a) => {
                a.clear();
                a.resize(n, 0.0);
                a
            }
            None => vec![0.0; n],
        }
    }

    /// Keeps the arrays of `parts` (in order, while they fit in `cap`);
    /// frees the others.
    pub(super) fn keep(&self, parts: Vec<Partial>) {
        let Ok(mut free) = self.free.lock() else {
            return;
        };
        for p in parts {
            for a in p.acc.into_iter().chain(std::iter::once(p.w)) {
                let b = bytes(a.capacity());
                if b > 0 && free.bytes + b <= self.cap {
                    free.bytes += b;
                    free.arrays.push(a);
                }
            }
        }
    }
}

/// The bytes of an array of `capacity` values.
fn bytes(capacity: usize) -> usize {
    capacity * std::mem::size_of::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A partial whose arrays hold what a deposit left in them.
    fn used(n: usize, weighted: bool) -> Partial {
        Partial {
            nx: n,
            ny: 1,
            acc: vec![vec![7.5; n], vec![-2.0; n]],
            w: if weighted { vec![3.0; n] } else { Vec::new() },
            ..Partial::default()
        }
    }

    #[test]
    fn kept_arrays_come_back_as_zeros_within_the_cap() {
        // Room for 1000 values: the first array (600) is kept, the second
        // (600 more) is not, nor is the weight array.
        let r = Recycler::new(1000 * 8);
        r.keep(vec![used(600, true)]);
        assert_eq!(r.free.lock().unwrap().bytes, 600 * 8);
        // Smaller than what is kept: that array, zeroed over the new
        // length only.
        let a = r.zeros(500);
        assert!(a.len() == 500 && a.iter().all(|&x| x.to_bits() == 0));
        assert!(a.capacity() >= 600, "not the kept array");
        assert_eq!(r.free.lock().unwrap().bytes, 0);
        // Nothing kept any more: a fresh array.
        let b = r.zeros(700);
        assert!(b.len() == 700 && b.iter().all(|&x| x.to_bits() == 0));
        // The best fit among several: the smallest that holds the length.
        let r = Recycler::new(1 << 20);
        r.keep(vec![used(300, false), used(100, false), used(200, true)]);
        let c = r.zeros(150);
        assert_eq!(c.capacity(), 200);
        assert!(c.iter().all(|&x| x.to_bits() == 0));
        // Nothing is kept without a cap.
        let none = Recycler::new(0);
        none.keep(vec![used(10, true)]);
        assert_eq!(none.free.lock().unwrap().bytes, 0);
        assert!(none.zeros(4) == [0.0; 4]);
    }
}
