//! Messages between processes as bytes: little-endian numbers, arrays
//! with their length first. Floats travel as their bits, so a value
//! arrives exactly as it was sent.

use amrkit_io::particles::PartColumn;
use amrkit_kernels::derive::StatsPartial;
use amrkit_kernels::phase::PhasePartial;
use amrkit_kernels::profile::ProfilePartial;
use amrkit_kernels::project::Partial;
use amrkit_kernels::summary::StatsParts;

/// Builds a message.
#[derive(Default)]
pub struct Writer {
    /// The bytes so far.
    pub buf: Vec<u8>,
}

impl Writer {
    /// A `u64`.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A length or index.
    pub fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }
    /// An `f64`.
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    /// A slice of `f64`.
    pub fn f64s(&mut self, v: &[f64]) {
        self.usize(v.len());
        self.buf.reserve(8 * v.len());
        for x in v {
            self.f64(*x);
        }
    }
    /// A string.
    pub fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }
}

/// Reads a message; every read fails cleanly on a short message.
pub struct Reader<'a> {
    buf: &'a [u8],
}

/// A message that does not hold what its reader expects.
pub fn malformed() -> String {
    "a message between amrkit processes is malformed (different amrkit builds on the ranks?)".into()
}

impl<'a> Reader<'a> {
    /// Reads `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.buf.len() < n {
            return Err(malformed());
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }
    /// A `u64`.
    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    /// A length or index.
    pub fn usize(&mut self) -> Result<usize, String> {
        usize::try_from(self.u64()?).map_err(|_| malformed())
    }
    /// A length of items of `size` bytes that the rest of the message can
    /// hold (so that a bad length cannot ask for a huge allocation).
    fn len(&mut self, size: usize) -> Result<usize, String> {
        let n = self.usize()?;
        if n.checked_mul(size).is_none_or(|b| b > self.buf.len()) {
            return Err(malformed());
        }
        Ok(n)
    }
    /// An `f64`.
    pub fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_bits(self.u64()?))
    }
    /// A vector of `f64`.
    pub fn f64s(&mut self) -> Result<Vec<f64>, String> {
        let n = self.len(8)?;
        (0..n).map(|_| self.f64()).collect()
    }
    /// A string.
    pub fn str(&mut self) -> Result<String, String> {
        let n = self.len(1)?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| malformed())
    }
    /// Whether the whole message was read.
    pub fn done(&self) -> Result<(), String> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(malformed())
        }
    }
}

/// [`StatsParts`] into `w`.
pub fn put_stats(w: &mut Writer, p: &StatsParts) {
    w.usize(p.cells_per_level.len());
    for &n in &p.cells_per_level {
        w.u64(n);
    }
    w.usize(p.vars.len());
    for v in &p.vars {
        w.usize(v.len());
        for s in v {
            for x in s.to_array() {
                w.f64(x);
            }
        }
    }
    w.f64s(&p.mass);
}

/// [`StatsParts`] from `r`.
pub fn get_stats(r: &mut Reader) -> Result<StatsParts, String> {
    let n = r.len(8)?;
    let cells_per_level = (0..n).map(|_| r.u64()).collect::<Result<_, _>>()?;
    let nv = r.len(8)?;
    let mut vars = Vec::with_capacity(nv);
    for _ in 0..nv {
        let nb = r.len(56)?;
        let mut v = Vec::with_capacity(nb);
        for _ in 0..nb {
            let mut a = [0.0; 7];
            for x in &mut a {
                *x = r.f64()?;
            }
            v.push(StatsPartial::from_array(a));
        }
        vars.push(v);
    }
    Ok(StatsParts {
        cells_per_level,
        vars,
        mass: r.f64s()?,
    })
}

/// Projection partials into `w`.
pub fn put_partials(w: &mut Writer, parts: &[Partial]) {
    w.usize(parts.len());
    for p in parts {
        w.usize(p.i0);
        w.usize(p.j0);
        w.usize(p.nx);
        w.usize(p.ny);
        w.usize(p.acc.len());
        for m in &p.acc {
            w.f64s(m);
        }
        w.f64s(&p.w);
    }
}

/// Projection partials from `r`.
pub fn get_partials(r: &mut Reader) -> Result<Vec<Partial>, String> {
    let n = r.len(48)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let (i0, j0, nx, ny) = (r.usize()?, r.usize()?, r.usize()?, r.usize()?);
        let na = r.len(8)?;
        let acc = (0..na).map(|_| r.f64s()).collect::<Result<_, _>>()?;
        v.push(Partial {
            i0,
            j0,
            nx,
            ny,
            acc,
            w: r.f64s()?,
        });
    }
    Ok(v)
}

/// Profile partials into `w`.
pub fn put_profile_partials(w: &mut Writer, parts: &[ProfilePartial]) {
    w.usize(parts.len());
    for p in parts {
        w.usize(p.nvars);
        w.f64s(&p.data);
    }
}

/// Profile partials from `r`.
pub fn get_profile_partials(r: &mut Reader) -> Result<Vec<ProfilePartial>, String> {
    let n = r.len(16)?;
    (0..n)
        .map(|_| {
            Ok(ProfilePartial {
                nvars: r.usize()?,
                data: r.f64s()?,
            })
        })
        .collect()
}

/// Phase partials into `w`.
pub fn put_phase_partials(w: &mut Writer, parts: &[PhasePartial]) {
    w.usize(parts.len());
    for p in parts {
        w.usize(p.bins.len());
        for &b in &p.bins {
            w.u64(u64::from(b));
        }
        let sums: Vec<f64> = p.sums.iter().flatten().copied().collect();
        w.f64s(&sums);
        w.f64s(&p.outside);
        w.f64s(&p.dropped);
    }
}

