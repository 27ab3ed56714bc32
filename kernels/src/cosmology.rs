//! Cosmic time in cosmological runs: Friedmann tables for RAMSES's
//! super-conformal time, the age and lookback time of an output, and the
//! ages of stars from their birth times.
/// Friedmann tables of a cosmology: cosmic time `t` and RAMSES's
/// super-conformal time `τ` (dτ = dt / a²) against the expansion factor,
/// both in units of 1/H0 and both 0 today (a = 1), as RAMSES's own
/// `friedman` routine defines them. With E(a) = H/H0 =
/// √(Ω_m a⁻³ + Ω_k a⁻² + Ω_Λ): dt = d ln a / E and dτ = d ln a / (a² E).
/// Stars of cosmological runs store τ at birth; the tables turn it into a
/// cosmic time. Integrated with Simpson's rule on a grid uniform in ln a
/// from a = 10⁻⁶ and interpolated with cubic Hermite polynomials using the
/// exact slopes (relative error below 10⁻⁹ on Einstein–de Sitter, where
/// the integrals are known in closed form; 10⁻⁶ is tested on the age of a
/// flat ΛCDM universe).
#[derive(Clone, Debug)]
pub struct Friedmann {
    /// Ω_m, Ω_Λ, Ω_k.
    omega: [f64; 3],
    ln_a: Vec<f64>,
    t: Vec<f64>,
    tau: Vec<f64>,
}

impl Friedmann {
    /// Tables for Ω_m, Ω_Λ, Ω_k.
    pub fn new(omega_m: f64, omega_l: f64, omega_k: f64) -> Self {
        const N: usize = 20_000; // intervals, even
        let (x0, x1) = (1e-6f64.ln(), 0.0);
        let h = (x1 - x0) / N as f64;
        let omega = [omega_m, omega_l, omega_k];
        let dt = |x: f64| 1.0 / hubble_e(omega, x);
        let dtau = |x: f64| 1.0 / ((2.0 * x).exp() * hubble_e(omega, x));
        // Integrate from a = 1 downwards, two intervals (one Simpson
        // panel) at a time, with the midpoints from a panel of half width.
        let ln_a: Vec<f64> = (0..=N).map(|k| x0 + k as f64 * h).collect();
        let mut t = vec![0.0; N + 1];
        let mut tau = vec![0.0; N + 1];
        for k in (0..N).rev() {
            let (a, b) = (ln_a[k], ln_a[k + 1]);
            let m = 0.5 * (a + b);
            let simpson = |f: &dyn Fn(f64) -> f64| (b - a) / 6.0 * (f(a) + 4.0 * f(m) + f(b));
            t[k] = t[k + 1] - simpson(&dt);
            tau[k] = tau[k + 1] - simpson(&dtau);
        }
        Friedmann {
            omega,
            ln_a,
            t,
            tau,
        }
    }

    /// Cubic Hermite interpolation of `ys` at `x` on the increasing
    /// `xs`, with the exact slopes `dy/dx` at the grid points (clamped to
    /// the table).
    fn interp(xs: &[f64], ys: &[f64], slope: impl Fn(usize) -> f64, x: f64) -> f64 {
        let k = xs.partition_point(|&v| v < x).clamp(1, xs.len() - 1);
        let h = xs[k] - xs[k - 1];
        let u = ((x - xs[k - 1]) / h).clamp(0.0, 1.0);
        let (u2, u3) = (u * u, u * u * u);
        (2.0 * u3 - 3.0 * u2 + 1.0) * ys[k - 1]
            + (u3 - 2.0 * u2 + u) * h * slope(k - 1)
            + (-2.0 * u3 + 3.0 * u2) * ys[k]
            + (u3 - u2) * h * slope(k)
    }

    /// E(a) = H/H0 at grid point `k`.
    fn e(&self, k: usize) -> f64 {
        hubble_e(self.omega, self.ln_a[k])
    }

    /// a² at grid point `k` (dt/dτ).
    fn a2(&self, k: usize) -> f64 {
        (2.0 * self.ln_a[k]).exp()
    }

    /// Cosmic time (1/H0, 0 today) at expansion factor `a`.
    pub fn time_of_a(&self, a: f64) -> f64 {
        Friedmann::interp(&self.ln_a, &self.t, |k| 1.0 / self.e(k), a.ln())
    }

    /// Cosmic time (1/H0, 0 today) at super-conformal time `tau`.
    pub fn time_of_tau(&self, tau: f64) -> f64 {
        Friedmann::interp(&self.tau, &self.t, |k| self.a2(k), tau)
    }

    /// The age of the universe (1/H0) at expansion factor `a`: the table's
    /// cosmic time plus the time before its first point (a = 10⁻⁶, where
    /// matter dominates: t = ⅔ a^{3/2} / √Ω_m). `None` without matter
    /// (the age is then not finite, or the model has no big bang).
    pub fn age_of_a(&self, a: f64) -> Option<f64> {
        let om = self.omega[0];
        // The tables run from a = 10⁻⁶ to 1.
        if om <= 0.0 || !(a > 0.0 && a <= 1.0) {
            return None;
        }
        let a0 = self.ln_a[0].exp();
        if a <= a0 {
            return Some(2.0 / 3.0 * a.powf(1.5) / om.sqrt());
        }
        Some(self.time_of_a(a) - self.t[0] + 2.0 / 3.0 * a0.powf(1.5) / om.sqrt())
    }

