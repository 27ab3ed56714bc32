//! What `amrkit stats` reports, computed: the typed [`StatsReport`] (and
//! its JSON, and `info --json` from [`InfoReport`]): the CLI prints them,
//! the Python package hands them back as dicts, so both show the same keys
//! and the same numbers.

use crate::derive::quantity_of;
use crate::error::Result;
use crate::exec::Exec;
use crate::load::{cpus_for, load_particles, CellTable, Components, ParticleTable};
pub use crate::report::MYR_S;
use crate::report::{
    CountMass, InfoReport, MassUnit, StatsReport, StatsUnits, UnitsReport, VariableStats,
    VariableTable,
};
use crate::select::Selection;
use crate::stats_stream::{stats_files, StatsColumns};
use crate::sums::{fold_sum, mass_partials, reduce_files, stats_partials_many, StatsPartial};
use crate::units::{Quantity, Units};
use amrkit_io::{family_name, Snapshot};
use serde_json::Value;
use std::collections::BTreeMap;

/// The named unit `stats --unit auto` reports a quantity in.
pub fn auto_unit(q: Quantity) -> &'static str {
    match q {
        Quantity::Length => "kpc",
        Quantity::Mass => "Msol",
        Quantity::Density => "g/cm^3",
        Quantity::Velocity => "km/s",
        Quantity::Time => "Myr",
        Quantity::Pressure => "dyn/cm^2",
        Quantity::Temperature => "K",
        Quantity::NumberDensity => "cm^-3",
        Quantity::SurfaceDensity => "Msol/pc^2",
        Quantity::Potential => "km^2/s^2",
        Quantity::Acceleration => "cm/s^2",
        Quantity::Dimensionless => "code",
    }
}

/// Whether `stats` reports named units: its `--unit` is `auto` (the
/// [`auto_unit`] of each quantity) or `code` (the default); any other
/// name is refused, saying which it takes.
pub fn stats_named(unit: Option<&str>) -> Result<bool> {
    match unit {
        None | Some("code") => Ok(false),
        Some("auto") => Ok(true),
        Some(u) => Err(crate::KernelError::Invalid(format!(
            "--unit {u:?}: stats takes auto (each quantity in its astrophysical unit: Msol, g/cm^3, km/s, K, …) or code"
        ))),
    }
}

/// The facts `info` shows ([`InfoReport`]) as JSON.
pub fn info_json(s: &Snapshot) -> Result<Value> {
    Ok(InfoReport::of(s)?.to_json())
}

/// The `rt` table of `stats`: every RAMSES-RT variable's min, max and
/// volume- and mass-weighted means over the selected leaf cells (loaded
/// with the density, in a read of their own so that a bad rt file does not
/// stop the gas figures), in code units, or times `unit_pf` (photons
/// cm⁻² s⁻¹) when `named`.
fn rt_stats(s: &Snapshot, sel: &Selection, named: bool, exec: &Exec) -> Result<VariableTable> {
    let unit_pf = s.rt_info()?.unit_pf;
    let f = if named { unit_pf } else { 1.0 };
    let c = Components {
        hydro: vec!["density"],
        grav: Vec::new(),
        rt: s.rt_fields.iter().map(|f| f.name.as_str()).collect(),
    };
    let files = reduce_files(s, sel, &c, "rt", exec, |t, one| {
        let columns = c.rt.iter().map(|name| t.column(name));
        stats_partials_many(t, &columns.collect::<Result<Vec<_>>>()?, one)
    })?;
    let mut m = VariableTable::new();
    for (i, name) in c.rt.iter().enumerate() {
        let parts: Vec<StatsPartial> = files.iter().flat_map(|f| f[i].iter().copied()).collect();
        let st = StatsPartial::fold(&parts).stats();
        m.insert(name.to_string(), VariableStats::scaled(&st, f));
    }
    Ok(m)
}

/// The part of `stats` one process computes over the files it reads
/// (all of them, or its share [`Selection::files`]): leaf cells per level
/// and the partial sums of every block. Several processes' parts,
/// [`concat`](StatsParts::concat)enated in file order, give the same
/// figures, bit for bit, as one process reading every file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsParts {
    /// Leaf cells per level (index 0 is level 0).
    pub cells_per_level: Vec<u64>,
    /// Per hydro variable, then per gravity variable (the output's order):
    /// the [`StatsPartial`] of every block.
    pub vars: Vec<Vec<StatsPartial>>,
    /// Σ ρ·V of every block.
    pub mass: Vec<f64>,
}

