//! Axis-aligned projections of cells and particles.
//!
//! Cells are deposited with exact area overlap: a cell covering several
//! pixels spreads over them, a cell smaller than a pixel lands in its pixel
//! with its footprint fraction, so `Σ map · pixel area` is the integral
//! of the cells (mass for `density`, weight `none`) to rounding.
//!
//! Work is split into `4 × threads` lanes of cells; each lane fills its own
//! partial maps and the lanes are added in lane order, so a result does not
//! depend on scheduling (only on the thread count).
//!
//! Map layout: `map[j·nx + i]`, `i` along the first image axis, `j` along
//! the second; pixel `(i, j)` is centred at `((i+½)·w/nx, (j+½)·h/ny)` from
//! the range's corner. Image axes follow yt: along z they are (x, y), along
//! x (y, z), along y (z, x).

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{components, cpus_for, load_components, CellTable, ParticleTable};
use crate::select::Selection;
use amrkit_io::Snapshot;

/// The line-of-sight weighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    /// ∫q dl (for `density`: the surface density).
    None,
    /// ∫ρq dl / ∫ρ dl.
    Mass,
    /// ∫q dl / ∫dl.
    Volume,
}

/// What to project.
#[derive(Clone, Debug)]
pub struct ProjSpec {
    /// Line of sight: 0 = x, 1 = y, 2 = z.
    pub axis: usize,
    /// Pixels along the two image axes.
    pub res: [usize; 2],
    /// The projected box in box units, `[lo, hi]` per axis (the range along
    /// the line of sight clips the integral).
    pub range: [[f64; 2]; 3],
    /// Variables (RAMSES names in the table).
    pub vars: Vec<String>,
    /// Weighting.
    pub weight: Weight,
}

impl ProjSpec {
    /// The whole box along `axis` at `res × res` pixels.
    /// (Boxes of several coarse cells, `Units::extent`, need their own
    /// `range`.)
    pub fn whole_box(axis: usize, res: usize, vars: &[&str], weight: Weight) -> ProjSpec {
        ProjSpec {
            axis,
            res: [res, res],
            range: [[0.0, 1.0]; 3],
            vars: vars.iter().map(|s| s.to_string()).collect(),
            weight,
        }
    }

    /// The image axes (first, second) for the line of sight.
    pub fn image_axes(&self) -> (usize, usize) {
        match self.axis {
            0 => (1, 2),
            1 => (2, 0),
            _ => (0, 1),
        }
    }
}

/// Projected maps.
#[derive(Clone, Debug, PartialEq)]
pub struct Maps {
    /// Pixels along the first image axis.
    pub nx: usize,
    /// Pixels along the second.
    pub ny: usize,
    /// One map per variable, code units (`nx·ny`, row `j` after row `j-1`).
    pub maps: Vec<(String, Vec<f64>)>,
    /// Pixel area in code units².
    pub pixel_area: f64,
    /// Extent in code units: `[a0, a1, b0, b1]` along the image axes.
    pub extent: [f64; 4],
}

impl Maps {
    /// A map by variable name.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.maps
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m.as_slice())
    }
}

/// Sums of one lane: one map per variable plus the weight map (empty when
/// the projection is not weighted: nothing divides by it).
struct Lane {
    acc: Vec<Vec<f64>>,
    w: Vec<f64>,
}

