//! What the CLI writes besides text: `.npy` arrays, and figures drawn with
//! plotters ([`chart`]): maps, profiles and phase diagrams; the series
//! plot is still drawn on the small bitmap-font canvas ([`canvas`]), whose
//! PNG writer the figures share.

pub mod canvas;
pub mod chart;
pub mod info_text;
pub mod labels;
pub mod map;
pub mod map_png;
pub mod npy;
pub mod phase_plot;
pub mod profile_plot;
pub mod series_plot;
