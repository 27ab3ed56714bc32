//! Folding a phase diagram's block partials in block order, one partial
//! at a time: a reduction over CPU files hands each file's partials over
//! as soon as the files before it are folded and drops them, so no more
//! than a few files' partials are ever held. Folding them all at once
//! ([`Phase::fold`]) or as they come gives the same bits: the same
//! additions in the same order.

use super::{Axis, Phase, PhasePartial, PhaseSpec};
use crate::profile::compensated::Compensated;

/// The running sums of a phase diagram over the partials added so far.
#[derive(Clone, Debug)]
pub struct PhaseFold {
    /// Cells per bin.
    counts: Vec<f64>,
    /// Σw, Σwz, Σm per bin.
    sums: Vec<[Compensated; 3]>,
    /// Cells and mass outside the ranges.
    outside: [Compensated; 2],
    /// Cells dropped (exact counts), mass dropped (unused: see
    /// `dropped_mass`), cells dropped for x and for y.
    dropped: [f64; 4],
    /// Mass dropped.
    dropped_mass: Compensated,
}

impl PhaseFold {
    /// Nothing folded yet, for the grid of `axes`.
    pub fn new(axes: &[Axis; 2]) -> PhaseFold {
        let nb = axes[0].bins * axes[1].bins;
        PhaseFold {
            counts: vec![0.0; nb],
            sums: vec![[Compensated::default(); 3]; nb],
            outside: [Compensated::default(); 2],
            dropped: [0.0; 4],
            dropped_mass: Compensated::default(),
        }
    }

    /// Adds the next partial (in block order).
    pub fn add(&mut self, p: &PhasePartial) {
        for (&b, s) in p.bins.iter().zip(&p.sums) {
            self.counts[b as usize] += s[0];
            for (a, &x) in self.sums[b as usize].iter_mut().zip(&s[1..]) {
                a.add(x);
            }
        }
        for (a, &b) in self.outside.iter_mut().zip(&p.outside) {
            a.add(b);
        }
        for (a, b) in self.dropped.iter_mut().zip(&p.dropped) {
            *a += b;
        }
        self.dropped_mass.add(p.dropped[1]);
    }

    /// The diagram of the partials added.
    pub fn finish(self, spec: &PhaseSpec, axes: &[Axis; 2]) -> Phase {
        let PhaseFold {
            counts,
            sums,
            outside,
            mut dropped,
            dropped_mass,
        } = self;
        let nb = counts.len();
        dropped[1] = dropped_mass.value();
        let outside = outside.map(|c| c.value());
        let weights: Vec<f64> = sums.iter().map(|s| s[0].value()).collect();
        let wz: Vec<f64> = sums.iter().map(|s| s[1].value()).collect();
        let mut in_mass = Compensated::default();
        for s in &sums {
            in_mass.add(s[2].value());
        }
        let values = match spec.z {
            None => weights.clone(),
            Some(_) => (0..nb)
                .map(|b| {
                    if counts[b] == 0.0 {
                        f64::NAN
                    } else {
                        wz[b] / weights[b]
                    }
                })
                .collect(),
        };
        let binned = [counts.iter().sum::<f64>(), in_mass.value()];
        Phase {
            spec: spec.clone(),
            axes: axes.clone(),
            values,
            counts: counts.iter().map(|&c| c as u64).collect(),
            weights,
            binned,
            outside,
            dropped,
        }
    }
}
