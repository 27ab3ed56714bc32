//! What the CLI writes besides text: `.npy` arrays, PNG maps and the
//! series plot, drawn on a small RGB canvas; the profile and phase
//! figures, drawn with plotters ([`chart`]).

pub mod canvas;
pub mod chart;
pub mod info_text;
pub mod map;
pub mod map_png;
pub mod npy;
pub mod phase_plot;
pub mod profile_plot;
pub mod series_plot;
