//! `amrkit._native`: the Python bindings of amrkit, a thin layer over
//! `amrkit-kernels`.
//!
//! Every call resolves its arguments with `amrkit_kernels::request` (the
//! CLI's own resolution), runs the kernels on a helper thread with the GIL
//! released ([`call`]), and hands the Rust vectors to NumPy without copying
//! them ([`convert`]).
//!
//! One file a noun: the Python class and its method signatures
//! ([`snapshot`]: each method's work is in the module of what it reads or
//! makes: [`cells`], [`particles`], [`views`], [`export`], [`profiles`]),
//! the class's data, which those modules take ([`opened`]), the argument
//! types shared by the methods ([`args`]), the exceptions ([`errors`]).

use opened::PySnapshot;
use pyo3::prelude::*;
use std::path::PathBuf;

mod args;
mod call;
mod cells;
mod convert;
mod errors;
mod export;
mod opened;
mod particles;
mod profiles;
mod snapshot;
mod views;

/// Opens a RAMSES output: an `output_NNNNN` folder (or a renamed folder
/// holding one `info_NNNNN.txt`), its `info_NNNNN.txt` file as yt takes
/// it, or a simulation folder (its last output, or output `number`:
/// `amrkit.open("sim", 2)` opens `sim/output_00002`; a missing output
/// lists those there). Outputs in `group_GGGGG` folders are read like
/// flat ones, 1D and 2D outputs too. Raises
/// `amrkit.FileError` (an `OSError`) naming the file when the output
/// cannot be read.
#[pyfunction]
#[pyo3(text_signature = "(path, number=None)")]
#[pyo3(signature = (path, number=None))]
fn open(py: Python<'_>, path: PathBuf, number: Option<u32>) -> PyResult<PySnapshot> {
    let snap = call::run(py, move |_| match number {
        Some(n) => amrkit_kernels::request::open(&path.join(format!("output_{n:05}"))),
        None => amrkit_kernels::request::open(&path),
    })?;
    Ok(PySnapshot::new(snap))
}

/// The threads of amrkit's pool (`AMRKIT_NUM_THREADS`, else the CPU
/// count); `max_threads` caps a call below it.
#[pyfunction]
fn num_threads() -> usize {
    amrkit_pool::current_num_threads()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySnapshot>()?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(num_threads, m)?)?;
    Ok(())
}