    /// Expansion factor at super-conformal time `tau`.
    pub fn a_of_tau(&self, tau: f64) -> f64 {
        Friedmann::interp(&self.tau, &self.ln_a, |k| self.a2(k) * self.e(k), tau).exp()
    }
}

/// E(a) = H/H0 at ln a = `x` for `omega` = [Ω_m, Ω_Λ, Ω_k].
fn hubble_e(omega: [f64; 3], x: f64) -> f64 {
    let a = x.exp();
    (omega[0] / (a * a * a) + omega[2] / (a * a) + omega[1]).sqrt()
}

/// The times of an output: its age (cosmic time since the big bang) and,
/// for cosmological runs, the expansion factor, redshift and lookback time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosmicTime {
    /// Expansion factor (1 for non-cosmological runs).
    pub aexp: f64,
    /// Redshift 1/a − 1.
    pub redshift: f64,
    /// Seconds: the age of the universe at `aexp` for cosmological runs
    /// (from the Friedmann equation with the info file's Ω_m, Ω_Λ, Ω_k and
    /// H0), else the code time × unit_t. `None` when no age is defined.
    pub age_s: Option<f64>,
    /// Seconds between `aexp` and a = 1 (cosmological runs only).
    pub lookback_s: Option<f64>,
}

/// The [`CosmicTime`] of an output from its info file.
pub fn cosmic_time(info: &amrkit_io::Info) -> CosmicTime {
    if !info.is_cosmological() {
        return CosmicTime {
            aexp: info.aexp,
            redshift: 1.0 / info.aexp - 1.0,
            age_s: Some(info.time * info.unit_t),
            lookback_s: None,
        };
    }
    let f = Friedmann::new(info.omega_m, info.omega_l, info.omega_k);
    let th = hubble_time_s(info.h0);
    CosmicTime {
        aexp: info.aexp,
        redshift: 1.0 / info.aexp - 1.0,
        age_s: f.age_of_a(info.aexp).map(|t| t * th),
        // Cosmic time is 0 at a = 1 in the tables, which end there.
        lookback_s: (info.aexp > 0.0 && info.aexp <= 1.0).then(|| -f.time_of_a(info.aexp) * th),
    }
}

/// Seconds in 1/H0 for H0 in km/s/Mpc.
pub fn hubble_time_s(h0: f64) -> f64 {
    1e6 * crate::units::PC / 1e5 / h0
}

