//! What the CLI writes besides text: `.npy` arrays, and figures drawn with
//! plotters ([`chart`]): maps, profiles, phase diagrams and the series
//! plot, all written by one PNG writer ([`png_file`]).

pub mod chart;
pub mod info_text;
pub mod labels;
pub mod map;
pub mod map_png;
pub mod npy;
pub mod phase_plot;
pub mod png_file;
pub mod profile_plot;
pub mod series_plot;
