//! What a synthetic 3D output holds: [`SynthSpec`], and the RAMSES-RT
//! part, [`RtSpec`].

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

/// The RAMSES-RT part of a synthetic output: `groups` photon groups of
/// [`rt_at`](super::rt_at)'s analytic field (`photon_flux_GG`, `photon_flux_GG_x|y|z`).
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
