//! The columns a list of variables needs: which of them the output's
//! files hold and which are derived (`temperature`, `mass`, …), and the
//! table loaded with all of them. The projections, slices and both front
//! ends load through here, so a name resolves — or fails with the list of
//! what the output has — the same way everywhere.

use crate::derive::{derived, DERIVED};
use crate::error::{KernelError, Result};
use crate::exec::Exec;
use crate::load::{components, load_components, CellTable};
use crate::select::Selection;
use crate::weight::Weight;
use amrkit_io::Snapshot;

/// Whether `v` is a variable the output's files hold (hydro, gravity or
/// RAMSES-RT; an rt name also when the rt files cannot be read, so that
/// loading it reports why).
pub(crate) fn in_files(s: &Snapshot, v: &str) -> bool {
    s.hydro_index(v).is_some()
        || s.grav_index(v).is_some()
        || s.rt_index(v).is_some()
        || s.rt_variable_problem(v).is_some()
}

/// Loads the cells with every variable of `vars` as a column: loaded
/// (hydro, gravity, RAMSES-RT) or derived from the hydro variables
/// (`temperature`, `mass`, …); with `density` as well for a mass weight.
/// The table may hold more columns than asked for (what derived ones were
/// made from).
pub fn cells_for(
    s: &Snapshot,
    sel: &Selection,
    vars: &[&str],
    weight: Weight,
    exec: &Exec,
) -> Result<CellTable> {
    cells_for_on(s, None, sel, vars, weight, exec)
}

/// [`cells_for`] reading only the CPU files `only` (1-based), e.g. one
/// file at a time for a reduction that streams the files.
pub fn cells_for_on(
    s: &Snapshot,
    only: Option<&[usize]>,
    sel: &Selection,
    vars: &[&str],
    weight: Weight,
    exec: &Exec,
) -> Result<CellTable> {
    let load = files_to_read(s, vars, weight)?;
    let c = components(s, &load)?;
    let mut t = load_components(s, only, sel, &c, exec)?;
    add_derived(&mut t, vars, exec)?;
    Ok(t)
}

/// The variables to read from the files for [`cells_for`] of `vars`
/// (sorted, once each): those the files hold, every hydro variable for a
/// derived one, `density` for a mass weight. An unknown name is an error
/// listing what the output has.
pub fn files_to_read<'a>(
    s: &'a Snapshot,
    vars: &[&'a str],
    weight: Weight,
) -> Result<Vec<&'a str>> {
    let hydro_names: Vec<&str> = s.hydro_fields.iter().map(|f| f.name.as_str()).collect();
    let mut load: Vec<&str> = Vec::new();
    for v in vars {
        if !in_files(s, v) && !DERIVED.contains(v) {
            // Every name the output has, the rt ones included.
            let mut all: Vec<&str> = hydro_names.clone();
            all.extend(s.grav_fields.iter().map(String::as_str));
            all.extend(s.rt_fields.iter().map(|f| f.name.as_str()));
            all.extend(DERIVED);
            return Err(KernelError::NoVariable {
                name: v.to_string(),
                available: all.join(", "),
            });
        }
        if in_files(s, v) {
            load.push(v);
        } else {
            load.extend(hydro_names.iter().copied());
        }
    }
    if weight == Weight::Mass {
        load.push("density");
    }
    load.sort_unstable();
    load.dedup();
    Ok(load)
}

/// Adds to `t` (read with [`files_to_read`]) a column for each variable of
/// `vars` it does not hold: the derived ones, cell by cell (so a table of
/// some of the files gets the values a table of all of them has).
pub fn add_derived(t: &mut CellTable, vars: &[&str], exec: &Exec) -> Result<()> {
    for v in vars {
        if t.column(v).is_err() {
            let col = derived(t, v, exec)?;
            t.names.push(v.to_string());
            t.columns.push(col);
        }
    }
    Ok(())
}

/// A weighted map's inputs: a column per variable, and the density when
/// the weight is mass.
pub type WeightedColumns<'t> = (Vec<&'t [f64]>, Option<&'t [f64]>);

/// The columns a weighted map reads from `t`: one per variable of `vars`,
/// and the density when the weight is mass (the axis-aligned and the
/// off-axis projections both take their inputs this way).
pub fn weighted_columns<'t>(
    t: &'t CellTable,
    vars: &[String],
    weight: Weight,
) -> Result<WeightedColumns<'t>> {
    let cols = vars.iter().map(|v| t.column(v)).collect::<Result<_>>()?;
    let rho = match weight {
        Weight::Mass => Some(t.column("density")?),
        Weight::None | Weight::Volume => None,
    };
    Ok((cols, rho))
}