/// Deposits cells `range` of a table into a lane.
#[allow(clippy::too_many_arguments)]
fn deposit(
    lane: &mut Lane,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    spec: &ProjSpec,
    range: std::ops::Range<usize>,
) {
    let (a, b) = spec.image_axes();
    let c = spec.axis;
    let [nx, ny] = spec.res;
    let (a0, a1) = (spec.range[a][0], spec.range[a][1]);
    let (b0, b1) = (spec.range[b][0], spec.range[b][1]);
    let (c0, c1) = (spec.range[c][0], spec.range[c][1]);
    let pw = (a1 - a0) / nx as f64;
    let ph = (b1 - b0) / ny as f64;
    let boxlen = t.units.boxlen;
    let ndim = t.units.ndim;
    let weighted = !lane.w.is_empty();
    let mut fx: Vec<f64> = Vec::new();
    for k in range {
        let dx = t.dx_box(k);
        let lo = [
            t.ix[k] as f64 * dx,
            t.iy[k] as f64 * dx,
            t.iz[k] as f64 * dx,
        ];
        // Cell extent per axis; in 1D and 2D a cell spans the whole range
        // along the axes the run does not have.
        let span = |d: usize, r0: f64, r1: f64| {
            if d < ndim {
                (lo[d], lo[d] + dx)
            } else {
                (r0, r1)
            }
        };
        // Path length through the cell within the line-of-sight range; one
        // code length (the unit depth) along an axis the run does not have,
        // so a 2D map along z is the area average of the cells per pixel.
        let dl = if c < ndim {
            let dl = (lo[c] + dx).min(c1) - lo[c].max(c0);
            if dl <= 0.0 {
                continue;
            }
            dl * boxlen
        } else {
            1.0
        };
        let (sa0, sa1) = span(a, a0, a1);
        let (sb0, sb1) = span(b, b0, b1);
        let (u0, u1) = (sa0.max(a0), sa1.min(a1));
        let (v0, v1) = (sb0.max(b0), sb1.min(b1));
        if u0 >= u1 || v0 >= v1 {
            continue;
        }
        // Pixel spans; the arguments are ≥ 0, so casts floor them (libm's
        // floor and ceil are calls on baseline x86-64).
        let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
        let i0 = ((u0 - a0) / pw) as usize;
        let i1 = ceil((u1 - a0) / pw).min(nx);
        let j0 = ((v0 - b0) / ph) as usize;
        let j1 = ceil((v1 - b0) / ph).min(ny);
        let dlw = dl * rho.map_or(1.0, |r| r[k]);
        // Column overlap fractions, once per cell rather than once per pixel.
        fx.clear();
        fx.extend((i0..i1).map(|i| {
            let pu0 = a0 + i as f64 * pw;
            ((pu0 + pw).min(u1) - pu0.max(u0)) / pw
        }));
        for j in j0..j1 {
            let pv0 = b0 + j as f64 * ph;
            let fy = ((pv0 + ph).min(v1) - pv0.max(v0)) / ph;
            if fy <= 0.0 {
                continue;
            }
            let fyd = fy * dlw;
            let row = j * nx + i0;
            for (di, &fxi) in fx.iter().enumerate() {
                if fxi <= 0.0 {
                    continue;
                }
                let f = fxi * fyd;
                let p = row + di;
                if weighted {
                    lane.w[p] += f;
                }
                for (m, col) in lane.acc.iter_mut().zip(cols) {
                    m[p] += col[k] * f;
                }
            }
        }
    }
}

fn check(spec: &ProjSpec) -> Result<()> {
    if spec.axis > 2 || spec.res[0] == 0 || spec.res[1] == 0 || spec.vars.is_empty() {
        return Err(KernelError::Invalid(format!(
            "projection needs axis 0..2, pixels ≥ 1 and a variable (axis {}, res {:?}, vars {:?})",
            spec.axis, spec.res, spec.vars
        )));
    }
    if (0..3)
        .any(|d| spec.range[d][0] >= spec.range[d][1] || spec.range[d].iter().any(|v| v.is_nan()))
    {
        return Err(KernelError::Invalid(format!(
            "empty projection range {:?}",
            spec.range
        )));
    }
    Ok(())
}

