//! The analytic content of the synthetic outputs: the gas of three
//! clumps, their gravity, a RAMSES-RT radiation field, and the
//! deterministic random numbers that place the particles.

/// A gas clump of the analytic field (box units).
pub(super) struct Clump {
    pub(super) centre: [f64; 3],
    pub(super) sigma: f64,
    pub(super) amplitude: f64,
}

pub(super) const CLUMPS: [Clump; 3] = [
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

/// A tiny deterministic generator (SplitMix64) for particle positions.
pub(super) struct SplitMix(pub(super) u64);

impl SplitMix {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    pub(super) fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub(super) fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}
