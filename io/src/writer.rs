//! A writer of synthetic RAMSES outputs: the same files, records and
//! traps as a real run (info, descriptors, `header_`, and `amr_`, `hydro_`,
//! `grav_`, `part_` files for N CPUs with Hilbert-ordered domains and ghost
//! octs), filled with an analytic gas field, its gravity and particles.
//! Like a RAMSES rank, a CPU file holds ghost (virtual) copies of the
//! other domains' octs that neighbour its own, on every level: ghost data
//! grows with a domain's surface, as in real outputs.
//!
//! The mesh is built level by level: levels up to `levelmin` are full, and
//! a cell of a deeper level is refined when the gas density at its centre
//! exceeds `refine_density·4^(level-levelmin)`. Octs of each level are
//! sorted by the Hilbert key of their centre (the key of the father cell,
//! which decides the owning domain, as in RAMSES), and the domain bounds
//! split all octs into `ncpu` equal parts of that key order.
//!
//! Every cell, leaf or not, holds the analytic field at its centre (RAMSES
//! stores child means in refined cells; reading leaves is what matters).
//!
//! [`SynthPlan::write_cpu`] writes one CPU's files and can run for several
//! CPUs at once (the caller picks the threads: this crate has none); each
//! file is written under a temporary name and renamed when complete.

#[path = "writer_nd.rs"]
pub mod nd;

use crate::atomic::{tmp_path, write_atomic};
use crate::error::{io_err, Error, Result};
use crate::hilbert::{domain_of, oct_key};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthSpec {
    /// Number of CPU files.
    pub ncpu: usize,
    /// Coarsest level (full grid of `8^levelmin` cells).
    pub levelmin: u32,
    /// Deepest level (≤ 16, so that keys fit the 8-byte key records).
    pub levelmax: u32,
    /// Box size in code units.
    pub boxlen: f64,
    /// Density above which a cell of level `levelmin` is refined; ×4 per
    /// deeper level.
    pub refine_density: f64,
    /// Adiabatic index.
    pub gamma: f64,
    /// Dark-matter particles (0: no particle files).
    pub n_dm: usize,
    /// Star particles.
    pub n_star: usize,
    /// Whether to write `grav_` files.
    pub gravity: bool,
    /// Code time of the output.
    pub time: f64,
    /// Output number.
    pub iout: u32,
    /// `unit_l`, `unit_d`, `unit_t` (cgs).
    pub units: [f64; 3],
    /// Seed of the particle positions.
    pub seed: u64,
    /// RAMSES-RT files (`rt_`, `rt_file_descriptor.txt`, `info_rt_`), or
    /// none.
    pub rt: Option<RtSpec>,
}

/// The RAMSES-RT part of a synthetic output: `groups` photon groups of
/// [`rt_at`]'s analytic field (`photon_flux_GG`, `photon_flux_GG_x|y|z`).
#[derive(Clone, Debug, PartialEq)]
pub struct RtSpec {
    /// Photon groups (`nGroups`).
    pub groups: usize,
    /// `rt_c_frac` as ramses-2025.05 writes it, one value per level from
    /// `levelmin` (halving per level), instead of the one value of older
    /// releases.
    pub per_level_light_speed: bool,
    /// Whether to write `rt_file_descriptor.txt` (older RAMSES-RT did not).
    pub descriptor: bool,
    /// `unit_pf`: photons cm⁻² s⁻¹ per code unit.
    pub unit_pf: f64,
}

impl Default for RtSpec {
    fn default() -> Self {
        RtSpec {
            groups: 3,
            per_level_light_speed: false,
            descriptor: true,
            unit_pf: 1.955_635_833_571e7,
        }
    }
}