impl StatsParts {
    /// The parts of several processes, in file order, as one.
    pub fn concat(parts: impl IntoIterator<Item = StatsParts>) -> StatsParts {
        let mut all = StatsParts::default();
        for p in parts {
            if all.cells_per_level.len() < p.cells_per_level.len() {
                all.cells_per_level.resize(p.cells_per_level.len(), 0);
            }
            for (a, b) in all.cells_per_level.iter_mut().zip(&p.cells_per_level) {
                *a += b;
            }
            if all.vars.is_empty() {
                all.vars = vec![Vec::new(); p.vars.len()];
            }
            for (a, b) in all.vars.iter_mut().zip(p.vars) {
                a.extend(b);
            }
            all.mass.extend(p.mass);
        }
        all
    }
}

/// The names of the variables `stats` reports: hydro, then gravity.
fn stats_vars(s: &Snapshot) -> (Vec<&str>, Vec<&str>) {
    (
        s.hydro_fields.iter().map(|f| f.name.as_str()).collect(),
        s.grav_fields.iter().map(String::as_str).collect(),
    )
}

/// Computes the [`StatsParts`] of the cells of `sel` (every hydro and
/// gravity variable) a CPU file at a time ([`reduce_files`]): each file's
/// block partials, concatenated in file order, are those of the whole
/// table, and no more than one file's columns per worker are held.
pub fn stats_parts(s: &Snapshot, sel: &Selection, exec: &Exec) -> Result<StatsParts> {
    let (hydro, grav) = stats_vars(s);
    let mut load = hydro.clone();
    if !load.contains(&"density") {
        // The mass weight (an output without it fails below, naming it).
        load.push("density");
    }
    let c = Components {
        hydro: load,
        grav: grav.clone(),
        rt: Vec::new(),
    };
    let whole = |t: &CellTable, one: &Exec| {
        let columns = hydro
            .iter()
            .chain(&grav)
            .map(|name| t.column(name))
            .collect::<Result<Vec<_>>>()?;
        let vars = stats_partials_many(t, &columns, one)?;
        // Every variable's partial carries the block's Σ ρ·V (the same
        // lanes as `mass_partials`): no second pass over the densities.
        let mass = match vars.first() {
            Some(v) => v.iter().map(|p| p.m).collect(),
            None => mass_partials(t, one)?,
        };
        Ok(StatsParts {
            cells_per_level: t.cells_per_level().iter().map(|&n| n as u64).collect(),
            vars,
            mass,
        })
    };
    // Summed as the files are read (the same bits), unless cells must be
    // cut by a shape after the read or there is no density to weight by
    // (then the table path names the problem).
    let rho = c.hydro.iter().position(|&n| n == "density");
    let files = match rho {
        Some(rho) if sel.region.is_none_or(|r| r.is_box()) && !hydro.is_empty() => {
            let cols = StatsColumns {
                hydro: hydro.len(),
                grav: grav.len(),
                rho,
            };
            stats_files(s, sel, &c, cols, exec, whole)?
        }
        _ => reduce_files(s, sel, &c, "stats", exec, whole)?,
    };
    let none = StatsParts {
        vars: vec![Vec::new(); hydro.len() + grav.len()],
        ..StatsParts::default()
    };
    Ok(StatsParts::concat(std::iter::once(none).chain(files)))
}

/// The particle fields `stats` reads: `mass`, and `family` when the
/// output has it.
pub fn stats_particle_fields(s: &Snapshot) -> Vec<&'static str> {
    let mut wanted = vec!["mass"];
    if s.part_layout
        .as_ref()
        .is_some_and(|l| l.index("family").is_some())
    {
        wanted.push("family");
    }
    wanted
}

/// [`stats_report`] as the JSON `stats --json` prints.
pub fn stats_json(s: &Snapshot, sel: &Selection, unit: Option<&str>, exec: &Exec) -> Result<Value> {
    Ok(stats_report(s, sel, unit, exec)?.to_json())
}

/// The figures `stats` reports: leaf cells per level, gas mass, min, max
/// and volume- and mass-weighted means of every hydro, gravity and
/// RAMSES-RT variable (tables `hydro`, `gravity`, `rt`), sinks and
/// particles per family, in code units (in the [`auto_unit`]s when `unit`
/// is given; rt variables then in photons cm⁻² s⁻¹). Particles or rt files
/// that cannot be read do not stop the gas figures: the reason is in
/// `particles_error` or `rt_error`.
pub fn stats_report(
    s: &Snapshot,
    sel: &Selection,
    unit: Option<&str>,
    exec: &Exec,
) -> Result<StatsReport> {
    // Before any read.
    stats_named(unit)?;
    let parts = stats_parts(s, sel, exec)?;
    let particles = s.has_particles.then(|| particle_sums(s, sel, exec));
    stats_from_parts(
        s,
        sel,
        unit,
        &parts,
        particles,
        stats_rt(s, sel, unit, exec),
    )
}

