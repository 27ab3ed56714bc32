//! Axis-aligned projections of cells and particles.
//!
//! Definition: over the prism `range` (a window along the image axes, a
//! slab along the line of sight), the map of `q` is, pixel by pixel,
//! `∫∫∫ q dV / (pixel area)` over the pixel's column of the prism, the
//! leaf field being constant in each cell; with a weight `w` (ρ, or 1 for
//! volume) it is `∫∫∫ w q dV / ∫∫∫ w dV`. So every cell is clipped by its
//! overlap with the pixel column, along all three axes: a cell covering
//! several pixels spreads over them, a cell smaller than a pixel lands in
//! its pixel with its footprint fraction, a cell straddling the window's
//! edge or the slab's faces adds only its part inside, and `Σ map · pixel
//! area` is the integral of the cells over the prism (the mass in it for
//! `density`, weight `none`) to rounding. The table must hold every cell
//! that overlaps the prism: load it with
//! [`Selection::with_overlapping_cells`] (cells selected by their centre
//! would leave the edges under-filled); cells outside add nothing.
//!
//! Work is split into runs of cells of one CPU file each (of about equal
//! deposition work, cut by each file's own cells) or of a fixed number of
//! particles; each run fills a [`Partial`] over the pixels it touches and
//! the partials are added in run order, pixel by pixel. A result depends on
//! neither scheduling nor the thread count, nor on how the files are shared
//! out between processes that send their partials to one of them.
//!
//! Map layout: `map[j·nx + i]`, `i` along the first image axis, `j` along
//! the second; pixel `(i, j)` is centred at `((i+½)·w/nx, (j+½)·h/ny)` from
//! the range's corner. Image axes follow yt: along z they are (x, y), along
//! x (y, z), along y (z, x).

use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{components, cpus_for, load_components_reusing, CellTable, ParticleTable};
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

/// Partial sums of one run of cells (or particles) over the pixels it
/// touches: the box of pixels `[i0, i0 + nx) × [j0, j0 + ny)` of the map,
/// one array per variable plus the weight array (empty when the projection
/// is not weighted: nothing divides by it), row after row. Folding the
/// partials of all runs in order ([`fold_partials`]) gives the maps; a
/// process can send its partials to another one that folds them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Partial {
    /// First column of the box.
    pub i0: usize,
    /// First row of the box.
    pub j0: usize,
    /// Columns of the box.
    pub nx: usize,
    /// Rows of the box.
    pub ny: usize,
    /// Sums per variable, `nx·ny` each.
    pub acc: Vec<Vec<f64>>,
    /// Weight sums, `nx·ny` (empty when not weighted).
    pub w: Vec<f64>,
}

/// Where one cell lands on the map.
struct Footprint {
    /// Its extent along the image axes, clipped to the range.
    u: [f64; 2],
    v: [f64; 2],
    /// The pixels it touches: columns `i0..i1`, rows `j0..j1`.
    i: [usize; 2],
    j: [usize; 2],
    /// Path length through it (code units).
    dl: f64,
}

/// The map's geometry, from a spec and the table's units.
struct Geometry {
    a: usize,
    b: usize,
    c: usize,
    nx: usize,
    ny: usize,
    range: [[f64; 2]; 3],
    pw: f64,
    ph: f64,
    boxlen: f64,
    ndim: usize,
}

impl Geometry {
    fn new(spec: &ProjSpec, units: &crate::Units) -> Geometry {
        let (a, b) = spec.image_axes();
        let [nx, ny] = spec.res;
        Geometry {
            a,
            b,
            c: spec.axis,
            nx,
            ny,
            range: spec.range,
            pw: (spec.range[a][1] - spec.range[a][0]) / nx as f64,
            ph: (spec.range[b][1] - spec.range[b][0]) / ny as f64,
            boxlen: units.boxlen,
            ndim: units.ndim,
        }
    }

