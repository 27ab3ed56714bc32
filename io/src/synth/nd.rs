//! Synthetic 1D, 2D and 3D outputs on a coarse grid with boundary regions
//! (the shapes RAMSES writes for `NDIM=1/2` runs and for runs with
//! `&BOUNDARY_PARAMS`): `nx × ny × nz` coarse cells, of which a block of
//! `extent` cells is the physical box and `pad` cells on each side of a
//! padded axis are boundary cells (coarse `cpu_map` 0). Each padded side is
//! one boundary region: the amr file has `headb/tailb/numbb` records and
//! every file has blocks for those regions after the `ncpu` domains
//! (boundary octs at level 1 under the boundary cells).
//!
//! Octs of 2^ndim cells; `ndim` `xg` records (coarse units, padding
//! included), `2·ndim` `nbor` records. Domains are slabs along x
//! (`ordering type=planar`): the oct whose centre is at fraction `f` of the
//! box along x belongs to domain `⌊f·ncpu⌋ + 1`. Each CPU file also holds
//! the neighbouring domains' octs as ghost blocks. Gas: the analytic field
//! of [`gas_at`] at the cell centre (box fractions, ½ along the axes
//! the run does not have), velocities limited to the ndim components.
//! Optional DM particles with ndim position and velocity records.

use super::fields::{gas_at, SplitMix};
use super::records::{write_part, AmrHeadRecords, AmrTables, OctBlock, PartRecords, RecWriter};
use super::text::{descriptor_text, info_text, InfoText};
use crate::atomic::write_atomic;
use crate::error::{io_err, Error, Result};
use crate::oct::cell_bits;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Debug)]
pub struct NdSpec {
    /// Dimensions: 1, 2 or 3.
    pub ndim: usize,
    /// CPU files.
    pub ncpu: usize,
    /// Levels up to this one are full.
    pub levelmin: u32,
    /// Deepest level.
    pub levelmax: u32,
    /// One coarse cell in code lengths (the info file's `boxlen`).
    pub boxlen: f64,
    /// Coarse cells of the physical box per axis (1 beyond ndim).
    pub extent: [usize; 3],
    /// Boundary cells on each side per axis (0 beyond ndim).
    pub pad: [usize; 3],
    /// A cell at `levelmin` or deeper is refined when the density at its
    /// centre exceeds this × 2^ndim per level below levelmin.
    pub refine_density: f64,
    /// Adiabatic index.
    pub gamma: f64,
    /// DM particles (0: no particle files).
    pub n_part: usize,
    /// Output number.
    pub iout: u32,
    /// Code time.
    pub time: f64,
}

impl Default for NdSpec {
    /// A 2D run of 3 CPUs, levels 3..6, periodic (no boundaries).
    fn default() -> Self {
        NdSpec {
            ndim: 2,
            ncpu: 3,
            levelmin: 3,
            levelmax: 6,
            boxlen: 2.0,
            extent: [1, 1, 1],
            pad: [0, 0, 0],
            refine_density: 3.0,
            gamma: 1.4,
            n_part: 0,
            iout: 1,
            time: 0.1,
        }
    }
}

/// One oct: level, integer coordinates on the oct grid of its level
/// (physical box only, no padding), owning domain, refined cells.
struct Oct {
    o: [u32; 3],
    dom: usize,
    refined: Vec<bool>,
}

/// A particle: position (code units), velocity, mass.
pub type Particle = ([f64; 3], [f64; 3], f64);

/// A built mesh, ready to be written.
pub struct NdPlan {
    spec: NdSpec,
    /// Per level (index 0 = level 1), octs sorted by domain then position.
    levels: Vec<Vec<Oct>>,
    /// Per level: global oct number of each oct by coordinates.
    number: Vec<HashMap<[u32; 3], usize>>,
    /// Boundary octs per region (index b) at level 1: padded coarse cells.
    boundary: Vec<Vec<[usize; 3]>>,
    /// Particles per CPU: position (code units), velocity, mass.
    particles: Vec<Vec<Particle>>,
}