/// The `rt` table of `stats` for the whole selection (`None`: the output
/// has no RAMSES-RT files), or why the rt files cannot be read. Its sums
/// are per block of one file, folded in file order, like the others, but
/// taken over every file of the selection (not a share).
pub fn stats_rt(
    s: &Snapshot,
    sel: &Selection,
    unit: Option<&str>,
    exec: &Exec,
) -> Option<Result<VariableTable>> {
    let whole = Selection {
        files: None,
        ..*sel
    };
    s.has_rt()
        .then(|| rt_stats(s, &whole, unit == Some("auto"), exec))
}

/// [`stats_report`] from the [`StatsParts`] of every file and the particles
/// (`mass` and `family`, [`stats_particle_fields`]) of the selection, or
/// the error that stopped reading them (`None`: the output has none).
pub fn stats_from_parts(
    s: &Snapshot,
    sel: &Selection,
    unit: Option<&str>,
    parts: &StatsParts,
    particles: Option<Result<Vec<FamilySums>>>,
    rt: Option<Result<VariableTable>>,
) -> Result<StatsReport> {
    let (hydro, grav) = stats_vars(s);
    let choice = UnitChoice {
        u: Units::from_info(&s.info),
        named: stats_named(unit)?,
    };
    let leaf_cells_per_level = parts
        .cells_per_level
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(l, &n)| (l.to_string(), n))
        .collect();
    let [hydro_table, grav_table] = variable_tables(&hydro, &grav, parts, &choice)?;
    // RAMSES-RT ([`stats_rt`]): its own read, so that a bad rt file
    // leaves the gas figures (a warning on stderr, `rt_error` in the JSON).
    let (rt, rt_error) = match rt {
        Some(Ok(m)) => (Some(m), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    let units = stats_units(s, (&hydro, &grav), rt.as_ref(), &choice);
    let total_mass = fold_sum(&parts.mass) * choice.factor("mass")?;
    // Sinks (sink_NNNNN.csv): count and mass, those inside the region
    // when there is one (positions are code lengths).
    let sinks = if s.has_sinks {
        let (count, mass) = sinks_in(s, sel)?;
        Some(CountMass {
            count,
            total_mass: mass * choice.factor("mass")?,
        })
    } else {
        None
    };
    let (particles, particles_error) = match particles {
        Some(Ok(p)) => (Some(fold_family_sums(&p, choice.factor("mass")?)), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    Ok(StatsReport {
        output: s.dir.display().to_string(),
        units,
        ndim: s.info.ndim,
        leaf_cells_per_level,
        n_leaf_total: parts.cells_per_level.iter().sum::<u64>(),
        total_mass,
        hydro: hydro_table,
        gravity: (!grav.is_empty()).then_some(grav_table),
        rt,
        rt_error,
        sinks,
        particles,
        particles_error,
    })
}

/// The units `stats` reports in: each quantity's [`auto_unit`] when
/// `named`, else code units.
struct UnitChoice {
    u: Units,
    named: bool,
}

impl UnitChoice {
    /// The unit of the variable `name`.
    fn unit_of(&self, name: &str) -> &'static str {
        if self.named {
            auto_unit(quantity_of(name))
        } else {
            "code"
        }
    }

    /// The factor from code units to [`UnitChoice::unit_of`] `name`.
    fn factor(&self, name: &str) -> Result<f64> {
        self.u.factor(quantity_of(name), self.unit_of(name))
    }
}

/// The hydro and gravity tables of `stats`: each variable's partials
/// folded, in its unit.
fn variable_tables(
    hydro: &[&str],
    grav: &[&str],
    parts: &StatsParts,
    choice: &UnitChoice,
) -> Result<[VariableTable; 2]> {
    if parts.vars.len() != hydro.len() + grav.len() {
        return Err(crate::KernelError::Invalid(format!(
            "stats of {} variables for an output of {}",
            parts.vars.len(),
            hydro.len() + grav.len()
        )));
    }
    let mut groups = [VariableTable::new(), VariableTable::new()];
    let named = hydro
        .iter()
        .map(|n| (0, n))
        .chain(grav.iter().map(|n| (1, n)));
    for ((gi, name), p) in named.zip(&parts.vars) {
        let st = StatsPartial::fold(p).stats();
        groups[gi].insert(
            name.to_string(),
            VariableStats::scaled(&st, choice.factor(name)?),
        );
    }
    Ok(groups)
}

/// The unit of every figure of `stats`: the quantity's unit per variable
/// of `(hydro, gravity)` and of the `rt` table.
fn stats_units(
    s: &Snapshot,
    (hydro, grav): (&[&str], &[&str]),
    rt: Option<&VariableTable>,
    choice: &UnitChoice,
) -> StatsUnits {
    let names_units = |names: &[&str]| -> BTreeMap<String, String> {
        names
            .iter()
            .map(|n| (n.to_string(), choice.unit_of(n).to_string()))
            .collect()
    };
    let mass_unit = || MassUnit {
        total_mass: choice.unit_of("mass").to_string(),
    };
    let rt_unit = if choice.named {
        "photons/cm^2/s"
    } else {
        "code"
    };
    StatsUnits {
        total_mass: choice.unit_of("mass").to_string(),
        hydro: names_units(hydro),
        gravity: (!grav.is_empty()).then(|| names_units(grav)),
        rt: rt.map(|m| m.keys().map(|k| (k.clone(), rt_unit.to_string())).collect()),
        sinks: s.has_sinks.then(mass_unit),
        particles: s.has_particles.then(mass_unit),
    }
}

/// The count and code mass of the sinks (`sink_NNNNN.csv`) inside the
/// selection's region, all of them when it has none (positions are code
/// lengths).
fn sinks_in(s: &Snapshot, sel: &Selection) -> Result<(u64, f64)> {
    let sk = s.sinks()?;
    let (m, pos) = (sk.column("msink"), ["x", "y", "z"].map(|c| sk.column(c)));
    let Some(m) = m else {
        return Err(amrkit_io::Error::Inconsistent {
            path: s.sink_file(),
            problem: "no msink column".into(),
        }
        .into());
    };
    let (mut count, mut mass) = (0u64, 0.0);
    for (k, mk) in m.iter().enumerate() {
        let inside = match (&sel.region, &pos) {
            (Some(r), [Some(x), Some(y), Some(z)]) => {
                r.contains([x[k], y[k], z[k]].map(|v| v / s.info.boxlen))
            }
            _ => true,
        };
        if inside {
            count += 1;
            mass += mk;
        }
    }
    Ok((count, mass))
}

/// Count and Σ mass (code units) of each family's particles in one CPU
/// file (`all` when the particles have no family field), the mass summed
/// in the file's order.
pub type FamilySums = BTreeMap<String, (u64, f64)>;

/// The particle part of `stats`, a CPU file at a time: the [`FamilySums`]
/// of every file of the selection (or of its share, [`Selection::files`]),
/// in file order. One file's `mass` and `family` per worker are held, not
/// every particle's (80 M particles were 720 MB); folding the files' sums
/// in order ([`fold_family_sums`]) gives the same bits for any thread
/// count and any split of the files between processes.
pub fn particle_sums(s: &Snapshot, sel: &Selection, exec: &Exec) -> Result<Vec<FamilySums>> {
    // Validates the share, as every reader of the selection does.
    let n = cpus_for(s, sel)?.len();
    let [lo, hi] = sel.files.unwrap_or([0, n]);
    let fields = stats_particle_fields(s);
    let one = Exec {
        max_threads: Some(1),
        progress: None,
        ..*exec
    };
    exec.check()?;
    exec.start("particles", (hi - lo) as u64);
    let files: Vec<usize> = (lo..hi).collect();
    let out: Vec<Result<FamilySums>> = exec.par().min_chunk(1).map(&files, |&k| {
        exec.check()?;
        let file = Selection {
            files: Some([k, k + 1]),
            ..*sel
        };
        let p = load_particles(s, &file, &fields, &one)?;
        exec.advance(1);
        family_sums(&p)
    });
    exec.finish();
    exec.check()?;
    out.into_iter().collect()
}

/// The [`FamilySums`] of a table of particles, in table order.
fn family_sums(p: &ParticleTable) -> Result<FamilySums> {
    let m = p.reals("mass")?;
    let mut fams: BTreeMap<&str, (u64, f64)> = Default::default();
    match p.families() {
        Ok(fam) => {
            for k in 0..p.len() {
                let e = fams.entry(family_name(fam[k])).or_default();
                e.0 += 1;
                e.1 += m[k];
            }
        }
        Err(_) => {
            fams.insert("all", (p.len() as u64, m.iter().sum()));
        }
    }
    Ok(fams.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// `stats`' `particles` table: the files' [`FamilySums`] added in file
/// order, the mass times `f`.
pub fn fold_family_sums(files: &[FamilySums], f: f64) -> BTreeMap<String, CountMass> {
    let mut all: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    for file in files {
        for (name, &(count, mass)) in file {
            let e = all.entry(name.as_str()).or_default();
            e.0 += count;
            e.1 += mass;
        }
    }
    all.into_iter()
        .map(|(k, (count, mass))| {
            (
                k.to_string(),
                CountMass {
                    count,
                    total_mass: mass * f,
                },
            )
        })
        .collect()
}

/// The units of an output ([`UnitsReport`]) as JSON.
pub fn units_json(u: &Units) -> Result<Value> {
    Ok(UnitsReport::of(u)?.to_json())
}