    /// Pixel columns `[i0, i1)` and rows `[j0, j1)` that contain the
    /// footprint of every cell of `range`; `None` when none can touch the map.
    fn pixel_box(&self, t: &CellTable, range: std::ops::Range<usize>) -> Option<[usize; 4]> {
        let (a, b) = (self.a, self.b);
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for k in range {
            let dx = t.dx_box(k);
            let c = [t.ix[k], t.iy[k], t.iz[k]];
            for (s, d) in [a, b].into_iter().enumerate() {
                if d < self.ndim {
                    let l = c[d] as f64 * dx;
                    lo[s] = lo[s].min(l);
                    hi[s] = hi[s].max(l + dx);
                } else {
                    lo[s] = lo[s].min(self.range[d][0]);
                    hi[s] = hi[s].max(self.range[d][1]);
                }
            }
        }
        let (a0, a1) = (self.range[a][0], self.range[a][1]);
        let (b0, b1) = (self.range[b][0], self.range[b][1]);
        let (u0, u1) = (lo[0].max(a0), hi[0].min(a1));
        let (v0, v1) = (lo[1].max(b0), hi[1].min(b1));
        if !(u0 < u1 && v0 < v1) {
            return None;
        }
        // As `footprint` rounds.
        let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
        let (i0, i1) = (
            ((u0 - a0) / self.pw) as usize,
            ceil((u1 - a0) / self.pw).min(self.nx),
        );
        let (j0, j1) = (
            ((v0 - b0) / self.ph) as usize,
            ceil((v1 - b0) / self.ph).min(self.ny),
        );
        (i0 < i1 && j0 < j1).then_some([i0, i1, j0, j1])
    }

    /// The footprint of cell `k`, `None` when it adds nothing to the map.
    #[inline(always)]
    fn footprint(&self, t: &CellTable, k: usize) -> Option<Footprint> {
        let (a, b, c) = (self.a, self.b, self.c);
        let (a0, a1) = (self.range[a][0], self.range[a][1]);
        let (b0, b1) = (self.range[b][0], self.range[b][1]);
        let (c0, c1) = (self.range[c][0], self.range[c][1]);
        let dx = t.dx_box(k);
        let lo = [
            t.ix[k] as f64 * dx,
            t.iy[k] as f64 * dx,
            t.iz[k] as f64 * dx,
        ];
        // Cell extent per axis; in 1D and 2D a cell spans the whole range
        // along the axes the run does not have.
        let span = |d: usize, r0: f64, r1: f64| {
            if d < self.ndim {
                (lo[d], lo[d] + dx)
            } else {
                (r0, r1)
            }
        };
        // Path length through the cell within the line-of-sight range; one
        // code length (the unit depth) along an axis the run does not have,
        // so a 2D map along z is the area average of the cells per pixel.
        let dl = if c < self.ndim {
            let dl = (lo[c] + dx).min(c1) - lo[c].max(c0);
            if dl <= 0.0 {
                return None;
            }
            dl * self.boxlen
        } else {
            1.0
        };
        let (sa0, sa1) = span(a, a0, a1);
        let (sb0, sb1) = span(b, b0, b1);
        let (u0, u1) = (sa0.max(a0), sa1.min(a1));
        let (v0, v1) = (sb0.max(b0), sb1.min(b1));
        if u0 >= u1 || v0 >= v1 {
            return None;
        }
        // Pixel spans; the arguments are ≥ 0, so casts floor them (libm's
        // floor and ceil are calls on baseline x86-64).
        let ceil = |e: f64| e as usize + usize::from(e > (e as usize) as f64);
        let i0 = ((u0 - a0) / self.pw) as usize;
        let i1 = ceil((u1 - a0) / self.pw).min(self.nx);
        let j0 = ((v0 - b0) / self.ph) as usize;
        let j1 = ceil((v1 - b0) / self.ph).min(self.ny);
        Some(Footprint {
            u: [u0, u1],
            v: [v0, v1],
            i: [i0, i1],
            j: [j0, j1],
            dl,
        })
    }
}