/// The boundary regions of `spec`: the padded sides, lower then upper,
/// axis by axis, each as its coarse cells (padding included).
fn boundary_regions(spec: &NdSpec) -> Vec<Vec<[usize; 3]>> {
    let nd = spec.ndim;
    let nx: [usize; 3] = std::array::from_fn(|d| spec.extent[d] + 2 * spec.pad[d]);
    let mut boundary = Vec::new();
    for d in 0..nd {
        if spec.pad[d] == 0 {
            continue;
        }
        for upper in [false, true] {
            let mut cells = Vec::new();
            for k in 0..nx[2] {
                for j in 0..nx[1] {
                    for i in 0..nx[0] {
                        let c = [i, j, k];
                        let inside = (0..3).all(|e| {
                            e == d || (c[e] >= spec.pad[e] && c[e] < spec.pad[e] + spec.extent[e])
                        });
                        let side = if upper {
                            c[d] >= spec.pad[d] + spec.extent[d]
                        } else {
                            c[d] < spec.pad[d]
                        };
                        if inside && side {
                            cells.push(c);
                        }
                    }
                }
            }
            boundary.push(cells);
        }
    }
    boundary
}

impl NdPlan {
    /// Builds the mesh of `spec`.
    pub fn new(spec: NdSpec) -> Result<NdPlan> {
        let bad = |problem: String| Error::Unsupported {
            path: PathBuf::from("<synthetic spec>"),
            problem,
        };
        let nd = spec.ndim;
        if !(1..=3).contains(&nd)
            || spec.ncpu == 0
            || spec.levelmin == 0
            || spec.levelmin > spec.levelmax
            || spec.levelmax > 20
            || (0..3).any(|d| {
                spec.extent[d] == 0 || (d >= nd && (spec.extent[d] != 1 || spec.pad[d] != 0))
            })
        {
            return Err(bad(format!("{spec:?}: need ndim 1..=3, ncpu ≥ 1, 1 ≤ levelmin ≤ levelmax ≤ 20, extent ≥ 1 and extent 1, pad 0 beyond ndim")));
        }
        let twotondim = 1usize << nd;
        let mut levels: Vec<Vec<Oct>> = Vec::new();
        // Level 1: one oct per coarse cell of the physical box.
        let mut octs: Vec<[u32; 3]> = Vec::new();
        for k in 0..spec.extent[2] as u32 {
            for j in 0..spec.extent[1] as u32 {
                for i in 0..spec.extent[0] as u32 {
                    octs.push([i, j, k]);
                }
            }
        }
        for l in 1..=spec.levelmax {
            let dx = 0.5f64.powi(l as i32);
            let threshold =
                spec.refine_density * (twotondim as f64).powi(l as i32 - spec.levelmin as i32);
            let mut next = Vec::new();
            let mut level: Vec<Oct> = octs
                .iter()
                .map(|&o| {
                    let refined = (0..twotondim)
                        .map(|ind| {
                            let b = cell_bits(ind);
                            let c: [u32; 3] = std::array::from_fn(|d| 2 * o[d] + b[d]);
                            let refine = if l >= spec.levelmax {
                                false
                            } else if l < spec.levelmin {
                                true
                            } else {
                                gas_at(spec.fraction(c, dx))[0] > threshold
                            };
                            if refine {
                                next.push(c);
                            }
                            refine
                        })
                        .collect();
                    // Oct centre's x fraction picks the slab.
                    let f = (o[0] as f64 + 0.5) * 2.0 * dx / spec.extent[0] as f64;
                    Oct {
                        o,
                        dom: ((f * spec.ncpu as f64) as usize).min(spec.ncpu - 1) + 1,
                        refined,
                    }
                })
                .collect();
            level.sort_by_key(|x| (x.dom, x.o[2], x.o[1], x.o[0]));
            levels.push(level);
            octs = next;
        }
        let mut base = 1;
        let number = levels
            .iter()
            .map(|lev| {
                let m: HashMap<[u32; 3], usize> = lev
                    .iter()
                    .enumerate()
                    .map(|(j, x)| (x.o, base + j))
                    .collect();
                base += lev.len();
                m
            })
            .collect();
        let boundary = boundary_regions(&spec);
        let mut plan = NdPlan {
            particles: vec![Vec::new(); spec.ncpu],
            spec,
            levels,
            number,
            boundary,
        };
        plan.make_particles();
        Ok(plan)
    }

    fn make_particles(&mut self) {
        let s = &self.spec;
        let mut rng = SplitMix(0x5eed);
        for i in 0..s.n_part {
            let f: [f64; 3] = std::array::from_fn(|d| if d < s.ndim { rng.uniform() } else { 0.5 });
            let pos: [f64; 3] = std::array::from_fn(|d| f[d] * s.extent[d] as f64 * s.boxlen);
            let vel: [f64; 3] =
                std::array::from_fn(|d| if d < s.ndim { rng.normal() } else { 0.0 });
            let dom = ((f[0] * s.ncpu as f64) as usize).min(s.ncpu - 1);
            self.particles[dom].push((pos, vel, 1.0 + i as f64 * 1e-3));
        }
    }

