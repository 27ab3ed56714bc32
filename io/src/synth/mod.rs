//! Synthetic RAMSES outputs: the same files, records and traps as a real
//! run (info, descriptors, `header_`, and `amr_`, `hydro_`, `grav_`,
//! `part_` files for N CPUs with Hilbert-ordered domains and ghost octs),
//! filled with an analytic gas field, its gravity and particles
//! ([`fields`](self::gas_at)). The 3D mesh ([`SynthPlan`]) is described in
//! `mesh.rs`; 1D, 2D and padded coarse grids are written by [`nd`]. Both
//! writers share the records (`records.rs`) and the text files
//! (`text.rs`).
//!
//! Every cell, leaf or not, holds the analytic field at its centre (RAMSES
//! stores child means in refined cells; reading leaves is what matters).
//!
//! [`SynthPlan::write_cpu`] writes one CPU's files and can run for several
//! CPUs at once (the caller picks the threads: this crate has none); each
//! file is written under a temporary name and renamed when complete.

mod fields;
mod mesh;
pub mod nd;
mod records;
mod spec;
mod text;

pub use fields::{gas_at, gravity_at, rt_at};
pub use spec::{RtSpec, SynthSpec};
pub use text::{fortran_e, info_rt_text};

use crate::atomic::write_atomic;
use crate::error::{io_err, Error, Result};
use crate::hilbert::{domain_of, key3d, oct_key};
use crate::oct::cell_bits;
use fields::{SplitMix, CLUMPS};
use mesh::Mesh;
use records::{write_part, AmrHeadRecords, AmrTables, OctBlock, PartRecords, RecWriter};
use std::path::{Path, PathBuf};
use text::{descriptor_text, info_text, rt_names, InfoText, PART_FIELDS};

/// One particle before it is written.
#[derive(Clone, Copy)]
struct Particle {
    pos: [f64; 3],
    vel: [f64; 3],
    mass: f64,
    id: i32,
    level: i32,
    family: i8,
    birth: f64,
}

/// The built mesh and particles, ready to be written.
pub struct SynthPlan {
    spec: SynthSpec,
    mesh: Mesh,
    /// Particles per CPU (index 0 is CPU 1).
    particles: Vec<Vec<Particle>>,
    /// Mass of all star particles (the `mstar_tot` header record).
    mstar_tot: f64,
}

impl SynthPlan {
    /// Builds the mesh and the particles of `spec`.
    pub fn new(spec: SynthSpec) -> Result<SynthPlan> {
        let bad = |problem: String| Error::Unsupported {
            path: PathBuf::from("<synthetic spec>"),
            problem,
        };
        if spec.ncpu == 0 || spec.levelmin == 0 || spec.levelmin > spec.levelmax {
            return Err(bad(format!(
                "ncpu = {}, levelmin = {}, levelmax = {}: need ncpu ≥ 1 and 1 ≤ levelmin ≤ levelmax",
                spec.ncpu, spec.levelmin, spec.levelmax
            )));
        }
        if spec.levelmax > 16 {
            return Err(bad(format!(
                "levelmax = {} > 16: keys would not fit 8-byte key records",
                spec.levelmax
            )));
        }
        let mesh = Mesh::build(spec.ncpu, spec.levelmin, spec.levelmax, spec.refine_density);
        let mut plan = SynthPlan {
            particles: vec![Vec::new(); spec.ncpu],
            mstar_tot: 0.0,
            spec,
            mesh,
        };
        plan.make_particles();
        Ok(plan)
    }

    /// The exact bound keys of the domains.
    pub fn bound_keys(&self) -> &[u128] {
        &self.mesh.bound_keys
    }

    /// Leaf cells per level (index 0 is level 1).
    pub fn leaf_cells_per_level(&self) -> Vec<usize> {
        self.mesh
            .levels
            .iter()
            .map(|l| l.refined.iter().filter(|&&r| !r).count())
            .collect()
    }

    /// Octs in the whole mesh.
    pub fn total_octs(&self) -> usize {
        self.mesh.total_octs
    }

