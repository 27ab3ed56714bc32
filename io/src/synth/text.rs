//! The text files of a synthetic output, laid out as RAMSES writes them:
//! `info_NNNNN.txt`, `info_rt_NNNNN.txt`, the `*_file_descriptor.txt`
//! files, and numbers in Fortran's `E23.15`.

use super::spec::RtSpec;

/// RAMSES's rt variable names for `groups` photon groups in 3D.
pub(super) fn rt_names(groups: usize) -> Vec<String> {
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
pub(super) const PART_FIELDS: [(&str, char); 12] = [
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
