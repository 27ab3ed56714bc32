//! CIC particle maps treat the round-off of positions as zero (issue 26,
//! item 4): a particle at a pixel centre puts all its mass in that pixel,
//! not ~1e-16 of it on the neighbours (which a log colour bar showed as
//! pixels 16 to 30 decades below the rest); other particles are deposited
//! as before and the mass is conserved.

use amrkit_io::particles::PartColumn;
use amrkit_kernels::project::{project_particles, Deposit, ProjSpec, Weight};
use amrkit_kernels::{Exec, ParticleTable, Units};
use amrkit_pool::Pool;

fn table(boxlen: f64, pos: &[[f64; 3]], mass: &[f64]) -> ParticleTable {
    let col = |d: usize| PartColumn::F64(pos.iter().map(|p| p[d]).collect());
    ParticleTable {
        units: Units {
            boxlen,
            ..Units::default()
        },
        names: ["position_x", "position_y", "position_z", "mass"]
            .map(String::from)
            .to_vec(),
        columns: vec![col(0), col(1), col(2), PartColumn::F64(mass.to_vec())],
    }
}

#[test]
fn particles_at_pixel_centres_fill_only_their_pixel() {
    let pool = Pool::builder().num_threads(2).build().unwrap();
    let exec = Exec::on(&pool);
    for (boxlen, res, lo, hi) in [
        (100.0, 37, 0.0, 1.0),
        (3.7, 50, 0.0, 1.0),
        (1.0, 256, 0.0, 1.0),
        (71.3, 29, 0.31, 0.47),
        (0.013, 101, 0.2, 0.9),
    ] {
        let mut spec = ProjSpec::whole_box(2, res, &["mass"], Weight::None);
        spec.range = [[lo, hi], [lo, hi], [0.0, 1.0]];
        let w = (hi - lo) / res as f64;
        // A lattice of particles at pixel centres (code units), with
        // masses of several sizes.
        let mut pos = Vec::new();
        let mut mass = Vec::new();
        for j in (0..res).step_by(3) {
            for i in (0..res).step_by(2) {
                let c = |k: usize| (lo + (k as f64 + 0.5) * w) * boxlen;
                pos.push([c(i), c(j), 0.5 * boxlen]);
                mass.push(1.0 + (i * 7 + j * 3) as f64);
            }
        }
        let t = table(boxlen, &pos, &mass);
        let maps = project_particles(&t, &spec, Deposit::Cic, &[], &exec).unwrap();
        let m = maps.get("mass").unwrap();
        let area = maps.pixel_area;
        let mut want = vec![0.0; res * res];
        for (k, p) in pos.iter().enumerate() {
            let px = |x: f64| ((x / boxlen - lo) / w).floor() as usize;
            want[px(p[1]) * res + px(p[0])] += mass[k] / area;
        }
        for (q, (&got, &want)) in m.iter().zip(&want).enumerate() {
            if want == 0.0 {
                assert_eq!(
                    got, 0.0,
                    "box {boxlen}, {res} px: pixel {q} holds {got:e}, should be empty"
                );
            } else {
                assert!(
                    (got - want).abs() <= 1e-12 * want,
                    "box {boxlen}, pixel {q}: {got} vs {want}"
                );
            }
        }
        let total: f64 = m.iter().sum::<f64>() * area;
        let mass_in: f64 = mass.iter().sum();
        assert!((total - mass_in).abs() <= 1e-12 * mass_in);
    }
}

/// Particles off the pixel centres are deposited bilinearly as before.
#[test]
fn other_particles_spread_over_four_pixels() {
    let pool = Pool::builder().num_threads(1).build().unwrap();
    let exec = Exec::on(&pool);
    let spec = ProjSpec::whole_box(2, 10, &["mass"], Weight::None);
    // Offsets of 0.3 and 0.25 pixel from the centre of pixel (4, 6).
    let t = table(1.0, &[[0.48, 0.675, 0.5]], &[2.0]);
    let maps = project_particles(&t, &spec, Deposit::Cic, &[], &exec).unwrap();
    let m = maps.get("mass").unwrap();
    let s = 2.0 / maps.pixel_area;
    let at = |i: usize, j: usize| m[j * 10 + i] / s;
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(at(4, 6), 0.7 * 0.75), "{}", at(4, 6));
    assert!(close(at(5, 6), 0.3 * 0.75));
    assert!(close(at(4, 7), 0.7 * 0.25));
    assert!(close(at(5, 7), 0.3 * 0.25));
    assert_eq!(m.iter().filter(|&&v| v != 0.0).count(), 4);
}