    /// Particles in the whole output.
    pub fn total_particles(&self) -> usize {
        self.particles.iter().map(Vec::len).sum()
    }

    fn make_particles(&mut self) {
        let s = &self.spec;
        let mut rng = SplitMix(s.seed);
        let mut all = Vec::with_capacity(s.n_dm + s.n_star);
        let dm_mass = 1e3 / s.n_dm.max(1) as f64;
        for i in 0..s.n_dm + s.n_star {
            let star = i >= s.n_dm;
            // DM in a wide halo around the centre; stars in the clumps.
            let (centre, sigma) = if star {
                let c = &CLUMPS[i % CLUMPS.len()];
                (c.centre, c.sigma)
            } else {
                ([0.5; 3], 0.12)
            };
            let pos: [f64; 3] =
                std::array::from_fn(|d| (centre[d] + sigma * rng.normal()).clamp(1e-9, 1.0 - 1e-9));
            let gas = gas_at(pos);
            let vel: [f64; 3] = std::array::from_fn(|d| gas[1 + d] + 0.5 * rng.normal());
            let (level, o) = self.mesh.leaf_of(pos);
            let key = oct_key(o[0] as u64, o[1] as u64, o[2] as u64, level, s.levelmax);
            let dom = domain_of(&self.mesh.bound_keys, key);
            all.push((
                dom,
                Particle {
                    pos: pos.map(|v| v * s.boxlen),
                    vel,
                    mass: if star {
                        0.01 * (1.0 + rng.uniform())
                    } else {
                        dm_mass
                    },
                    id: i as i32 + 1,
                    level: level as i32,
                    family: if star { 2 } else { 1 },
                    birth: if star { s.time * rng.uniform() } else { 0.0 },
                },
            ));
        }
        self.mstar_tot = all
            .iter()
            .filter(|(_, p)| p.family == 2)
            .map(|(_, p)| p.mass)
            .sum();
        for (dom, p) in all {
            self.particles[dom - 1].push(p);
        }
    }

    /// Writes every file of the output into `output_dir` (created), one CPU
    /// after another. See [`SynthPlan::write_cpu`] to spread CPUs over
    /// threads.
    pub fn write(&self, output_dir: &Path) -> Result<()> {
        self.write_meta(output_dir)?;
        for icpu in 1..=self.spec.ncpu {
            self.write_cpu(output_dir, icpu)?;
        }
        Ok(())
    }

    /// Writes the output as RAMSES does with `IOGROUPSIZEREP = group_size`:
    /// CPU `c`'s files in `group_GGGGG/` with `GGGGG = (c-1)/group_size + 1`,
    /// the text files only in `group_00001` (rank 1's group), nothing in
    /// the output folder itself.
    pub fn write_grouped(&self, output_dir: &Path, group_size: usize) -> Result<()> {
        if group_size == 0 {
            return Err(Error::Inconsistent {
                path: output_dir.to_path_buf(),
                problem: "group size 0: IOGROUPSIZEREP must be at least 1".into(),
            });
        }
        let group =
            |icpu: usize| output_dir.join(format!("group_{:05}", (icpu - 1) / group_size + 1));
        self.write_meta(&group(1))?;
        for icpu in 1..=self.spec.ncpu {
            let g = group(icpu);
            std::fs::create_dir_all(&g).map_err(|e| io_err(&g, e))?;
            self.write_cpu(&g, icpu)?;
        }
        Ok(())
    }

    /// The folder `sim_dir/output_NNNNN` for this spec.
    pub fn output_dir(&self, sim_dir: &Path) -> PathBuf {
        sim_dir.join(format!("output_{:05}", self.spec.iout))
    }