/// The analytic RAMSES-RT field at a point in box units: per photon group
/// `g` (0-based), `rt_c·Np` then the flux along x, y, z (code units):
/// a source at the box centre, its flux pointing outwards.
pub fn rt_at(x: [f64; 3], groups: usize) -> Vec<f64> {
    let r: [f64; 3] = std::array::from_fn(|d| x[d] - 0.5);
    let r2: f64 = r.iter().map(|v| v * v).sum();
    let mut out = Vec::with_capacity(4 * groups);
    for g in 0..groups {
        let s2 = 0.01 * (g + 1) as f64;
        let cn = 10.0 / (g + 1) as f64 * (-r2 / s2).exp() + 1e-6;
        out.push(cn);
        for rd in r {
            out.push(0.9 * cn * rd / (r2.sqrt() + 0.05));
        }
    }
    out
}

impl Default for SynthSpec {
    /// A small galaxy-like setup: 3 gas clumps in a 100 kpc box (code
    /// length 1 kpc), DM and stars around them.
    fn default() -> Self {
        SynthSpec {
            ncpu: 8,
            levelmin: 5,
            levelmax: 8,
            boxlen: 100.0,
            refine_density: 2.0,
            gamma: 5.0 / 3.0,
            n_dm: 20_000,
            n_star: 5_000,
            gravity: true,
            time: 0.05,
            iout: 1,
            // 1 kpc, 1.66e-24 g/cm³ (≈ 1 H atom/cm³), and the time unit
            // 1/sqrt(G·unit_d), as in RAMSES's gravity runs.
            units: [3.085677581282e21, 1.66e-24, 3.004683525921981e15],
            seed: 12345,
            rt: None,
        }
    }
}

/// A gas clump of the analytic field (box units).
struct Clump {
    centre: [f64; 3],
    sigma: f64,
    amplitude: f64,
}

const CLUMPS: [Clump; 3] = [
    Clump {
        centre: [0.5, 0.5, 0.5],
        sigma: 0.07,
        amplitude: 300.0,
    },
    Clump {
        centre: [0.31, 0.64, 0.45],
        sigma: 0.045,
        amplitude: 90.0,
    },
    Clump {
        centre: [0.7, 0.32, 0.58],
        sigma: 0.035,
        amplitude: 150.0,
    },
];

/// The analytic gas field at a point in box units: density, velocity,
/// pressure (code units).
pub fn gas_at(x: [f64; 3]) -> [f64; 5] {
    let mut rho = 1.0;
    for c in &CLUMPS {
        let r2: f64 = (0..3).map(|d| (x[d] - c.centre[d]).powi(2)).sum();
        rho += c.amplitude * (-r2 / (2.0 * c.sigma * c.sigma)).exp();
    }
    // A rotating disc-like flow about the z axis through the centre.
    let (dx, dy, dz) = (x[0] - 0.5, x[1] - 0.5, x[2] - 0.5);
    let w = 20.0 * (-(dx * dx + dy * dy + 4.0 * dz * dz) / (2.0 * 0.15 * 0.15)).exp();
    let vz = 2.0 * (std::f64::consts::TAU * x[0]).sin();
    // Denser gas is cooler (p/ρ falls as ρ^-0.3).
    let p = 10.0 * rho.powf(0.7);
    [rho, -dy * w, dx * w, vz, p]
}

/// The analytic potential and acceleration (code units per box unit) of
/// the clumps treated as softened point masses.
pub fn gravity_at(x: [f64; 3]) -> [f64; 4] {
    let mut out = [0.0; 4];
    for c in &CLUMPS {
        let m = c.amplitude * c.sigma.powi(3);
        let r: [f64; 3] = std::array::from_fn(|d| x[d] - c.centre[d]);
        let s2 = r.iter().map(|v| v * v).sum::<f64>() + c.sigma * c.sigma;
        let s = s2.sqrt();
        out[0] -= m / s;
        for d in 0..3 {
            out[1 + d] -= m * r[d] / (s2 * s);
        }
    }
    out
}

/// Cell offsets of cell `ind` (0..8) in its oct.
fn bits(ind: usize) -> [u32; 3] {
    [
        (ind & 1) as u32,
        ((ind >> 1) & 1) as u32,
        ((ind >> 2) & 1) as u32,
    ]
}