    /// Every leaf cell: level, integer coordinates on its level's grid
    /// (physical box, no padding) and the hydro values (density, ndim
    /// velocities, pressure), in no particular order.
    pub fn leaves(&self) -> Vec<(u8, [u32; 3], Vec<f64>)> {
        let s = &self.spec;
        let mut out = Vec::new();
        for (l, lev) in self.levels.iter().enumerate() {
            let l = l as u32 + 1;
            for x in lev {
                for (ind, &r) in x.refined.iter().enumerate() {
                    if !r {
                        let b = cell_bits(ind);
                        let c: [u32; 3] = std::array::from_fn(|d| 2 * x.o[d] + b[d]);
                        out.push((l as u8, c, s.cell_values(c, l)));
                    }
                }
            }
        }
        out
    }

    /// Particles of all CPUs: position (code units), velocity, mass.
    pub fn particles(&self) -> Vec<Particle> {
        self.particles.iter().flatten().copied().collect()
    }

    /// `output_NNNNN` in `sim_dir`.
    pub fn output_dir(&self, sim_dir: &Path) -> PathBuf {
        sim_dir.join(format!("output_{:05}", self.spec.iout))
    }

    fn nboundary(&self) -> usize {
        self.boundary.len()
    }

    fn nx(&self) -> [usize; 3] {
        std::array::from_fn(|d| self.spec.extent[d] + 2 * self.spec.pad[d])
    }

    /// Octs of domain `idom` (1..=ncpu, or a boundary region after them) at
    /// level `l` as they appear in CPU `icpu`'s files: its own octs, the
    /// neighbouring domains' as ghosts, the boundary octs at level 1.
    fn block(&self, icpu: usize, idom: usize, l: usize) -> Vec<usize> {
        let ncpu = self.spec.ncpu;
        if idom > ncpu {
            return if l == 1 {
                (0..self.boundary[idom - ncpu - 1].len()).collect()
            } else {
                Vec::new()
            };
        }
        if idom != icpu && idom + 1 != icpu && idom != icpu + 1 {
            return Vec::new();
        }
        let lev = &self.levels[l - 1];
        let a = lev.partition_point(|x| x.dom < idom);
        let b = lev.partition_point(|x| x.dom <= idom);
        (a..b).collect()
    }

    /// Writes the whole output into `output_dir`.
    pub fn write(&self, output_dir: &Path) -> Result<()> {
        std::fs::create_dir_all(output_dir).map_err(|e| io_err(output_dir, e))?;
        self.write_meta(output_dir)?;
        for icpu in 1..=self.spec.ncpu {
            let name =
                |kind: &str| output_dir.join(format!("{kind}_{:05}.out{icpu:05}", self.spec.iout));
            self.write_amr(&name("amr"), icpu)?;
            self.write_hydro(&name("hydro"), icpu)?;
            if self.spec.n_part > 0 {
                write_part(&name("part"), &self.part_records(icpu))?;
            }
        }
        Ok(())
    }

    fn hydro_names(&self) -> Vec<String> {
        let mut v = vec!["density".to_string()];
        v.extend(
            ["velocity_x", "velocity_y", "velocity_z"][..self.spec.ndim]
                .iter()
                .map(|s| s.to_string()),
        );
        v.push("pressure".into());
        v
    }

    fn write_meta(&self, dir: &Path) -> Result<()> {
        let s = &self.spec;
        let info = info_text(&InfoText {
            ncpu: s.ncpu,
            ndim: s.ndim,
            levelmin: s.levelmin,
            levelmax: s.levelmax,
            ngridmax: 100_000,
            boxlen: s.boxlen,
            time: s.time,
            units: [3.0857e21, 1.66e-24, 3.1557e13],
            ordering: "planar",
            keys: &self.slab_keys(),
        });
        write_atomic(
            &dir.join(format!("info_{:05}.txt", s.iout)),
            info.as_bytes(),
        )?;
        let desc = descriptor_text(self.hydro_names().into_iter().map(|n| (n, 'd')));
        write_atomic(&dir.join("hydro_file_descriptor.txt"), desc.as_bytes())?;
        if s.n_part > 0 {
            let desc = descriptor_text(self.part_fields().into_iter());
            write_atomic(&dir.join("part_file_descriptor.txt"), desc.as_bytes())?;
        }
        Ok(())
    }