    /// Writes the text files: info, descriptors, `header_`.
    pub fn write_meta(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let s = &self.spec;
        let n = s.iout;
        let keys: Vec<f64> = self.mesh.bound_keys.iter().map(|&k| k as f64).collect();
        let info = info_text(&InfoText {
            ncpu: s.ncpu,
            ndim: 3,
            levelmin: s.levelmin,
            levelmax: s.levelmax,
            ngridmax: self.mesh.total_octs,
            boxlen: s.boxlen,
            time: s.time,
            units: s.units,
            ordering: "hilbert",
            keys: &keys,
        });
        write_atomic(&dir.join(format!("info_{n:05}.txt")), info.as_bytes())?;
        let desc = |names: &[(&str, char)]| descriptor_text(names.iter().copied());
        let hydro = desc(&[
            ("density", 'd'),
            ("velocity_x", 'd'),
            ("velocity_y", 'd'),
            ("velocity_z", 'd'),
            ("pressure", 'd'),
        ]);
        write_atomic(&dir.join("hydro_file_descriptor.txt"), hydro.as_bytes())?;
        if let Some(rt) = &s.rt {
            if rt.descriptor {
                let names = rt_names(rt.groups);
                let text = descriptor_text(names.iter().map(|n| (n, 'd')));
                write_atomic(&dir.join("rt_file_descriptor.txt"), text.as_bytes())?;
            }
            let levels = (s.levelmax - s.levelmin + 1) as usize;
            let text = info_rt_text(rt, levels);
            write_atomic(&dir.join(format!("info_rt_{n:05}.txt")), text.as_bytes())?;
        }
        if self.has_particles() {
            let part = desc(&PART_FIELDS);
            write_atomic(&dir.join("part_file_descriptor.txt"), part.as_bytes())?;
            let mut counts = [0u64; 11];
            for p in self.particles.iter().flatten() {
                counts[(p.family + 5) as usize] += 1;
            }
            let mut h = String::from("#      Family     Count\n");
            let names = [
                "other_tracer",
                "debris_tracer",
                "cloud_tracer",
                "star_tracer",
                "other_tracer",
                "gas_tracer",
                "DM",
                "star",
                "cloud",
                "debris",
                "other",
            ];
            for (name, c) in names.iter().zip(counts) {
                h += &format!("{name:>13}{c:>10}\n");
            }
            h += &format!("{:>13}{:>10}\n", "undefined", 0);
            h += " Particle fields\npos vel mass iord level family tag tform \n";
            write_atomic(&dir.join(format!("header_{n:05}.txt")), h.as_bytes())?;
        }
        Ok(())
    }

    fn has_particles(&self) -> bool {
        self.spec.n_dm + self.spec.n_star > 0
    }

    /// Writes the binary files of CPU `icpu` (1-based).
    pub fn write_cpu(&self, dir: &Path, icpu: usize) -> Result<()> {
        let n = self.spec.iout;
        let name = |kind: &str| dir.join(format!("{kind}_{n:05}.out{icpu:05}"));
        self.write_amr(&name("amr"), icpu)?;
        self.write_cells(&name("hydro"), icpu, Cells::Hydro)?;
        if self.spec.gravity {
            self.write_cells(&name("grav"), icpu, Cells::Grav)?;
        }
        if let Some(rt) = &self.spec.rt {
            self.write_cells(&name("rt"), icpu, Cells::Rt(rt.groups))?;
        }
        if self.has_particles() {
            write_part(&name("part"), &self.part_records(icpu))?;
        }
        Ok(())
    }