/// Adds the lanes into the first one, lane after lane for every pixel (so
/// the sums do not depend on scheduling), in parallel over pixel runs, and
/// turns the sums into maps.
fn finish(spec: &ProjSpec, boxlen: f64, lanes: Vec<Lane>, exec: &Exec) -> Maps {
    const RUN: usize = 1 << 14;
    let [nx, ny] = spec.res;
    let mut lanes = lanes.into_iter();
    let Lane { mut acc, mut w } = lanes.next().expect("at least one lane");
    let rest: Vec<Lane> = lanes.collect();
    {
        let mut jobs: Vec<(usize, usize, &mut [f64])> = Vec::new();
        for (a, target) in acc.iter_mut().chain(std::iter::once(&mut w)).enumerate() {
            for (r, piece) in target.chunks_mut(RUN).enumerate() {
                jobs.push((a, r * RUN, piece));
            }
        }
        let nvars = spec.vars.len();
        exec.par()
            .min_chunk(1)
            .for_each_mut(&mut jobs, |(a, at, piece)| {
                for l in &rest {
                    let src = if *a < nvars { &l.acc[*a] } else { &l.w };
                    for (x, y) in piece.iter_mut().zip(&src[*at..]) {
                        *x += y;
                    }
                }
            });
    }
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

/// Variable columns, and the density when weighting by mass.
type Inputs<'t> = (Vec<&'t [f64]>, Option<&'t [f64]>);

/// The columns a projection reads from `t`: the variables, and the
/// density when the weight is mass.
fn inputs<'t>(t: &'t CellTable, spec: &ProjSpec) -> Result<Inputs<'t>> {
    let cols = spec
        .vars
        .iter()
        .map(|v| t.column(v))
        .collect::<Result<_>>()?;
    let rho = match spec.weight {
        Weight::Mass => Some(t.column("density")?),
        Weight::None | Weight::Volume => None,
    };
    Ok((cols, rho))
}

fn new_lane(spec: &ProjSpec) -> Lane {
    let n = spec.res[0] * spec.res[1];
    // Separate zeroed allocations (not `vec![map; k]`, which would copy the
    // first map into the others page by page on this thread).
    Lane {
        acc: (0..spec.vars.len()).map(|_| vec![0.0; n]).collect(),
        w: if spec.weight == Weight::None {
            Vec::new()
        } else {
            vec![0.0; n]
        },
    }
}

/// Boundaries of `nlanes` runs of cells with about equal deposition work:
/// a cell costs a constant plus the pixels its footprint spans, which
/// differ by 4× per level (equal cell counts left one of two workers
/// waiting for a lane of coarse cells). Depends only on the table and the
/// spec, so the sums stay the same from run to run.
fn balanced_cuts(t: &CellTable, spec: &ProjSpec, nlanes: usize) -> Vec<usize> {
    let (a, b) = spec.image_axes();
    let pw = (spec.range[a][1] - spec.range[a][0]) / spec.res[0] as f64;
    let ph = (spec.range[b][1] - spec.range[b][0]) / spec.res[1] as f64;
    let cost: Vec<f64> = (0..64)
        .map(|l| {
            let dx = 0.5f64.powi(l);
            4.0 + (dx / pw).ceil() * (dx / ph).ceil()
        })
        .collect();
    let total: f64 = t.level.iter().map(|&l| cost[l as usize]).sum();
    let mut cuts = vec![0];
    let mut acc = 0.0;
    for (k, &l) in t.level.iter().enumerate() {
        if acc >= total * cuts.len() as f64 / nlanes as f64 && cuts.len() < nlanes {
            cuts.push(k);
        }
        acc += cost[l as usize];
    }
    cuts.resize(nlanes + 1, t.len());
    cuts
}

/// Projects a loaded table (MERA's `projection`, yt's `proj` + `to_frb`).
pub fn project(t: &CellTable, spec: &ProjSpec, exec: &Exec) -> Result<Maps> {
    check(spec)?;
    let (cols, rho) = inputs(t, spec)?;
    let nlanes = 4 * exec.threads();
    exec.start("project", nlanes as u64);
    let cuts = balanced_cuts(t, spec, nlanes);
    let lanes = exec.par().min_chunk(1).map_range(0..nlanes, |l| {
        // Cancelled: the lanes not started yet stay empty (and unused).
        if exec.cancelled() {
            return Lane {
                acc: Vec::new(),
                w: Vec::new(),
            };
        }
        let mut lane = new_lane(spec);
        deposit(&mut lane, t, &cols, rho, spec, cuts[l]..cuts[l + 1]);
        exec.advance(1);
        lane
    });
    exec.finish();
    exec.check()?;
    Ok(finish(spec, t.units.boxlen, lanes, exec))
}

