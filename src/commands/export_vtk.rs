//! `amrkit export-vtk`: cells (one `.vtu` per level and a `.vtm`) and
//! particles to VTK (distributed under MPI).

use crate::args::SelArgs;
use crate::context::Ctx;
use crate::error::AnyResult;
use crate::ranks::open_selected;
use amrkit_kernels::export::{export_particles_vtk, VtkOptions};
use clap::Args;
use std::path::PathBuf;

/// `amrkit export-vtk`.
#[derive(Args, Debug)]
pub struct ExportVtkArgs {
    /// The output folder.
    pub output: PathBuf,
    /// Cell scalars.
    #[arg(long, value_delimiter = ',', default_value = "density,pressure")]
    pub scalars: Vec<String>,
    /// A vector (velocity).
    #[arg(long)]
    pub vector: Option<String>,
    /// log10 of the scalars.
    #[arg(long)]
    pub log: bool,
    /// Coarsest level to write.
    #[arg(long)]
    pub lmin: Option<u8>,
    #[command(flatten)]
    pub sel: SelArgs,
    /// zlib compression.
    #[arg(long)]
    pub zlib: bool,
    /// Also write particles (`PREFIX_particles.vtu`).
    #[arg(long)]
    pub particles: bool,
    /// File prefix.
    #[arg(long, required = true)]
    pub out: PathBuf,
}

/// Exports on every process; rank 0 writes the index and prints the files.
pub fn run(ctx: &Ctx, a: &ExportVtkArgs) -> AnyResult<()> {
    let (exec, comm, quiet) = (&ctx.exec, ctx.comm, ctx.quiet);
    let (s, sel, exec) = open_selected(comm, &a.output, &a.sel, exec, |_| Ok(()))?;
    let vector = a.vector.as_deref().and_then(VtkOptions::vector_of);
    let opts = VtkOptions {
        scalars: a.scalars.clone(),
        log10: a.log,
        vector,
        lmin: a.lmin,
        lmax: a.sel.lmax.map(|l| l as u8),
        zlib: a.zlib,
    };
    let rep = amrkit_dist::export_vtk(comm, &s, &sel, &opts, &a.out, &exec)?;
    let particles = if a.particles && s.has_particles {
        amrkit_dist::particles(comm, &s, &sel, &[], &exec)?
    } else {
        None
    };
    let Some(rep) = rep else {
        return Ok(());
    };
    if !quiet {
        println!(
            "wrote {} cells, {} points, {:.1} MB:",
            rep.cells,
            rep.points,
            rep.bytes as f64 / 1e6
        );
        for f in &rep.files {
            println!("  {}", f.display());
        }
    }
    if let Some(p) = particles {
        let path = a.out.with_file_name(format!(
            "{}_particles.vtu",
            a.out.file_name().unwrap_or_default().to_string_lossy()
        ));
        let r = export_particles_vtk(&p, &path, a.zlib, &exec)?;
        if !quiet {
            println!("  {} ({} particles)", path.display(), r.points);
        }
    }
    Ok(())
}
