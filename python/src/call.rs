//! One Python call: the kernels run on a helper thread while the caller
//! waits with the GIL released, watching for Ctrl-C.

use crate::errors::to_py;
use amrkit_kernels::{Exec, KernelError, Progress};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// How often a waiting call looks for Ctrl-C (and lets other Python
/// threads run in between: the GIL is released while it waits).
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// The kernels' progress observer, used only to ask a load to stop.
pub(crate) struct Cancel(Arc<AtomicBool>);

impl Progress for Cancel {
    fn start(&self, _what: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Runs `work` on a helper thread while this one waits with the GIL
/// released, looking for signals every [`POLL`]: Ctrl-C raises
/// `KeyboardInterrupt` at once and asks the kernels to stop (loads stop
/// between CPU files; the helper thread's results are dropped).
pub(crate) fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Exec) -> Result<T, KernelError> + Send + 'static,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("amrkit-call".into())
        .spawn(move || {
            let progress = Cancel(flag);
            let exec = Exec::default().progress(&progress);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&exec)));
            // The caller may have gone (Ctrl-C): then nobody reads this.
            let _ = tx.send(r);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("amrkit: cannot start a thread: {e}")))?;
    let mut rx = rx;
    loop {
        let (got, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
        rx = back;
        match got {
            Ok(Ok(r)) => return r.map_err(|e| to_py(py, e)),
            Ok(Err(panic)) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(PyRuntimeError::new_err(format!(
                    "amrkit: internal error (please report): {msg}"
                )));
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    cancel.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("amrkit: the worker thread ended"))
            }
        }
    }
}

/// The exec of one call: the caller's `max_threads` cap on the global pool.
pub(crate) fn capped<'a>(exec: &Exec<'a>, max_threads: Option<usize>) -> Exec<'a> {
    Exec {
        max_threads: max_threads.map(|k| k.max(1)),
        ..*exec
    }
}