/// The partial of cells `range` of a table: the pixel box they touch, then
/// the deposit of each cell in order.
fn cell_partial(
    g: &Geometry,
    t: &CellTable,
    cols: &[&[f64]],
    rho: Option<&[f64]>,
    weighted: bool,
    range: std::ops::Range<usize>,
) -> Partial {
    // The pixel box: from the cells' extents along the image axes (a
    // cheap pass; it contains every footprint, since the pixel spans of
    // `footprint` grow with the extents, and may be a little larger when
    // some cells lie outside the line-of-sight range).
    let Some([i0, i1, j0, j1]) = g.pixel_box(t, range.clone()) else {
        return Partial::default();
    };
    let (bw, bh) = (i1 - i0, j1 - j0);
    let mut p = Partial {
        i0,
        j0,
        nx: bw,
        ny: bh,
        // Separate zeroed allocations (not `vec![map; k]`, which would copy
        // the first array into the others page by page).
        acc: (0..cols.len()).map(|_| vec![0.0; bw * bh]).collect(),
        w: if weighted {
            vec![0.0; bw * bh]
        } else {
            Vec::new()
        },
    };
    let (a0, b0) = (g.range[g.a][0], g.range[g.b][0]);
    let (pw, ph) = (g.pw, g.ph);
    let mut fx: Vec<f64> = Vec::new();
    for k in range {
        let Some(f) = g.footprint(t, k) else {
            continue;
        };
        let ([u0, u1], [v0, v1]) = (f.u, f.v);
        let dlw = f.dl * rho.map_or(1.0, |r| r[k]);
        // Column overlap fractions, once per cell rather than once per pixel.
        fx.clear();
        fx.extend((f.i[0]..f.i[1]).map(|i| {
            let pu0 = a0 + i as f64 * pw;
            ((pu0 + pw).min(u1) - pu0.max(u0)) / pw
        }));
        for j in f.j[0]..f.j[1] {
            let pv0 = b0 + j as f64 * ph;
            let fy = ((pv0 + ph).min(v1) - pv0.max(v0)) / ph;
            if fy <= 0.0 {
                continue;
            }
            let fyd = fy * dlw;
            let row = (j - j0) * bw + (f.i[0] - i0);
            for (di, &fxi) in fx.iter().enumerate() {
                if fxi <= 0.0 {
                    continue;
                }
                let w = fxi * fyd;
                let q = row + di;
                if weighted {
                    p.w[q] += w;
                }
                for (m, col) in p.acc.iter_mut().zip(cols) {
                    m[q] += col[k] * w;
                }
            }
        }
    }
    p
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

/// The sums of a projection being folded: one full map per variable and
/// the weight map (empty when not weighted).
struct Sums {
    acc: Vec<Vec<f64>>,
    w: Vec<f64>,
}

impl Sums {
    fn new(spec: &ProjSpec) -> Sums {
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
    fn add(&mut self, nx: usize, parts: &[Partial], exec: &Exec) {
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
    fn finish(self, spec: &ProjSpec, boxlen: f64) -> Maps {
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
/// [`project_partials`], concatenated in file order, give the same maps
/// as [`project`] on one process).
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

/// Deposition work (cost units) of one partial: a cell costs a constant
/// plus the pixels its footprint spans, which differ by 4× per level.
const RUN_COST: f64 = (1 << 17) as f64;

/// The runs of cells the partials are taken over: every CPU file's cells
/// ([`CellTable::file_ranges`]) cut into runs of about [`RUN_COST`] of
/// deposition work. They depend only on each file's own cells and the
/// spec, so a process that reads some of the files cuts them as one that
/// reads all of them does.
fn runs(t: &CellTable, spec: &ProjSpec) -> Vec<std::ops::Range<usize>> {
    let (a, b) = spec.image_axes();
    let pw = (spec.range[a][1] - spec.range[a][0]) / spec.res[0] as f64;
    let ph = (spec.range[b][1] - spec.range[b][0]) / spec.res[1] as f64;
    let cost: Vec<f64> = (0..64)
        .map(|l| {
            let dx = 0.5f64.powi(l);
            4.0 + (dx / pw).ceil().min(spec.res[0] as f64)
                * (dx / ph).ceil().min(spec.res[1] as f64)
        })
        .collect();
    let mut v = Vec::new();
    for (_, r) in t.file_ranges() {
        let mut start = r.start;
        let mut acc = 0.0;
        for k in r.clone() {
            acc += cost[t.level[k] as usize];
            if acc >= RUN_COST {
                v.push(start..k + 1);
                start = k + 1;
                acc = 0.0;
            }
        }
        if start < r.end {
            v.push(start..r.end);
        }
    }
    v
}

/// The partials of a loaded table, one per run of cells of one CPU file,
/// in table order (the runs in parallel).
pub fn project_partials(t: &CellTable, spec: &ProjSpec, exec: &Exec) -> Result<Vec<Partial>> {
    check(spec)?;
    let (cols, rho) = inputs(t, spec)?;
    let g = Geometry::new(spec, &t.units);
    let weighted = spec.weight != Weight::None;
    let runs = runs(t, spec);
    let parts = exec.par().min_chunk(1).map(&runs, |r| {
        if exec.cancelled() {
            return Partial::default();
        }
        cell_partial(&g, t, &cols, rho, weighted, r.clone())
    });
    exec.check()?;
    Ok(parts)
}

/// Projects a loaded table (MERA's `projection`, yt's `proj` + `to_frb`):
/// the partials of [`project_partials`], made a window at a time (so that
/// few are alive at once) and folded in order.
pub fn project(t: &CellTable, spec: &ProjSpec, exec: &Exec) -> Result<Maps> {
    check(spec)?;
    let (cols, rho) = inputs(t, spec)?;
    let g = Geometry::new(spec, &t.units);
    let weighted = spec.weight != Weight::None;
    let runs = runs(t, spec);
    let window = 8 * exec.threads();
    exec.start("project", runs.len() as u64);
    let mut sums = Sums::new(spec);
    for win in runs.chunks(window) {
        let parts = exec.par().min_chunk(1).map(win, |r| {
            // Cancelled: the runs not started yet stay empty (and unused).
            if exec.cancelled() {
                return Partial::default();
            }
            let p = cell_partial(&g, t, &cols, rho, weighted, r.clone());
            exec.advance(1);
            p
        });
        exec.check()?;
        sums.add(spec.res[0], &parts, exec);
    }
    exec.finish();
    Ok(sums.finish(spec, t.units.boxlen))
}

/// Projects straight from the files without building the table: a window
/// of CPU files at a time, each read by one worker and cut into the runs
/// [`project`] would cut it into; the partials are folded in file order,
/// so the maps are bit for bit those of [`project`] on the table loaded
/// with `sel.with_overlapping_cells(&snap.info)` (the cells a box region
/// overlaps; `spec.range` is the box itself). Memory: one CPU file's
/// selected cells per running worker plus the window's partials.
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
    project_files(snap, sel, spec, exec, |icpu, sel, one, spare| {
        load_components_reusing(snap, Some(&[icpu]), sel, &comps, one, spare)
    })
}

/// [`project_streaming`] of variables loaded or derived as
/// [`cells_for`](crate::request::cells_for) makes them (`temperature`,
/// `mass`, …), one CPU file at a time: the maps are bit for bit those of
/// [`project`] on `cells_for(snap, &sel.with_overlapping_cells(..), ..)`
/// (the runs are cut per file, and a derived value is a function of its
/// own cell), in the memory of one file's cells per worker.
pub fn project_cells_streaming(
    snap: &Snapshot,
    sel: &Selection,
    spec: &ProjSpec,
    exec: &Exec,
) -> Result<Maps> {
    check(spec)?;
    let vars: Vec<&str> = spec.vars.iter().map(String::as_str).collect();
    if vars.iter().all(|v| components(snap, &[v]).is_ok()) {
        // Every variable is in the files: tables reused file after file.
        return project_streaming(snap, sel, spec, exec);
    }
    project_files(snap, sel, spec, exec, |icpu, sel, one, _| {
        crate::request::cells_for_on(snap, Some(&[icpu]), sel, &vars, spec.weight, one)
    })
}

/// The streaming projection over the files of
/// `sel.with_overlapping_cells`, each file's table made by `load(icpu,
/// sel, exec capped at one thread)`.
fn project_files<L>(
    snap: &Snapshot,
    sel: &Selection,
    spec: &ProjSpec,
    exec: &Exec,
    load: L,
) -> Result<Maps>
where
    L: Fn(usize, &Selection, &Exec, Option<CellTable>) -> Result<CellTable> + Sync,
{
    let sel = &sel.with_overlapping_cells(&snap.info);
    // Files are chosen once; each job then reads exactly its own.
    let cpus = cpus_for(snap, sel)?;
    let window = 2 * exec.threads();
    exec.start("project", cpus.len() as u64);
    let mut sums = Sums::new(spec);
    let spares = std::sync::Mutex::new(Vec::new());
    let one = Exec {
        max_threads: Some(1),
        progress: None,
        ..*exec
    };
    for win in cpus.chunks(window) {
        exec.check()?;
        let parts: Vec<Result<Vec<Partial>>> = exec.par().min_chunk(1).map(win, |&icpu| {
            // One file at a time, on this job's thread only, in the
            // memory of a table another file is done with.
            let spare = spares.lock().map_or(None, |mut v| v.pop());
            let t = load(icpu, sel, &one, spare)?;
            let (cols, rho) = inputs(&t, spec)?;
            let g = Geometry::new(spec, &t.units);
            let weighted = spec.weight != Weight::None;
            let parts = runs(&t, spec)
                .into_iter()
                .map(|r| cell_partial(&g, &t, &cols, rho, weighted, r))
                .collect();
            if let Ok(mut v) = spares.lock() {
                v.push(t);
            }
            exec.advance(1);
            Ok(parts)
        });
        let parts: Vec<Partial> = parts
            .into_iter()
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        sums.add(spec.res[0], &parts, exec);
    }
    exec.finish();
    Ok(sums.finish(spec, snap.info.boxlen))
}

/// A CIC fraction `f` in [0, 1), as 0 or 1 when within `tol` of them.
#[inline]
fn cic_fraction(f: f64, tol: f64) -> f64 {
    if f <= tol {
        0.0
    } else if f >= 1.0 - tol {
        1.0
    } else {
        f
    }
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
///
/// Round-off: a CIC fraction (the particle's offset from a pixel centre,
/// in pixels) within the rounding error of its position of 0 or 1, that is
/// within `16 ε (1 + (|x| + |x0|) / w + |u|)` (ε the f64 epsilon, `x` the
/// position and `x0` the map's edge in box units, `w` the pixel width, `u`
/// the position in pixels), is taken as that 0 or 1: a particle at a pixel
/// centre (a lattice of initial conditions, a cloud particle) gives all its
/// mass to that pixel instead of leaving ~1e-16 of it on each neighbour,
/// which a log colour bar would show as pixels 16 to 30 decades below the
/// rest. The weights still sum to 1 for every particle, so the mass is
/// conserved exactly.
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
    // Fixed runs of particles (in table order, whatever the thread count),
    // each deposited into a partial over the pixels it touches, the
    // partials folded in order.
    const RUN: usize = 1 << 16;
    let runs: Vec<std::ops::Range<usize>> = (0..n.div_ceil(RUN))
        .map(|r| r * RUN..((r + 1) * RUN).min(n))
        .collect();
    // Calls `put(i, j, weight)` for each map pixel particle `k` deposits into.
    let deposits = |k: usize, put: &mut dyn FnMut(usize, usize, f64)| {
        if fam.is_some_and(|f| !families.contains(&f[k])) {
            return;
        }
        let x: [f64; 3] = std::array::from_fn(|d| pos[d].map_or(0.5, |p| p[k] / b));
        if (0..3).any(|d| x[d] < r[d][0] || x[d] >= r[d][1]) {
            return;
        }
        let u = (x[a] - r[a][0]) / pw;
        let v = (x[bb] - r[bb][0]) / ph;
        let mut at = |i: isize, j: isize, w: f64| {
            if w > 0.0 && i >= 0 && j >= 0 && (i as usize) < nx && (j as usize) < ny {
                put(i as usize, j as usize, w);
            }
        };
        match scheme {
            Deposit::Ngp => at(u.floor() as isize, v.floor() as isize, 1.0),
            Deposit::Cic => {
                let (fu, fv) = (u - 0.5, v - 0.5);
                let (i, j) = (fu.floor(), fv.floor());
                let rounding = |x: f64, x0: f64, w: f64, u: f64| {
                    16.0 * f64::EPSILON * (1.0 + (x.abs() + x0.abs()) / w + u.abs())
                };
                let du = cic_fraction(fu - i, rounding(x[a], r[a][0], pw, u));
                let dv = cic_fraction(fv - j, rounding(x[bb], r[bb][0], ph, v));
                let (i, j) = (i as isize, j as isize);
                at(i, j, (1.0 - du) * (1.0 - dv));
                at(i + 1, j, du * (1.0 - dv));
                at(i, j + 1, (1.0 - du) * dv);
                at(i + 1, j + 1, du * dv);
            }
        }
    };
    // One mass map, no weight map.
    let mut s = spec.clone();
    s.vars = vec!["mass".into()];
    s.weight = Weight::None;
    let window = 8 * exec.threads();
    let mut sums = Sums::new(&s);
    for win in runs.chunks(window) {
        let parts = exec.par().min_chunk(1).map(win, |run| {
            let (mut i0, mut i1, mut j0, mut j1) = (usize::MAX, 0, usize::MAX, 0);
            for k in run.clone() {
                deposits(k, &mut |i, j, _| {
                    i0 = i0.min(i);
                    i1 = i1.max(i + 1);
                    j0 = j0.min(j);
                    j1 = j1.max(j + 1);
                });
            }
            if i0 >= i1 {
                return Partial::default();
            }
            let (bw, bh) = (i1 - i0, j1 - j0);
            let mut acc = vec![0.0; bw * bh];
            for k in run.clone() {
                let m = mass[k] / area;
                deposits(k, &mut |i, j, w| acc[(j - j0) * bw + (i - i0)] += m * w);
            }
            Partial {
                i0,
                j0,
                nx: bw,
                ny: bh,
                acc: vec![acc],
                w: Vec::new(),
            }
        });
        sums.add(nx, &parts, exec);
    }
    Ok(sums.finish(&s, b))
}