/// Ages in seconds, at the output's time, of particles born at `birth`
/// (their `birth_time` column). Non-cosmological runs: (time − birth) ×
/// unit_t. Cosmological runs store super-conformal birth times τ; each is
/// turned into a cosmic time with [`Friedmann`] tables and subtracted
/// from the cosmic time at the output's expansion factor. Birth times of
/// 0 in cosmological runs mark particles that are not stars (dark
/// matter): their age is NaN.
pub fn particle_ages(birth: &[f64], info: &amrkit_io::Info) -> Vec<f64> {
    if !info.is_cosmological() {
        return birth
            .iter()
            .map(|b| (info.time - b) * info.unit_t)
            .collect();
    }
    let f = Friedmann::new(info.omega_m, info.omega_l, info.omega_k);
    let now = f.time_of_a(info.aexp);
    let th = hubble_time_s(info.h0);
    birth
        .iter()
        .map(|&b| {
            if b == 0.0 {
                f64::NAN
            } else {
                (now - f.time_of_tau(b)) * th
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An info file with expansion factor `a`, H0, Ω_m, Ω_Λ, time and
    /// unit_t (a = H0 = 1: not cosmological).
    fn info(a: f64, h0: f64, om: f64, ol: f64, time: f64, unit_t: f64) -> amrkit_io::Info {
        let text = format!(
            "ncpu = 1\nndim = 3\nlevelmin = 3\nlevelmax = 5\nngridmax = 10\nnstep_coarse = 1\n\
             boxlen = 1.0\ntime = {time}\naexp = {a}\nH0 = {h0}\nomega_m = {om}\nomega_l = {ol}\n\
             omega_k = 0.0\nomega_b = 0.04\nunit_l = 1.0\nunit_d = 1.0\nunit_t = {unit_t}\n\
             ordering type=hilbert\n DOMAIN ind_min ind_max\n 1 0.0 1.0\n"
        );
        amrkit_io::Info::parse(std::path::Path::new("info_00001.txt"), &text).unwrap()
    }

    #[test]
    fn non_cosmological_ages_are_time_since_birth_in_seconds() {
        let ages = particle_ages(&[0.0, 0.25], &info(1.0, 1.0, 1.0, 0.0, 1.0, 2.0));
        assert_eq!(ages, vec![2.0, 1.5]); // unit_t = 2 s
    }

    #[test]
    fn friedmann_tables_match_einstein_de_sitter() {
        // Ω_m = 1: t(a) = −(2/3)(1 − a^1.5), τ(a) = 2 − 2/√a.
        let f = Friedmann::new(1.0, 0.0, 0.0);
        for a in [1e-3f64, 0.01, 0.1, 0.5, 0.9, 1.0] {
            let t = -(2.0 / 3.0) * (1.0 - a.powf(1.5));
            let tau = 2.0 - 2.0 / a.sqrt();
            assert!(
                (f.time_of_a(a) - t).abs() <= 1e-9 * t.abs().max(1e-3),
                "t({a})"
            );
            assert!(
                (f.time_of_tau(tau) - t).abs() <= 1e-9 * t.abs().max(1e-3),
                "t(tau({a}))"
            );
            assert!((f.a_of_tau(tau) - a).abs() <= 1e-9 * a, "a(tau({a}))");
        }
        // Stars born at a = 0.25 seen at a = 0.5, H0 = 70: age (2/3)(a^1.5 − a_b^1.5)/H0.
        let i = info(0.5, 70.0, 1.0, 0.0, -1.0, 1.0);
        let ages = particle_ages(&[2.0 - 2.0 / 0.25f64.sqrt(), 0.0], &i);
        let want = (2.0 / 3.0) * (0.5f64.powf(1.5) - 0.25f64.powf(1.5)) * hubble_time_s(70.0);
        assert!(
            (ages[0] - want).abs() <= 1e-6 * want,
            "{} vs {want}",
            ages[0]
        );
        assert!(ages[1].is_nan(), "dark matter has no age");
    }

    #[test]
    fn flat_lambda_cdm_age_of_the_universe() {
        // Closed form: t0 = 2 / (3 H0 √Ω_Λ) · asinh(√(Ω_Λ/Ω_m)); 13.47 Gyr
        // for H0 = 70, Ω_m = 0.3.
        let (om, ol) = (0.3, 0.7);
        let f = Friedmann::new(om, ol, 0.0);
        let age = (f.time_of_a(1.0) - f.time_of_a(1e-6)) * hubble_time_s(70.0);
        let want = 2.0 / (3.0 * f64::sqrt(ol)) * (ol / om).sqrt().asinh() * hubble_time_s(70.0);
        assert!((age - want).abs() <= 1e-6 * want, "{age} vs {want}");
        let gyr = age / (1e9 * crate::units::YR);
        assert!((gyr - 13.47).abs() < 0.01, "{gyr} Gyr");
    }

    #[test]
    fn ages_at_any_expansion_factor_match_closed_forms() {
        // Flat ΛCDM: t(a) = 2 / (3 √Ω_Λ) · asinh(√(Ω_Λ/Ω_m) a^{3/2}) (1/H0).
        let (om, ol) = (0.3, 0.7);
        let f = Friedmann::new(om, ol, 0.0);
        let eds = Friedmann::new(1.0, 0.0, 0.0);
        for a in [1e-8f64, 1e-6, 1e-4, 0.01, 0.2066, 0.5, 1.0] {
            let want = 2.0 / (3.0 * f64::sqrt(ol)) * ((ol / om).sqrt() * a.powf(1.5)).asinh();
            let got = f.age_of_a(a).unwrap();
            assert!((got - want).abs() <= 1e-8 * want, "a {a}: {got} vs {want}");
            let want = 2.0 / 3.0 * a.powf(1.5);
            let got = eds.age_of_a(a).unwrap();
            assert!(
                (got - want).abs() <= 1e-8 * want,
                "EdS a {a}: {got} vs {want}"
            );
        }
        assert_eq!(f.age_of_a(1.5), None, "beyond the tables");
        assert_eq!(Friedmann::new(0.0, 1.0, 0.0).age_of_a(0.5), None);
    }

    #[test]
    fn cosmic_time_of_an_output() {
        // Non-cosmological: the code time in seconds, a = 1, z = 0.
        let c = cosmic_time(&info(1.0, 1.0, 1.0, 0.0, 3.0, 2.0));
        assert_eq!((c.aexp, c.redshift, c.age_s), (1.0, 0.0, Some(6.0)));
        assert_eq!(c.lookback_s, None);
        // EdS at a = 0.25, H0 = 70: age (2/3)·a^{3/2}/H0, z = 3, and age +
        // lookback = the age today.
        let c = cosmic_time(&info(0.25, 70.0, 1.0, 0.0, -2.0, 1.0));
        let th = hubble_time_s(70.0);
        assert!((c.redshift - 3.0).abs() < 1e-15);
        let age = c.age_s.unwrap();
        assert!((age - 2.0 / 3.0 * 0.125 * th).abs() <= 1e-8 * age);
        let total = age + c.lookback_s.unwrap();
        assert!((total - 2.0 / 3.0 * th).abs() <= 1e-8 * total);
    }
}
