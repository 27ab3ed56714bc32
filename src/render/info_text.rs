//! `amrkit info` as text (also printed by the demo), from the typed
//! [`InfoReport`].
//!
//! The figures print as they did when this text was read back from the
//! JSON: a value JSON cannot hold (NaN, ±∞) prints as `NaN`, or as `null`
//! where the JSON value itself was printed; [`shown`] and [`raw`] keep that.

use amrkit_io::FileLayout;
use amrkit_kernels::report::{InfoReport, RtReport};
use serde_json::Value;

/// `x` as the JSON read back gave it: non-finite values became NaN.
fn shown(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        f64::NAN
    }
}

/// [`shown`] for an optional figure (absent: NaN).
fn shown_opt(x: Option<f64>) -> f64 {
    x.map_or(f64::NAN, shown)
}

/// `x` printed as its JSON value (`70.0`, `null` for non-finite).
fn raw(x: f64) -> Value {
    Value::from(x)
}

/// Prints `info` as text.
pub fn print_info(r: &InfoReport) {
    println!("output      {}", r.output);
    if r.cosmological {
        print_cosmic_time(r);
    } else if r.unitless {
        println!(
            "time        {:.6e} code (the run has no physical units: unit_l = unit_d = unit_t = 1)",
            shown(r.time_code)
        );
        println!("box         {} code", raw(r.boxlen_code));
    } else {
        println!(
            "time        {:.6e} code = {:.4} Myr",
            shown(r.time_code),
            shown_opt(r.time_myr)
        );
        println!(
            "box         {} code = {:.4} kpc",
            raw(r.boxlen_code),
            shown(r.boxlen_kpc)
        );
    }
    println!(
        "units       unit_l {:.6e} cm   unit_d {:.6e} g/cm^3   unit_t {:.6e} s{}",
        r.units[0],
        r.units[1],
        r.units[2],
        r.gamma.map_or(String::new(), |g| format!("   gamma {g}"))
    );
    print_grid(r);
    println!("hydro       {}", r.hydro_variables.join(", "));
    println!("gravity     {}", r.gravity_variables.join(", "));
    match &r.particles_error {
        Some(e) => println!("particles   not readable: {e}"),
        None => println!("particles   {}", r.particle_fields.join(", ")),
    }
    for (k, v) in &r.particles_per_family {
        println!("  {k:<10} {v}");
    }
    println!("sinks       {}", r.sinks);
    if let Some(e) = &r.rt_error {
        println!("rt          not readable: {e}");
    }
    if let Some(rt) = &r.rt {
        print_rt(rt, &r.rt_variables);
    }
    println!("disk        {:.1} MB", r.disk_bytes as f64 / 1e6);
}

/// Time, expansion, age and box of a cosmological run.
fn print_cosmic_time(r: &InfoReport) {
    println!(
        "time        {:.6e} code (super-comoving conformal time)",
        shown(r.time_code)
    );
    println!(
        "expansion   aexp {:.6}   redshift {:.4}   H0 {} km/s/Mpc   Ω_m {:.4}  Ω_Λ {:.4}  Ω_k {:.4}",
        shown(r.aexp),
        shown(r.redshift),
        raw(r.h0),
        shown(r.omega_m),
        shown(r.omega_l),
        shown(r.omega_k)
    );
    let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
    match (finite(r.age_myr), finite(r.lookback_myr)) {
        (Some(age), Some(lb)) => println!(
            "age         {age:.2} Myr at aexp (age of the universe); lookback time {lb:.2} Myr"
        ),
        _ => println!("age         not defined for this cosmology (no matter, or aexp > 1)"),
    }
    println!(
        "box         {} code = {:.4} cMpc/h (comoving) = {:.4} Mpc (proper at aexp)",
        raw(r.boxlen_code),
        shown_opt(r.boxlen_cmpc_h),
        shown(r.boxlen_mpc)
    );
}

/// Dimensions, coarse box, levels, CPUs and file layout.
fn print_grid(r: &InfoReport) {
    let nd = r.ndim;
    if nd < 3 {
        println!(
            "dimensions  {nd}D: masses and volumes are per unit {} (one code length{})",
            if nd == 2 { "depth" } else { "cross-section" },
            if nd == 2 { "" } else { " squared" }
        );
    }
    if r.box_coarse_cells.iter().any(|&v| v != 1) {
        println!(
            "coarse box  {} coarse cells of boxlen each",
            Value::from(r.box_coarse_cells.clone())
        );
    }
    println!(
        "levels      {}..{}   ncpu {}   ordering {}",
        r.levelmin, r.levelmax, r.ncpu, r.ordering
    );
    if let FileLayout::Groups { size, count } = r.file_layout {
        println!(
            "files       in group_XXXXX folders of {size} CPUs ({count} groups, IOGROUPSIZEREP)"
        );
    }
}

/// The RAMSES-RT description: groups, ions, speed of light, units.
fn print_rt(rt: &RtReport, rt_variables: &[String]) {
    let c: Vec<String> = rt
        .rt_c_frac
        .iter()
        .map(|&v| format!("{}", shown(v)))
        .collect();
    println!(
        "rt          {} photon groups, {} ions (from hydro variable {}); rt_c_frac {}{}",
        rt.ngroups,
        rt.nions,
        rt.iions,
        c.join(", "),
        if c.len() > 1 {
            " (levels levelmin..)"
        } else {
            ""
        }
    );
    println!(
        "rt units    1 code unit of every rt variable = {:.6e} photons/cm^2/s (unit_pf); unit_np {:.6e} photons/cm^3",
        shown(rt.unit_pf),
        shown(rt.unit_np)
    );
    for g in &rt.groups {
        let p = &g.photons;
        println!(
            "  group {}  {:.2}..{} eV, mean {:.3} eV: {}",
            g.group,
            shown(p.l0_ev),
            match p.l1_ev {
                x if x.is_finite() && x > 0.0 => format!("{x:.2}"),
                _ => "∞".to_string(),
            },
            shown(p.egy_ev),
            g.variables.join(", ")
        );
    }
    if rt.groups.is_empty() {
        println!("  variables {}", rt_variables.join(", "));
    }
}