    fn write_amr(&self, path: &Path, icpu: usize) -> Result<()> {
        let s = &self.spec;
        let (ncpu, nl) = (s.ncpu, s.levelmax as usize);
        let mesh = &self.mesh;
        let halos = mesh.halos(icpu);
        let own: usize = mesh
            .levels
            .iter()
            .map(|l| l.dom_start[icpu] - l.dom_start[icpu - 1])
            .sum();
        let mut w = RecWriter::create(path)?;
        w.amr_head(&AmrHeadRecords {
            ncpu,
            ndim: 3,
            nx: [1, 1, 1],
            nlevelmax: nl,
            ngridmax: mesh.total_octs,
            nboundary: 0,
            ngrid_current: own,
            boxlen: s.boxlen,
            time: s.time,
            boxlen_ini: s.boxlen,
        })?;
        // headl, taill, numbl: (ncpu, nlevelmax), domain fastest.
        let mut numbl = vec![0i32; ncpu * nl];
        let mut headl = vec![0i32; ncpu * nl];
        let mut taill = vec![0i32; ncpu * nl];
        for l in 1..=nl {
            for d in 1..=ncpu {
                let r = mesh.block(icpu, d, l, &halos);
                let k = (l - 1) * ncpu + (d - 1);
                numbl[k] = r.len() as i32;
                if let (Some(&first), Some(&last)) = (r.first(), r.last()) {
                    headl[k] = (mesh.level_base[l - 1] + first) as i32;
                    taill[k] = (mesh.level_base[l - 1] + last) as i32;
                }
            }
        }
        let mut numbtot = vec![0i32; 10 * nl];
        for l in 0..nl {
            numbtot[10 * l] = mesh.levels[l].octs.len() as i32;
        }
        let bounds: Vec<f64> = mesh.bound_keys.iter().map(|&k| k as f64).collect();
        // The root cell's owner: the key of the level-1 oct's centre.
        let root = oct_key(0, 0, 0, 1, s.levelmax);
        w.amr_tables(&AmrTables {
            headl: &headl,
            taill: &taill,
            numbl: &numbl,
            numbtot: &numbtot,
            numbb: None,
            ordering: "hilbert",
            bounds: &bounds,
            coarse_son: &[1], // the level-1 oct
            coarse_cpu_map: &[domain_of(&mesh.bound_keys, root) as i32],
        })?;
        for l in 1..=nl {
            for d in 1..=ncpu {
                let r = mesh.block(icpu, d, l, &halos);
                if !r.is_empty() {
                    w.oct_block(&self.oct_block(l, &r))?;
                }
            }
        }
        w.finish()
    }

    /// The amr records of the octs `r` (indices into level `l`, 1-based).
    fn oct_block(&self, l: usize, r: &[usize]) -> OctBlock {
        let s = &self.spec;
        let mesh = &self.mesh;
        let lev = &mesh.levels[l - 1];
        let base = mesh.level_base[l - 1];
        let ngridmax = mesh.total_octs;
        let idx = |j: usize| (base + j) as i32;
        let dx = 0.5f64.powi(l as i32);
        // father: cell index ncoarse + (ind-1)·ngridmax + igrid.
        let father = r
            .iter()
            .map(|&j| {
                if l == 1 {
                    return 1;
                }
                let o = lev.octs[j];
                let fo = o.map(|v| v >> 1);
                let up = &mesh.levels[l - 2];
                let key = oct_key(
                    fo[0] as u64,
                    fo[1] as u64,
                    fo[2] as u64,
                    l as u32 - 1,
                    s.levelmax,
                );
                let fj = up.keys.binary_search(&key).expect("father oct");
                let ind = (o[0] & 1) | (o[1] & 1) << 1 | (o[2] & 1) << 2;
                (1 + ind as usize * ngridmax + mesh.level_base[l - 2] + fj) as i32
            })
            .collect();
        let son = (0..8)
            .map(|ind| {
                r.iter()
                    .map(|&j| {
                        if !lev.refined[8 * j + ind] {
                            return 0;
                        }
                        let b = cell_bits(ind);
                        let c: [u32; 3] = std::array::from_fn(|k| 2 * lev.octs[j][k] + b[k]);
                        let down = &mesh.levels[l];
                        let key = oct_key(
                            c[0] as u64,
                            c[1] as u64,
                            c[2] as u64,
                            l as u32 + 1,
                            s.levelmax,
                        );
                        let cj = down.keys.binary_search(&key).expect("child oct");
                        (mesh.level_base[l] + cj) as i32
                    })
                    .collect()
            })
            .collect();
        let cpu_map = (0..8)
            .map(|ind| {
                let b = cell_bits(ind);
                r.iter()
                    .map(|&j| {
                        // The cell centre decides its owner: on the
                        // 2^(levelmax+1) grid it sits at (2c + 1)·2^(levelmax-l).
                        let c: [u64; 3] = std::array::from_fn(|k| {
                            (2 * (2 * lev.octs[j][k] + b[k]) as u64 + 1)
                                << (s.levelmax as usize - l)
                        });
                        let key = key3d(c[0], c[1], c[2], s.levelmax + 1);
                        domain_of(&mesh.bound_keys, key) as i32
                    })
                    .collect()
            })
            .collect();
        OctBlock {
            ind_grid: r.iter().map(|&j| idx(j)).collect(),
            next: (0..r.len())
                .map(|i| r.get(i + 1).map_or(0, |&j| idx(j)))
                .collect(),
            prev: (0..r.len())
                .map(|i| if i > 0 { idx(r[i - 1]) } else { 0 })
                .collect(),
            xg: (0..3)
                .map(|dim| {
                    r.iter()
                        .map(|&j| (2 * lev.octs[j][dim] + 1) as f64 * dx)
                        .collect()
                })
                .collect(),
            father,
            son,
            cpu_map,
        }
    }

