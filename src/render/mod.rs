//! What the CLI writes besides text: `.npy` arrays, PNG maps and the
//! series plot, drawn on a small RGB canvas.

pub mod canvas;
pub mod info_text;
pub mod map;
pub mod map_png;
pub mod npy;
pub mod series_plot;
