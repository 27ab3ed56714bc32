//! Progress bars (indicatif) for the kernels' progress callbacks: drawn on
//! a terminal, silent on a pipe unless asked.

use amrkit_kernels::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;

/// One bar, re-armed for every step a kernel reports.
pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Bars {
    /// `mode`: `auto` (terminal only), `always`, `never`.
    pub fn new(mode: &str, quiet: bool) -> Bars {
        use std::io::IsTerminal;
        let enabled = !quiet
            && match mode {
                "always" => true,
                "never" => false,
                _ => std::io::stderr().is_terminal(),
            };
        Bars {
            bar: Mutex::new(None),
            enabled,
        }
    }
}

impl Progress for Bars {
    fn start(&self, what: &str, total: u64) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {elapsed_precise}")
                .expect("template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        *self.bar.lock().unwrap() = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(b) = self.bar.lock().unwrap().as_ref() {
            b.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(b) = self.bar.lock().unwrap().take() {
            b.finish_and_clear();
        }
    }
}