    fn write_cells(&self, path: &Path, icpu: usize, kind: Cells) -> Result<()> {
        let s = &self.spec;
        let (ncpu, nl) = (s.ncpu, s.levelmax as usize);
        let grav = kind == Cells::Grav;
        let nvar = match kind {
            Cells::Hydro => 5,
            Cells::Grav => 4,
            Cells::Rt(groups) => 4 * groups,
        };
        let mut w = RecWriter::create(path)?;
        w.var_head(
            ncpu,
            nvar,
            (!grav).then_some(3),
            nl,
            0,
            (!grav).then_some(s.gamma),
        )?;
        let mut vals: Vec<Vec<f64>> = vec![Vec::new(); nvar];
        let halos = self.mesh.halos(icpu);
        for l in 1..=nl {
            let lev = &self.mesh.levels[l - 1];
            let dx = 0.5f64.powi(l as i32);
            for d in 1..=ncpu {
                let r = self.mesh.block(icpu, d, l, &halos);
                w.i32s(&[l as i32])?;
                w.i32s(&[r.len() as i32])?;
                if r.is_empty() {
                    continue;
                }
                for ind in 0..8 {
                    let b = cell_bits(ind);
                    for v in vals.iter_mut() {
                        v.clear();
                    }
                    for &j in &r {
                        let x: [f64; 3] = std::array::from_fn(|k| {
                            ((2 * lev.octs[j][k] + b[k]) as f64 + 0.5) * dx
                        });
                        match kind {
                            Cells::Grav => {
                                for (v, q) in vals.iter_mut().zip(gravity_at(x)) {
                                    v.push(q);
                                }
                            }
                            Cells::Hydro => {
                                for (v, q) in vals.iter_mut().zip(gas_at(x)) {
                                    v.push(q);
                                }
                            }
                            Cells::Rt(groups) => {
                                for (v, q) in vals.iter_mut().zip(rt_at(x, groups)) {
                                    v.push(q);
                                }
                            }
                        }
                    }
                    for v in &vals {
                        w.f64s(v)?;
                    }
                }
            }
        }
        w.finish()
    }

    /// The particle file of CPU `icpu`.
    fn part_records(&self, icpu: usize) -> PartRecords {
        let ps = &self.particles[icpu - 1];
        let col = |f: fn(&Particle) -> f64| ps.iter().map(f).collect::<Vec<_>>();
        PartRecords {
            ncpu: self.spec.ncpu,
            ndim: 3,
            nstar_tot: self.spec.n_star as i32,
            mstar_tot: self.mstar_tot,
            pos: (0..3)
                .map(|d| ps.iter().map(|p| p.pos[d]).collect())
                .collect(),
            vel: (0..3)
                .map(|d| ps.iter().map(|p| p.vel[d]).collect())
                .collect(),
            mass: col(|p| p.mass),
            id: ps.iter().map(|p| p.id).collect(),
            level: ps.iter().map(|p| p.level).collect(),
            family: ps.iter().map(|p| p.family as u8).collect(),
            birth: Some(col(|p| p.birth)),
        }
    }
}

/// Which cell file [`SynthPlan::write_cells`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cells {
    Hydro,
    Grav,
    /// `rt_` with this many photon groups.
    Rt(usize),
}
