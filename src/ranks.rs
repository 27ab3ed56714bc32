//! Agreement between MPI processes: the steps before a distributed one
//! run on every process, and an error on any of them becomes every
//! process's, so that none is left waiting for one that gave up.

use crate::args::SelArgs;
use crate::error::AnyResult;
use amrkit_dist::Comm;
use amrkit_io::Snapshot;
use amrkit_kernels::request::open;
use amrkit_kernels::{Exec, Selection, Units};
use std::path::Path;

/// `r`, or the first error of any process (every process gets it): the
/// steps before a distributed one go through here, so that a process that
/// fails early does not leave the others waiting for it.
pub fn agree<T>(comm: &dyn Comm, r: AnyResult<T>) -> AnyResult<T> {
    let (value, local) = match r {
        Ok(v) => (Some(v), Ok(Vec::new())),
        Err(e) => (None, Err(e.to_string())),
    };
    amrkit_dist::gather_checked(comm, local)?;
    Ok(value.expect("no error anywhere"))
}

/// Opens `output` and builds the selection of `sel` on every process
/// (`check` runs on the opened output), all of them agreeing on the
/// outcome (an error anywhere is every process's), and caps `exec` by
/// `--max-threads`.
pub fn open_selected<'e>(
    comm: &dyn Comm,
    output: &Path,
    sel: &SelArgs,
    exec: &Exec<'e>,
    check: impl FnOnce(&Snapshot) -> AnyResult<()>,
) -> AnyResult<(Snapshot, Selection, Exec<'e>)> {
    let (s, selection) = agree(
        comm,
        (|| {
            let s = open(output)?;
            check(&s)?;
            let selection = sel.selection(&Units::from_info(&s.info))?;
            Ok((s, selection))
        })(),
    )?;
    let exec = Exec {
        max_threads: sel.max_threads,
        ..*exec
    };
    Ok((s, selection, exec))
}