    /// Planar domain bounds along x (coarse units of the physical box).
    fn slab_keys(&self) -> Vec<f64> {
        let s = &self.spec;
        (0..=s.ncpu)
            .map(|d| d as f64 * s.extent[0] as f64 / s.ncpu as f64)
            .collect()
    }

    fn part_fields(&self) -> Vec<(String, char)> {
        let xyz = ["x", "y", "z"];
        let nd = self.spec.ndim;
        let mut v: Vec<(String, char)> = Vec::new();
        v.extend(xyz[..nd].iter().map(|c| (format!("position_{c}"), 'd')));
        v.extend(xyz[..nd].iter().map(|c| (format!("velocity_{c}"), 'd')));
        for (n, k) in [
            ("mass", 'd'),
            ("identity", 'i'),
            ("levelp", 'i'),
            ("family", 'b'),
            ("tag", 'b'),
        ] {
            v.push((n.to_string(), k));
        }
        v
    }

    fn write_amr(&self, path: &Path, icpu: usize) -> Result<()> {
        let s = &self.spec;
        let (ncpu, nl, nd, nb) = (s.ncpu, s.levelmax as usize, s.ndim, self.nboundary());
        let nx = self.nx();
        let mut w = RecWriter::create(path)?;
        w.amr_head(&AmrHeadRecords {
            ncpu,
            ndim: nd,
            nx,
            nlevelmax: nl,
            ngridmax: 100_000,
            nboundary: nb,
            ngrid_current: (1..=nl).map(|l| self.block(icpu, icpu, l).len()).sum(),
            // The header's boxlen is the whole box: one coarse cell × nx_loc.
            boxlen: s.boxlen * s.extent[0] as f64,
            time: s.time,
            boxlen_ini: s.boxlen,
        })?;
        let count = |d: usize, l: usize| self.block(icpu, d, l).len() as i32;
        let numbl: Vec<i32> = (1..=nl)
            .flat_map(|l| (1..=ncpu).map(move |d| (d, l)))
            .map(|(d, l)| count(d, l))
            .collect();
        let mut numbtot = vec![0i32; 10 * nl];
        for l in 0..nl {
            numbtot[10 * l] = self.levels[l].len() as i32;
        }
        let numbb: Vec<i32> = (1..=nl)
            .flat_map(|l| (1..=nb).map(move |b| (b, l)))
            .map(|(b, l)| count(ncpu + b, l))
            .collect();
        // Coarse arrays (index 1 + i + nx·j + nx·ny·k): son and cpu_map of
        // the physical box's cells, 0 in the boundary cells.
        let ncoarse = nx[0] * nx[1] * nx[2];
        let mut son = vec![0i32; ncoarse];
        let mut cpu_map = vec![0i32; ncoarse];
        for (j, x) in self.levels[0].iter().enumerate() {
            let c: [usize; 3] = std::array::from_fn(|d| x.o[d] as usize + s.pad[d]);
            let at = c[0] + nx[0] * (c[1] + nx[1] * c[2]);
            son[at] = (j + 1) as i32;
            cpu_map[at] = x.dom as i32;
        }
        w.amr_tables(&AmrTables {
            // headl and taill: any non-negative numbers.
            headl: &numbl,
            taill: &numbl,
            numbl: &numbl,
            numbtot: &numbtot,
            numbb: (nb > 0).then_some(&numbb[..]),
            ordering: "planar",
            bounds: &self.slab_keys(),
            coarse_son: &son,
            coarse_cpu_map: &cpu_map,
        })?;
        for l in 1..=nl {
            for idom in 1..=ncpu + nb {
                let r = self.block(icpu, idom, l);
                if !r.is_empty() {
                    w.oct_block(&self.oct_block(idom, l, &r))?;
                }
            }
        }
        w.finish()
    }