/// The octs of one level, sorted by key.
struct Level {
    /// Oct coordinates on the level's oct grid (`2^(level-1)` per axis).
    octs: Vec<[u32; 3]>,
    keys: Vec<u128>,
    /// Refinement flag of cell `ind` of oct `j`: `refined[8·j + ind]`.
    refined: Vec<bool>,
    /// Index of the first oct of each domain (`ncpu + 1` values).
    dom_start: Vec<usize>,
    /// Oct index by coordinates.
    index: HashMap<[u32; 3], usize>,
}

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
    levels: Vec<Level>,
    /// Global index of the first oct of each level (1-based numbering).
    level_base: Vec<usize>,
    total_octs: usize,
    bound_keys: Vec<u128>,
    /// Particles per CPU (index 0 is CPU 1).
    particles: Vec<Vec<Particle>>,
    /// Mass of all star particles (the `mstar_tot` header record).
    mstar_tot: f64,
}

/// A tiny deterministic generator (SplitMix64) for particle positions.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
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
        let lmax = spec.levelmax;
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
            let threshold = spec.refine_density * 4f64.powi(l as i32 - spec.levelmin as i32);
            let mut refined = vec![false; 8 * keyed.len()];
            let mut next = Vec::new();
            for (j, (_, o)) in keyed.iter().enumerate() {
                for ind in 0..8 {
                    let b = bits(ind);
                    let c: [u32; 3] = std::array::from_fn(|d| 2 * o[d] + b[d]);
                    let refine = if l >= lmax {
                        false
                    } else if l < spec.levelmin {
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
        let mut bound_keys = vec![0u128; spec.ncpu + 1];
        bound_keys[spec.ncpu] = 1u128 << bits3;
        for (d, b) in bound_keys.iter_mut().enumerate().take(spec.ncpu).skip(1) {
            *b = all[d * total_octs / spec.ncpu];
        }
        drop(all);
        let mut level_base = Vec::with_capacity(levels.len());
        let mut base = 1;
        for lev in levels.iter_mut() {
            level_base.push(base);
            base += lev.octs.len();
            lev.dom_start = (0..=spec.ncpu)
                .map(|d| lev.keys.partition_point(|&k| k < bound_keys[d]))
                .collect();
            lev.dom_start[spec.ncpu] = lev.octs.len();
        }
        let mut plan = SynthPlan {
            particles: vec![Vec::new(); spec.ncpu],
            mstar_tot: 0.0,
            spec,
            levels,
            level_base,
            total_octs,
            bound_keys,
        };
        plan.make_particles();
        Ok(plan)
    }

    /// The exact bound keys of the domains.
    pub fn bound_keys(&self) -> &[u128] {
        &self.bound_keys
    }

    /// Leaf cells per level (index 0 is level 1).
    pub fn leaf_cells_per_level(&self) -> Vec<usize> {
        self.levels
            .iter()
            .map(|l| l.refined.iter().filter(|&&r| !r).count())
            .collect()
    }

    /// Octs in the whole mesh.
    pub fn total_octs(&self) -> usize {
        self.total_octs
    }

    /// Particles in the whole output.
    pub fn total_particles(&self) -> usize {
        self.particles.iter().map(Vec::len).sum()
    }

    /// The level of the leaf cell holding a point (box units), and that
    /// leaf's oct coordinates.
    fn leaf_of(&self, x: [f64; 3]) -> (u32, [u32; 3]) {
        let mut l = 1u32;
        loop {
            let n = (1u64 << l) as f64;
            let c: [u32; 3] = x.map(|v| ((v * n).floor().clamp(0.0, n - 1.0)) as u32);
            let o = c.map(|v| v >> 1);
            let lev = &self.levels[l as usize - 1];
            let key = oct_key(o[0] as u64, o[1] as u64, o[2] as u64, l, self.spec.levelmax);
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
            let (level, o) = self.leaf_of(pos);
            let key = oct_key(o[0] as u64, o[1] as u64, o[2] as u64, level, s.levelmax);
            let dom = domain_of(&self.bound_keys, key);
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

    /// The ghost octs CPU file `icpu` holds, per level (index 0 is level
    /// 1), as sorted oct indices: like a RAMSES rank's virtual octs, the
    /// octs of other domains that touch one of its own octs (the 26
    /// neighbours on the same level, periodic box). Ghost data thus grows
    /// with a domain's surface, not with the whole level.
    fn halos(&self, icpu: usize) -> Vec<Vec<usize>> {
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
    /// domain `idom`'s octs among `halos` (from [`SynthPlan::halos`]).
    fn block(&self, icpu: usize, idom: usize, l: usize, halos: &[Vec<usize>]) -> Vec<usize> {
        let lev = &self.levels[l - 1];
        let (a, b) = (lev.dom_start[idom - 1], lev.dom_start[idom]);
        if idom == icpu {
            return (a..b).collect();
        }
        let h = &halos[l - 1];
        h[h.partition_point(|&k| k < a)..h.partition_point(|&k| k < b)].to_vec()
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
        let keys: Vec<f64> = self.bound_keys.iter().map(|&k| k as f64).collect();
        let info = info_text(&InfoText {
            ncpu: s.ncpu,
            ndim: 3,
            levelmin: s.levelmin,
            levelmax: s.levelmax,
            ngridmax: self.total_octs,
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
            self.write_part(&name("part"), icpu)?;
        }
        Ok(())
    }

    fn write_amr(&self, path: &Path, icpu: usize) -> Result<()> {
        let s = &self.spec;
        let (ncpu, nl) = (s.ncpu, s.levelmax as usize);
        let mut w = RecWriter::create(path)?;
        w.i32s(&[ncpu as i32])?;
        w.i32s(&[3])?;
        w.i32s(&[1, 1, 1])?;
        w.i32s(&[nl as i32])?;
        w.i32s(&[self.total_octs as i32])?;
        w.i32s(&[0])?; // nboundary
        let own: usize = self
            .levels
            .iter()
            .map(|l| l.dom_start[icpu] - l.dom_start[icpu - 1])
            .sum();
        w.i32s(&[own as i32])?;
        w.f64s(&[s.boxlen])?;
        w.i32s(&[1, 1, 1])?; // noutput, iout, ifout
        w.f64s(&[s.time])?; // tout
        w.f64s(&[1.0])?; // aout
        w.f64s(&[s.time])?;
        w.f64s(&vec![1e-3; nl])?; // dtold
        w.f64s(&vec![1e-3; nl])?; // dtnew
        w.i32s(&[10, 10])?;
        w.f64s(&[0.0, 0.0, 0.0])?;
        w.f64s(&[1.0, 0.0, 0.0, 0.045, 1.0, 1.0, s.boxlen])?;
        w.f64s(&[1.0, 0.0, 1.0, 0.0, 0.0])?;
        w.f64s(&[0.0])?; // mass_sph
                         // headl, taill, numbl: (ncpu, nlevelmax), domain fastest.
        let mut numbl = vec![0i32; ncpu * nl];
        let mut headl = vec![0i32; ncpu * nl];
        let mut taill = vec![0i32; ncpu * nl];
        let halos = self.halos(icpu);
        for l in 1..=nl {
            for d in 1..=ncpu {
                let r = self.block(icpu, d, l, &halos);
                let k = (l - 1) * ncpu + (d - 1);
                numbl[k] = r.len() as i32;
                if let (Some(&first), Some(&last)) = (r.first(), r.last()) {
                    headl[k] = (self.level_base[l - 1] + first) as i32;
                    taill[k] = (self.level_base[l - 1] + last) as i32;
                }
            }
        }
        w.i32s(&headl)?;
        w.i32s(&taill)?;
        w.i32s(&numbl)?;
        let mut numbtot = vec![0i32; 10 * nl];
        for l in 0..nl {
            numbtot[10 * l] = self.levels[l].octs.len() as i32;
        }
        w.i32s(&numbtot)?;
        w.i32s(&[0, 0, 0, 0, 0])?; // headf, tailf, numbf, used_mem, used_mem_tot
        let mut ordering = [b' '; 128];
        ordering[..7].copy_from_slice(b"hilbert");
        w.bytes(&ordering)?;
        let keys: Vec<f64> = self.bound_keys.iter().map(|&k| k as f64).collect();
        w.f64s(&keys)?;
        w.i32s(&[1])?; // coarse son: the level-1 oct
        w.i32s(&[0])?; // coarse flag1
                       // The root cell's owner: the key of the level-1 oct's centre.
        let root = oct_key(0, 0, 0, 1, s.levelmax);
        w.i32s(&[domain_of(&self.bound_keys, root) as i32])?;
        let ngridmax = self.total_octs;
        let mut ibuf: Vec<i32> = Vec::new();
        let mut fbuf: Vec<f64> = Vec::new();
        for l in 1..=nl {
            let lev = &self.levels[l - 1];
            let base = self.level_base[l - 1];
            for d in 1..=ncpu {
                let r = self.block(icpu, d, l, &halos);
                if r.is_empty() {
                    continue;
                }
                let idx = |j: usize| (base + j) as i32;
                ibuf.clear();
                ibuf.extend(r.iter().map(|&j| idx(j)));
                w.i32s(&ibuf)?; // ind_grid
                ibuf.clear();
                ibuf.extend((0..r.len()).map(|i| r.get(i + 1).map_or(0, |&j| idx(j))));
                w.i32s(&ibuf)?; // next
                ibuf.clear();
                ibuf.extend((0..r.len()).map(|i| if i > 0 { idx(r[i - 1]) } else { 0 }));
                w.i32s(&ibuf)?; // prev
                let dx = 0.5f64.powi(l as i32);
                for dim in 0..3 {
                    fbuf.clear();
                    fbuf.extend(r.iter().map(|&j| (2 * lev.octs[j][dim] + 1) as f64 * dx));
                    w.f64s(&fbuf)?;
                }
                // father: cell index ncoarse + (ind-1)·ngridmax + igrid.
                ibuf.clear();
                for &j in &r {
                    ibuf.push(if l == 1 {
                        1
                    } else {
                        let o = lev.octs[j];
                        let fo = o.map(|v| v >> 1);
                        let up = &self.levels[l - 2];
                        let key = oct_key(
                            fo[0] as u64,
                            fo[1] as u64,
                            fo[2] as u64,
                            l as u32 - 1,
                            s.levelmax,
                        );
                        let fj = up.keys.binary_search(&key).expect("father oct");
                        let ind = (o[0] & 1) | (o[1] & 1) << 1 | (o[2] & 1) << 2;
                        (1 + ind as usize * ngridmax + self.level_base[l - 2] + fj) as i32
                    });
                }
                w.i32s(&ibuf)?;
                ibuf.clear();
                ibuf.resize(r.len(), 0);
                for _ in 0..6 {
                    w.i32s(&ibuf)?; // nbor (not needed by readers)
                }
                for ind in 0..8 {
                    ibuf.clear();
                    for &j in &r {
                        ibuf.push(if lev.refined[8 * j + ind] {
                            let b = bits(ind);
                            let c: [u32; 3] = std::array::from_fn(|k| 2 * lev.octs[j][k] + b[k]);
                            let down = &self.levels[l];
                            let key = oct_key(
                                c[0] as u64,
                                c[1] as u64,
                                c[2] as u64,
                                l as u32 + 1,
                                s.levelmax,
                            );
                            let cj = down.keys.binary_search(&key).expect("child oct");
                            (self.level_base[l] + cj) as i32
                        } else {
                            0
                        });
                    }
                    w.i32s(&ibuf)?; // son
                }
                for ind in 0..8 {
                    ibuf.clear();
                    let b = bits(ind);
                    for &j in &r {
                        // The cell centre decides its owner: on the
                        // 2^(levelmax+1) grid it sits at (2c + 1)·2^(levelmax-l).
                        let c: [u64; 3] = std::array::from_fn(|k| {
                            (2 * (2 * lev.octs[j][k] + b[k]) as u64 + 1)
                                << (s.levelmax as usize - l)
                        });
                        let key = crate::hilbert::key3d(c[0], c[1], c[2], s.levelmax + 1);
                        ibuf.push(domain_of(&self.bound_keys, key) as i32);
                    }
                    w.i32s(&ibuf)?; // cpu_map
                }
                ibuf.clear();
                ibuf.resize(r.len(), 0);
                for _ in 0..8 {
                    w.i32s(&ibuf)?; // flag1
                }
            }
        }
        w.finish()
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
        w.i32s(&[ncpu as i32])?;
        w.i32s(&[nvar as i32])?;
        if !grav {
            w.i32s(&[3])?;
        }
        w.i32s(&[nl as i32])?;
        w.i32s(&[0])?;
        if !grav {
            w.f64s(&[s.gamma])?;
        }
        let mut vals: Vec<Vec<f64>> = vec![Vec::new(); nvar];
        let halos = self.halos(icpu);
        for l in 1..=nl {
            let lev = &self.levels[l - 1];
            let dx = 0.5f64.powi(l as i32);
            for d in 1..=ncpu {
                let r = self.block(icpu, d, l, &halos);
                w.i32s(&[l as i32])?;
                w.i32s(&[r.len() as i32])?;
                if r.is_empty() {
                    continue;
                }
                for ind in 0..8 {
                    let b = bits(ind);
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

    fn write_part(&self, path: &Path, icpu: usize) -> Result<()> {
        let s = &self.spec;
        let ps = &self.particles[icpu - 1];
        let mut w = RecWriter::create(path)?;
        w.i32s(&[s.ncpu as i32])?;
        w.i32s(&[3])?;
        w.i32s(&[ps.len() as i32])?;
        w.i32s(&[1, 2, 3, 4])?; // localseed
        w.i32s(&[s.n_star as i32])?;
        w.f64s(&[self.mstar_tot])?;
        w.f64s(&[0.0])?;
        w.i32s(&[0])?; // nsink
        for d in 0..3 {
            w.f64s(&ps.iter().map(|p| p.pos[d]).collect::<Vec<_>>())?;
        }
        for d in 0..3 {
            w.f64s(&ps.iter().map(|p| p.vel[d]).collect::<Vec<_>>())?;
        }
        w.f64s(&ps.iter().map(|p| p.mass).collect::<Vec<_>>())?;
        w.i32s(&ps.iter().map(|p| p.id).collect::<Vec<_>>())?;
        w.i32s(&ps.iter().map(|p| p.level).collect::<Vec<_>>())?;
        w.bytes(&ps.iter().map(|p| p.family as u8).collect::<Vec<_>>())?;
        w.bytes(&vec![0u8; ps.len()])?; // tag
        w.f64s(&ps.iter().map(|p| p.birth).collect::<Vec<_>>())?;
        w.finish()
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

/// RAMSES's rt variable names for `groups` photon groups in 3D.
fn rt_names(groups: usize) -> Vec<String> {
    (1..=groups)
        .flat_map(|g| {
            std::iter::once(format!("photon_flux_{g:02}"))
                .chain(["x", "y", "z"].map(|a| format!("photon_flux_{g:02}_{a}")))
        })
        .collect()
}

/// The text of an `info_rt_NNNNN.txt` as RAMSES-RT writes it (3 ion
/// species, the groups' energies and cross-sections made up), with one
/// `rt_c_frac` value, or one per level for `levels` levels (ramses-2025.05).
pub fn info_rt_text(rt: &RtSpec, levels: usize) -> String {
    let e = fortran_e;
    let int = |k: &str, v: usize| {
        format!(
            "{k:<13}= {v:>11}
"
        )
    };
    let real = |k: &str, v: f64| {
        format!(
            "{k:<13}= {}
",
            e(v)
        )
    };
    let mut t = String::new();
    t += &int("nRTvar", 4 * rt.groups);
    t += &int("nIons", 3);
    t += &int("nGroups", rt.groups);
    t += &int("iIons", 6);
    t += " \n";
    t += &real("X_fraction", 0.76);
    t += &real("Y_fraction", 0.24);
    t += " \n";
    t += &real("unit_np", 1.0);
    t += &real("unit_pf", rt.unit_pf);
    let c: Vec<f64> = if rt.per_level_light_speed {
        (0..levels).map(|l| 0.01 * 0.5f64.powi(l as i32)).collect()
    } else {
        vec![0.01]
    };
    t += &format!(
        "{:<13}= {}\n",
        "rt_c_frac",
        c.iter().map(|&v| e(v)).collect::<String>()
    );
    t += " \n";
    t += &real("n_star", 0.1);
    t += &real("T2_star", 0.0);
    t += &real("g_star", 1.6);
    t += " \n";
    t += " Photon group properties------------------------------ \n";
    let row = |k: &str, v: String| format!("  {k:<15}= {v}\n");
    let f3 = |x: f64| format!("{x:>12.3}");
    t += &row(
        "groupL0  [eV]",
        (0..rt.groups).map(|g| f3(13.6 * (g + 1) as f64)).collect(),
    );
    t += &row(
        "groupL1  [eV]",
        (0..rt.groups)
            .map(|g| {
                f3(if g + 1 == rt.groups {
                    0.0
                } else {
                    13.6 * (g + 2) as f64
                })
            })
            .collect(),
    );
    t += &row(
        "spec2group",
        (0..rt.groups).map(|g| format!("{:>12}", g + 1)).collect(),
    );
    let sci = |x: f64| {
        // Fortran's 1pe12.3: d.dddE±XX.
        let s = format!("{x:.3e}");
        let (m, ex) = s.split_once('e').expect("exponent");
        let ex: i32 = ex.parse().expect("integer exponent");
        format!(
            "{:>12}",
            format!("{m}E{}{:02}", if ex < 0 { '-' } else { '+' }, ex.abs())
        )
    };
    for g in 0..rt.groups {
        t += &format!("  ---Group{:>2}\n", g + 1);
        t += &row("egy      [eV]", sci(18.85 * (g + 1) as f64));
        t += &row(
            "csn    [cm^2]",
            (0..3).map(|i| sci(3e-18 / (1 + g + i) as f64)).collect(),
        );
        t += &row(
            "cse    [cm^2]",
            (0..3).map(|i| sci(2.8e-18 / (1 + g + i) as f64)).collect(),
        );
    }
    t += " -------------------------------------------------------\n";
    t
}

/// Fields of the particle files the writer produces, in record order.
const PART_FIELDS: [(&str, char); 12] = [
    ("position_x", 'd'),
    ("position_y", 'd'),
    ("position_z", 'd'),
    ("velocity_x", 'd'),
    ("velocity_y", 'd'),
    ("velocity_z", 'd'),
    ("mass", 'd'),
    ("identity", 'i'),
    ("levelp", 'i'),
    ("family", 'b'),
    ("tag", 'b'),
    ("birth_time", 'd'),
];

/// The fields of an `info_NNNNN.txt` a synthetic writer fills in; the
/// rest (cosmology, step count) are fixed.
pub(super) struct InfoText<'a> {
    pub ncpu: usize,
    pub ndim: usize,
    pub levelmin: u32,
    pub levelmax: u32,
    pub ngridmax: usize,
    pub boxlen: f64,
    pub time: f64,
    /// unit_l, unit_d, unit_t.
    pub units: [f64; 3],
    /// `hilbert`, `planar`, …
    pub ordering: &'a str,
    /// The `ncpu + 1` domain bounds of the ordering table.
    pub keys: &'a [f64],
}

/// The text of an info file, laid out as RAMSES writes it.
pub(super) fn info_text(t: &InfoText) -> String {
    let e = fortran_e;
    let int = |k: &str, v: u64| format!("{k:<12}={v:>11}\n");
    let real = |k: &str, v: f64| format!("{k:<12}={}\n", e(v));
    let mut info = String::new();
    info += &int("ncpu", t.ncpu as u64);
    info += &int("ndim", t.ndim as u64);
    info += &int("levelmin", t.levelmin as u64);
    info += &int("levelmax", t.levelmax as u64);
    info += &int("ngridmax", t.ngridmax as u64);
    info += &int("nstep_coarse", 10);
    info += "\n";
    info += &real("boxlen", t.boxlen);
    info += &real("time", t.time);
    info += &real("aexp", 1.0);
    info += &real("H0", 1.0);
    info += &real("omega_m", 1.0);
    info += &real("omega_l", 0.0);
    info += &real("omega_k", 0.0);
    info += &real("omega_b", 0.045);
    info += &real("unit_l", t.units[0]);
    info += &real("unit_d", t.units[1]);
    info += &real("unit_t", t.units[2]);
    info += "\n";
    info += &format!("ordering type={}\n", t.ordering);
    info += "   DOMAIN   ind_min                 ind_max\n";
    for d in 0..t.ncpu {
        info += &format!("{:>8} {} {}\n", d + 1, e(t.keys[d]), e(t.keys[d + 1]));
    }
    info
}

/// The text of a `*_file_descriptor.txt` (version 1) for `(name, type)` pairs.
pub(super) fn descriptor_text<S: AsRef<str>>(fields: impl Iterator<Item = (S, char)>) -> String {
    let mut t = String::from("# version:  1\n# ivar, variable_name, variable_type\n");
    for (i, (name, kind)) in fields.enumerate() {
        t += &format!("{:>2}, {}, {kind}\n", i + 1, name.as_ref());
    }
    t
}

/// `x` as Fortran's `E23.15` prints it: ` 0.ddddddddddddddddE+XX`.
pub fn fortran_e(x: f64) -> String {
    if x == 0.0 {
        return format!("{:>23}", "0.000000000000000E+00");
    }
    // Rust's {:e} gives d.ddd…e±X; Fortran's mantissa is 0.ddd… with the
    // exponent one higher.
    let s = format!("{:.14e}", x.abs());
    let (m, e) = s.split_once('e').expect("exponent");
    let exp: i32 = e.parse().expect("integer exponent");
    let digits: String = m.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    let e2 = exp + 1;
    format!(
        "{:>23}",
        format!(
            "{sign}0.{digits}E{}{:02}",
            if e2 < 0 { '-' } else { '+' },
            e2.abs()
        )
    )
}

/// Little-endian Fortran records into a buffered temporary file, renamed to
/// the final name by [`RecWriter::finish`] (dropped unfinished: removed).
struct RecWriter {
    out: std::io::BufWriter<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    buf: Vec<u8>,
    done: bool,
}

impl RecWriter {
    fn create(path: &Path) -> Result<RecWriter> {
        let tmp = tmp_path(path);
        let f = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        Ok(RecWriter {
            out: std::io::BufWriter::with_capacity(1 << 20, f),
            tmp,
            path: path.to_path_buf(),
            buf: Vec::new(),
            done: false,
        })
    }

    fn bytes(&mut self, payload: &[u8]) -> Result<()> {
        let n = i32::try_from(payload.len()).map_err(|_| Error::Unsupported {
            path: self.path.clone(),
            problem: format!("record of {} bytes exceeds 2 GiB", payload.len()),
        })?;
        let m = n.to_le_bytes();
        let r = (|| {
            self.out.write_all(&m)?;
            self.out.write_all(payload)?;
            self.out.write_all(&m)
        })();
        r.map_err(|e| io_err(&self.tmp, e))
    }

    /// One record of values given as their little-endian bytes.
    fn values<const N: usize>(&mut self, v: impl Iterator<Item = [u8; N]>) -> Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend(v.flatten());
        let r = self.bytes(&buf);
        self.buf = buf;
        r
    }

    fn i32s(&mut self, v: &[i32]) -> Result<()> {
        self.values(v.iter().map(|x| x.to_le_bytes()))
    }

    fn f64s(&mut self, v: &[f64]) -> Result<()> {
        self.values(v.iter().map(|x| x.to_le_bytes()))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| io_err(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| io_err(&self.path, e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for RecWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fortran_e_matches_ramses_text() {
        assert_eq!(fortran_e(100.0), "  0.100000000000000E+03");
        assert_eq!(fortran_e(0.0402078095903378), "  0.402078095903378E-01");
        assert_eq!(fortran_e(0.0), "  0.000000000000000E+00");
        assert_eq!(fortran_e(-2.5e-30), " -0.250000000000000E-29");
    }
}