/// Projects straight from the files without building the table: CPU files
/// are dealt round-robin to `4 × threads` lanes; each lane reads its files
/// one at a time and deposits them. Memory: the lane maps plus one CPU
/// file's selected cells per running lane.
pub fn project_streaming(
    snap: &Snapshot,
    sel: &Selection,
    spec: &ProjSpec,
    exec: &Exec,
) -> Result<Maps> {
    check(spec)?;
    let mut need: Vec<&str> = spec.vars.iter().map(String::as_str).collect();
    if spec.weight == Weight::Mass && !need.contains(&"density") {
        need.push("density");
    }
    let comps = components(snap, &need)?;
    // Files are chosen once; each lane then reads exactly its own.
    let cpus = cpus_for(snap, sel)?;
    let nlanes = (4 * exec.threads()).min(cpus.len()).max(1);
    exec.start("project", cpus.len() as u64);
    let lanes: Vec<Result<Lane>> = exec.par().min_chunk(1).map_range(0..nlanes, |l| {
        let mut lane = new_lane(spec);
        for &icpu in cpus.iter().skip(l).step_by(nlanes) {
            // One file at a time, on this lane's thread only.
            let t = load_components(
                snap,
                Some(&[icpu]),
                sel,
                &comps,
                &Exec {
                    max_threads: Some(1),
                    progress: None,
                    ..*exec
                },
            )?;
            let (cols, rho) = inputs(&t, spec)?;
            deposit(&mut lane, &t, &cols, rho, spec, 0..t.len());
            exec.advance(1);
        }
        Ok(lane)
    });
    exec.finish();
    let lanes = lanes.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(finish(spec, snap.info.boxlen, lanes, exec))
}

/// Particle deposition scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deposit {
    /// Nearest grid point.
    Ngp,
    /// Cloud in cell (bilinear).
    Cic,
}

/// Projects particle mass (surface density, code mass per code area) along
/// `spec.axis` over `spec.range`, keeping families in `families` (all when
/// empty). Particles outside the range deposit nothing; CIC weights that
/// fall off the map edge are dropped.
pub fn project_particles(
    p: &ParticleTable,
    spec: &ProjSpec,
    scheme: Deposit,
    families: &[i8],
    exec: &Exec,
) -> Result<Maps> {
    check(spec)?;
    let b = p.units.boxlen;
    let pos = p.positions()?;
    let mass = p.reals("mass")?;
    let fam = if families.is_empty() {
        None
    } else {
        Some(p.families()?)
    };
    let (a, bb) = spec.image_axes();
    let [nx, ny] = spec.res;
    let r = spec.range;
    let pw = (r[a][1] - r[a][0]) / nx as f64;
    let ph = (r[bb][1] - r[bb][0]) / ny as f64;
    let area = pw * ph * b * b;
    let n = p.len();
    let nlanes = 4 * exec.threads();
    // One mass map per lane, no weight map.
    let mut s = spec.clone();
    s.vars = vec!["mass".into()];
    s.weight = Weight::None;
    let lanes = exec.par().min_chunk(1).map_range(0..nlanes, |l| {
        let mut lane = new_lane(&s);
        for k in l * n / nlanes..(l + 1) * n / nlanes {
            if fam.is_some_and(|f| !families.contains(&f[k])) {
                continue;
            }
            let x: [f64; 3] = std::array::from_fn(|d| pos[d].map_or(0.5, |p| p[k] / b));
            if (0..3).any(|d| x[d] < r[d][0] || x[d] >= r[d][1]) {
                continue;
            }
            let u = (x[a] - r[a][0]) / pw;
            let v = (x[bb] - r[bb][0]) / ph;
            let m = mass[k] / area;
            let mut put = |i: isize, j: isize, w: f64| {
                if i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny {
                    let q = j as usize * nx + i as usize;
                    lane.acc[0][q] += m * w;
                }
            };
            match scheme {
                Deposit::Ngp => put(u.floor() as isize, v.floor() as isize, 1.0),
                Deposit::Cic => {
                    let (fu, fv) = (u - 0.5, v - 0.5);
                    let (i, j) = (fu.floor(), fv.floor());
                    let (du, dv) = (fu - i, fv - j);
                    let (i, j) = (i as isize, j as isize);
                    put(i, j, (1.0 - du) * (1.0 - dv));
                    put(i + 1, j, du * (1.0 - dv));
                    put(i, j + 1, (1.0 - du) * dv);
                    put(i + 1, j + 1, du * dv);
                }
            }
        }
        lane
    });
    Ok(finish(&s, b, lanes, exec))
}