    /// The amr records of the octs `r` of domain `idom` (a boundary region
    /// after the `ncpu` domains) at level `l`.
    fn oct_block(&self, idom: usize, l: usize, r: &[usize]) -> OctBlock {
        let s = &self.spec;
        let (ncpu, nd) = (s.ncpu, s.ndim);
        let twotondim = 1usize << nd;
        let n = r.len();
        let zeros = || vec![0; n];
        let ind_grid = (1..=n as i32).collect();
        if idom > ncpu {
            // Boundary octs: at the centres of boundary cells.
            let cells = &self.boundary[idom - ncpu - 1];
            return OctBlock {
                ind_grid,
                next: zeros(),
                prev: zeros(),
                xg: (0..nd)
                    .map(|d| r.iter().map(|&j| cells[j][d] as f64 + 0.5).collect())
                    .collect(),
                father: zeros(),
                son: (0..twotondim).map(|_| zeros()).collect(),
                cpu_map: (0..twotondim).map(|_| zeros()).collect(),
            };
        }
        let lev = &self.levels[l - 1];
        let dx = 0.5f64.powi(l as i32);
        OctBlock {
            ind_grid,
            next: zeros(),
            prev: zeros(),
            xg: (0..nd)
                .map(|d| {
                    r.iter()
                        .map(|&j| (2 * lev[j].o[d] + 1) as f64 * dx + s.pad[d] as f64)
                        .collect()
                })
                .collect(),
            father: vec![1; n],
            son: (0..twotondim)
                .map(|ind| {
                    let b = cell_bits(ind);
                    r.iter()
                        .map(|&j| {
                            let x = &lev[j];
                            if x.refined[ind] {
                                let c: [u32; 3] = std::array::from_fn(|d| 2 * x.o[d] + b[d]);
                                self.number[l][&c] as i32
                            } else {
                                0
                            }
                        })
                        .collect()
                })
                .collect(),
            cpu_map: (0..twotondim)
                .map(|_| r.iter().map(|&j| lev[j].dom as i32).collect())
                .collect(),
        }
    }

    fn write_hydro(&self, path: &Path, icpu: usize) -> Result<()> {
        let s = &self.spec;
        let (ncpu, nl, nd, nb) = (s.ncpu, s.levelmax as usize, s.ndim, self.nboundary());
        let nvar = nd + 2;
        let mut w = RecWriter::create(path)?;
        w.var_head(ncpu, nvar, Some(nd), nl, nb, Some(s.gamma))?;
        for l in 1..=nl {
            for idom in 1..=ncpu + nb {
                let r = self.block(icpu, idom, l);
                w.i32s(&[l as i32])?;
                w.i32s(&[r.len() as i32])?;
                if r.is_empty() {
                    continue;
                }
                for ind in 0..1usize << nd {
                    let b = cell_bits(ind);
                    let vals: Vec<Vec<f64>> = r
                        .iter()
                        .map(|&j| {
                            if idom > ncpu {
                                // Boundary cells: the gas of the box's corner.
                                s.cell_values([0; 3], l as u32)
                            } else {
                                let o = self.levels[l - 1][j].o;
                                s.cell_values(std::array::from_fn(|d| 2 * o[d] + b[d]), l as u32)
                            }
                        })
                        .collect();
                    for v in 0..nvar {
                        w.f64s(&vals.iter().map(|x| x[v]).collect::<Vec<_>>())?;
                    }
                }
            }
        }
        w.finish()
    }

    /// The particle file of CPU `icpu`: DM particles at `levelmin`.
    fn part_records(&self, icpu: usize) -> PartRecords {
        let s = &self.spec;
        let ps = &self.particles[icpu - 1];
        PartRecords {
            ncpu: s.ncpu,
            ndim: s.ndim,
            nstar_tot: 0,
            mstar_tot: 0.0,
            pos: (0..s.ndim)
                .map(|d| ps.iter().map(|p| p.0[d]).collect())
                .collect(),
            vel: (0..s.ndim)
                .map(|d| ps.iter().map(|p| p.1[d]).collect())
                .collect(),
            mass: ps.iter().map(|p| p.2).collect(),
            id: (1..=ps.len() as i32).collect(),
            level: vec![s.levelmin as i32; ps.len()],
            family: vec![1u8; ps.len()], // DM
            birth: None,
        }
    }
}

impl NdSpec {
    /// The centre of cell `c` of level `l` as box fractions (½ beyond ndim).
    fn fraction(&self, c: [u32; 3], dx: f64) -> [f64; 3] {
        std::array::from_fn(|d| {
            if d < self.ndim {
                (c[d] as f64 + 0.5) * dx / self.extent[d] as f64
            } else {
                0.5
            }
        })
    }

    /// Hydro values of cell `c` at level `l`: density, ndim velocities,
    /// pressure.
    fn cell_values(&self, c: [u32; 3], l: u32) -> Vec<f64> {
        let g = gas_at(self.fraction(c, 0.5f64.powi(l as i32)));
        let mut v = vec![g[0]];
        v.extend_from_slice(&g[1..1 + self.ndim]);
        v.push(g[4]);
        v
    }
}