/// Phase partials from `r`.
pub fn get_phase_partials(r: &mut Reader) -> Result<Vec<PhasePartial>, String> {
    let n = r.len(32)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let nb = r.len(8)?;
        let bins = (0..nb)
            .map(|_| u32::try_from(r.u64()?).map_err(|_| malformed()))
            .collect::<Result<Vec<u32>, String>>()?;
        let flat = r.f64s()?;
        if flat.len() != 4 * nb {
            return Err(malformed());
        }
        let sums = flat.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
        let outside: [f64; 2] = r.f64s()?.try_into().map_err(|_| malformed())?;
        let dropped: [f64; 4] = r.f64s()?.try_into().map_err(|_| malformed())?;
        v.push(PhasePartial {
            bins,
            sums,
            outside,
            dropped,
        });
    }
    Ok(v)
}

/// Particle columns into `w`.
pub fn put_columns(w: &mut Writer, names: &[String], cols: &[PartColumn]) {
    w.usize(cols.len());
    for (name, c) in names.iter().zip(cols) {
        w.str(name);
        match c {
            PartColumn::F64(v) => {
                w.u64(0);
                w.f64s(v);
            }
            PartColumn::I64(v) => {
                w.u64(1);
                w.usize(v.len());
                for x in v {
                    w.u64(*x as u64);
                }
            }
            PartColumn::I8(v) => {
                w.u64(2);
                w.usize(v.len());
                w.buf.extend(v.iter().map(|&x| x as u8));
            }
        }
    }
}

/// Particle columns from `r`.
pub fn get_columns(r: &mut Reader) -> Result<(Vec<String>, Vec<PartColumn>), String> {
    let n = r.len(16)?;
    let (mut names, mut cols) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        names.push(r.str()?);
        cols.push(match r.u64()? {
            0 => PartColumn::F64(r.f64s()?),
            1 => {
                let k = r.len(8)?;
                PartColumn::I64(
                    (0..k)
                        .map(|_| r.u64().map(|x| x as i64))
                        .collect::<Result<_, _>>()?,
                )
            }
            2 => {
                let k = r.len(1)?;
                PartColumn::I8(r.take(k)?.iter().map(|&x| x as i8).collect())
            }
            _ => return Err(malformed()),
        });
    }
    Ok((names, cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_exactly_and_short_ones_fail() {
        let stats = StatsParts {
            cells_per_level: vec![0, 3, 7],
            vars: vec![vec![
                StatsPartial::EMPTY,
                StatsPartial::from_array([1.0, 2.0, -0.0, 1e-300, f64::NAN, 5.0, 3.0]),
            ]],
            mass: vec![0.1, 0.2],
        };
        let parts = vec![Partial {
            i0: 3,
            j0: 4,
            nx: 1,
            ny: 2,
            acc: vec![vec![1.5, -2.5]],
            w: vec![],
        }];
        let names = vec!["mass".to_string(), "id".into(), "family".into()];
        let cols = vec![
            PartColumn::F64(vec![1.0]),
            PartColumn::I64(vec![-7]),
            PartColumn::I8(vec![-1]),
        ];
        let mut w = Writer::default();
        put_stats(&mut w, &stats);
        put_partials(&mut w, &parts);
        put_columns(&mut w, &names, &cols);
        let mut r = Reader::new(&w.buf);
        let s2 = get_stats(&mut r).unwrap();
        assert_eq!(s2.cells_per_level, stats.cells_per_level);
        let bits = |s: &StatsParts| -> Vec<u64> {
            s.vars
                .iter()
                .flatten()
                .flat_map(|p| p.to_array())
                .map(f64::to_bits)
                .collect()
        };
        assert_eq!(bits(&s2), bits(&stats));
        assert_eq!(get_partials(&mut r).unwrap(), parts);
        assert_eq!(get_columns(&mut r).unwrap(), (names, cols));
        r.done().unwrap();
        let prof = vec![ProfilePartial {
            nvars: 1,
            data: vec![1.0, -0.0, f64::NAN, 3.5, 1e-300],
        }];
        let ph = vec![PhasePartial {
            bins: vec![0, 7, u32::MAX],
            sums: vec![[1.0, 2.0, 3.0, 4.0], [5.0; 4], [-1.0; 4]],
            outside: [2.0, 0.5],
            dropped: [1.0, 0.25, 1.0, 0.0],
        }];
        let mut w = Writer::default();
        put_profile_partials(&mut w, &prof);
        put_phase_partials(&mut w, &ph);
        let mut r = Reader::new(&w.buf);
        let back = get_profile_partials(&mut r).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back[0].data), bits(&prof[0].data));
        assert_eq!(get_phase_partials(&mut r).unwrap(), ph);
        r.done().unwrap();
        for cut in [1, 17, w.buf.len() - 1] {
            let mut r = Reader::new(&w.buf[..cut]);
            let ok = get_profile_partials(&mut r).and_then(|_| get_phase_partials(&mut r));
            assert!(ok.is_err(), "a message cut at {cut} bytes was read");
        }
        for cut in [1, 9, w.buf.len() / 2, w.buf.len() - 1] {
            let mut r = Reader::new(&w.buf[..cut]);
            let ok = get_stats(&mut r)
                .and_then(|_| get_partials(&mut r))
                .and_then(|_| get_columns(&mut r));
            assert!(ok.is_err(), "a message cut at {cut} bytes was read");
        }
    }
}
