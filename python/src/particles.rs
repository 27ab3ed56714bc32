//! `Snapshot.particles`: particle fields as NumPy columns, filtered by
//! family, with star ages.

use crate::args::{Names, RegionKw};
use crate::call::{capped, run};
use crate::errors::to_py;
use crate::opened::PySnapshot;
use amrkit_io::particles::PartColumn;
use amrkit_io::Snapshot;
use amrkit_kernels::derive;
use amrkit_kernels::load::ParticleTable;
use amrkit_kernels::load_particles;
use amrkit_kernels::request::{family_codes, require_particles};
use amrkit_kernels::KernelError;
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;

/// `Snapshot.particles`: the fields asked for (every field when none is),
/// of the `families` asked for, with `age_myr`.
pub(crate) fn particles(
    this: &PySnapshot,
    py: Python<'_>,
    families: Option<Names>,
    fields: Option<Names>,
    max_threads: Option<usize>,
    region: RegionKw,
) -> PyResult<Py<PyDict>> {
    let region = region.args().map_err(|e| to_py(py, e))?;
    let sel = this.selection(None, &region).map_err(|e| to_py(py, e))?;
    let codes = family_codes(&families.map(Names::into_vec).unwrap_or_default())
        .map_err(|e| to_py(py, e))?;
    let fields = fields.map(Names::into_vec).unwrap_or_default();
    let snap = Arc::clone(&this.snap);
    let table = run(py, move |exec| -> Result<ParticleTable, KernelError> {
        let exec = capped(exec, max_threads);
        require_particles(&snap)?;
        // `age_myr` is made from `birth_time` (and `family`): every
        // field of the files when none is named, else as asked.
        let want_age = fields.is_empty() || fields.iter().any(|f| f == "age_myr");
        let (want, added) = fields_to_load(&snap, &fields, !codes.is_empty(), want_age);
        let mut p = load_particles(&snap, &sel, &want, &exec)?;
        if !codes.is_empty() {
            let keep: Vec<bool> = p.families()?.iter().map(|f| codes.contains(f)).collect();
            for c in &mut p.columns {
                match c {
                    PartColumn::F64(v) => retain_mask(v, &keep),
                    PartColumn::I64(v) => retain_mask(v, &keep),
                    PartColumn::I8(v) => retain_mask(v, &keep),
                }
            }
        }
        if want_age {
            add_ages(&snap, &mut p, !fields.is_empty())?;
        }
        if !added.is_empty() {
            let keep: Vec<bool> = p
                .names
                .iter()
                .map(|n| !added.contains(&n.as_str()))
                .collect();
            retain_mask(&mut p.names, &keep);
            retain_mask(&mut p.columns, &keep);
        }
        Ok(p)
    })?;
    let d = PyDict::new(py);
    for (name, col) in table.names.into_iter().zip(table.columns) {
        match col {
            PartColumn::F64(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
            PartColumn::I64(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
            PartColumn::I8(v) => d.set_item(name, PyArray1::from_vec(py, v))?,
        }
    }
    Ok(d.unbind())
}

/// The fields to load for `fields` (none: every field): those named, and
/// the ones needed only to filter by family (`filter`) or to make ages
/// (`want_age`); the second list names the latter, dropped after.
fn fields_to_load<'a>(
    snap: &Snapshot,
    fields: &'a [String],
    filter: bool,
    want_age: bool,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut want: Vec<&str> = fields
        .iter()
        .map(String::as_str)
        .filter(|f| *f != "age_myr")
        .collect();
    let has = |e: &str| {
        snap.particle_layout()
            .is_ok_and(|l| l.fields.iter().any(|f| f.name == e))
    };
    let mut added: Vec<&str> = Vec::new();
    if !fields.is_empty() {
        let mut extra = Vec::new();
        if filter {
            extra.push("family");
        }
        if want_age {
            extra.extend(["birth_time", "family"]);
        }
        for e in extra {
            if !want.contains(&e) && has(e) {
                want.push(e);
                added.push(e);
            }
        }
    }
    (want, added)
}

/// Adds the `age_myr` column to `p` ([`star_ages_myr`]); without birth
/// times an error when `asked` for by name, else nothing.
fn add_ages(snap: &Snapshot, p: &mut ParticleTable, asked: bool) -> Result<(), KernelError> {
    match star_ages_myr(p, &snap.info) {
        Some(a) => {
            p.names.push("age_myr".into());
            p.columns.push(PartColumn::F64(a));
            Ok(())
        }
        None if asked => Err(KernelError::Invalid(format!(
            "{}: age_myr needs the particles' birth_time, which this output does not have",
            snap.dir.display()
        ))),
        None => Ok(()),
    }
}

/// Ages in Myr at the output's time of the star particles (family `star`,
/// or, without families, a non-zero birth time), NaN for the others, as
/// `amrkit particles` computes them (cosmological runs: super-conformal
/// birth times through Friedmann tables); `None` without birth times.
pub(crate) fn star_ages_myr(p: &ParticleTable, info: &amrkit_io::Info) -> Option<Vec<f64>> {
    let birth = p.reals("birth_time").ok()?;
    let fam = p.families().ok();
    let ages = derive::particle_ages(birth, info);
    Some(
        ages.iter()
            .enumerate()
            .map(|(k, &a)| {
                let star = fam.map_or(birth[k] != 0.0, |f| f[k] == 2);
                if star {
                    a / amrkit_kernels::units::MYR
                } else {
                    f64::NAN
                }
            })
            .collect(),
    )
}

/// Keeps the values whose `keep` is true, in order.
pub(crate) fn retain_mask<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = 0;
    v.retain(|_| {
        k += 1;
        keep[k - 1]
    });
}
