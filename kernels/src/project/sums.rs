//! The fold: partials added in order into full maps, then divided by the
//! weight.

use super::maps::{Maps, Partial};
use super::spec::{check, ProjSpec, Weight};
use crate::error::{KernelError, Result};
use crate::exec::Exec;

/// The sums of a projection being folded: one full map per variable and
/// the weight map (empty when not weighted).
pub(super) struct Sums {
    acc: Vec<Vec<f64>>,
    w: Vec<f64>,
}

impl Sums {
    pub(super) fn new(spec: &ProjSpec) -> Sums {
        let n = spec.res[0] * spec.res[1];
        Sums {
            acc: (0..spec.vars.len()).map(|_| vec![0.0; n]).collect(),
            w: if spec.weight == Weight::None {
                Vec::new()
            } else {
                vec![0.0; n]
            },
        }
    }

    /// Adds `parts` in order, each over its own box: for every pixel, the
    /// partials are added one after the other, so the sums depend only on
    /// the sequence of partials (not on the thread count). In parallel over
    /// runs of rows of each map.
    pub(super) fn add(&mut self, nx: usize, parts: &[Partial], exec: &Exec) {
        const ROWS_PIXELS: usize = 1 << 14;
        if parts.iter().all(|p| p.nx == 0) {
            return;
        }
        let rows = (ROWS_PIXELS / nx).max(1);
        let nvars = self.acc.len();
        let mut jobs: Vec<(usize, usize, &mut [f64])> = Vec::new();
        for (a, target) in self
            .acc
            .iter_mut()
            .chain(std::iter::once(&mut self.w))
            .enumerate()
        {
            for (r, piece) in target.chunks_mut(rows * nx).enumerate() {
                jobs.push((a, r * rows, piece));
            }
        }
        exec.par()
            .min_chunk(1)
            .for_each_mut(&mut jobs, |(a, row0, piece)| {
                let (r0, r1) = (*row0, *row0 + piece.len() / nx);
                for p in parts {
                    let (lo, hi) = (p.j0.max(r0), (p.j0 + p.ny).min(r1));
                    if p.nx == 0 || lo >= hi {
                        continue;
                    }
                    let src = if *a < nvars { &p.acc[*a] } else { &p.w };
                    if src.is_empty() {
                        continue;
                    }
                    for j in lo..hi {
                        let d = &mut piece[(j - r0) * nx + p.i0..][..p.nx];
                        let s = &src[(j - p.j0) * p.nx..][..p.nx];
                        for (x, y) in d.iter_mut().zip(s) {
                            *x += y;
                        }
                    }
                }
            });
    }

    /// The maps: sums divided by the weight when weighted.
    pub(super) fn finish(self, spec: &ProjSpec, boxlen: f64) -> Maps {
        let [nx, ny] = spec.res;
        let Sums { mut acc, w } = self;
        if spec.weight != Weight::None {
            for m in acc.iter_mut() {
                for (x, &wt) in m.iter_mut().zip(&w) {
                    *x = if wt > 0.0 { *x / wt } else { 0.0 };
                }
            }
        }
        let (a, b) = spec.image_axes();
        let pw = (spec.range[a][1] - spec.range[a][0]) / nx as f64 * boxlen;
        let ph = (spec.range[b][1] - spec.range[b][0]) / ny as f64 * boxlen;
        Maps {
            nx,
            ny,
            maps: spec.vars.iter().cloned().zip(acc).collect(),
            pixel_area: pw * ph,
            extent: [
                spec.range[a][0] * boxlen,
                spec.range[a][1] * boxlen,
                spec.range[b][0] * boxlen,
                spec.range[b][1] * boxlen,
            ],
        }
    }
}

/// Folds partials, in order, into maps (the partials of every process's
/// [`project_partials`](super::project_partials), concatenated in file order, give the same maps
/// as [`project`](super::project) on one process).
pub fn fold_partials(spec: &ProjSpec, boxlen: f64, parts: &[Partial], exec: &Exec) -> Result<Maps> {
    check(spec)?;
    let nv = spec.vars.len();
    let weighted = spec.weight != Weight::None;
    for p in parts.iter().filter(|p| p.nx > 0) {
        let n = p.nx * p.ny;
        if p.i0 + p.nx > spec.res[0]
            || p.j0 + p.ny > spec.res[1]
            || p.acc.len() != nv
            || p.acc.iter().any(|m| m.len() != n)
            || p.w.len() != if weighted { n } else { 0 }
        {
            return Err(KernelError::Invalid(format!(
                "a partial map of {}×{} pixels at ({}, {}) does not fit a {}×{} projection of {nv} variables",
                p.nx, p.ny, p.i0, p.j0, spec.res[0], spec.res[1]
            )));
        }
    }
    let mut sums = Sums::new(spec);
    sums.add(spec.res[0], parts, exec);
    Ok(sums.finish(spec, boxlen))
}
