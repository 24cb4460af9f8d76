//! Chunk encoding: the points of one series over one period, stored column by column.
//!
//! DSL figures are decimals that stay put for hours (rates, attenuation, power) or move in
//! 0.1 dB steps (SNR), and error deltas are mostly 0. So each column is turned into integers
//! (timestamps in ms; values scaled by the smallest power of ten that keeps them exact),
//! delta-encoded (timestamps twice, so a steady poll interval becomes zeros), and runs of
//! equal deltas are collapsed, all as LEB128 varints. A constant series costs a few bytes per
//! chunk, a 30-second clock one or two bytes per point.
//!
//! Written here rather than taken from a crate: the Gorilla crates (`tsz`) are unmaintained
//! and spend ~50 bits on every 0.1 dB step of a decimal value; `pco` compresses whole arrays
//! well but carries a per-chunk header larger than our hourly chunks. This is ~150 lines.

use super::rollup::{Agg, Bucket};

const VERSION: u8 = 1;
/// No chunk holds more points than this: a larger count is damage, not data.
const MAX_POINTS: u64 = 1 << 20;
/// Column header for values kept as raw IEEE bits (no decimal scale fits them).
const RAW_BITS: u8 = 0xff;
/// The most decimals tried. Latency in seconds needs 6 (µs); 9 leaves room.
const MAX_DECIMALS: u8 = 9;
/// A decimal encoding may differ from the value by this much, relative: float noise from
/// summing decimals (15.2 + 15.3 = 30.499999999999996), not information.
const TOLERANCE: f64 = 1e-12;

#[derive(Debug, PartialEq, Eq)]
pub struct CodecError(pub &'static str);

/// The points of a raw chunk: (time in ms, value).
pub fn encode_raw(points: &[(i64, f64)]) -> Vec<u8> {
    let mut out = header(points.len());
    put_ints(&mut out, points.iter().map(|p| p.0), 2);
    put_floats(&mut out, &points.iter().map(|p| p.1).collect::<Vec<_>>());
    out
}

pub fn decode_raw(data: &[u8]) -> Result<Vec<(i64, f64)>, CodecError> {
    let mut r = Reader::new(data)?;
    let n = r.count()?;
    let at = r.ints(n, 2)?;
    let values = r.floats(n)?;
    r.end()?;
    Ok(at.into_iter().zip(values).collect())
}

/// The buckets of a rollup chunk.
pub fn encode_rollup(buckets: &[Bucket]) -> Vec<u8> {
    let mut out = header(buckets.len());
    put_ints(&mut out, buckets.iter().map(|b| b.at), 2);
    put_ints(&mut out, buckets.iter().map(|b| b.agg.count as i64), 1);
    for column in [|a: &Agg| a.min, |a: &Agg| a.max, |a: &Agg| a.sum] {
        put_floats(&mut out, &buckets.iter().map(|b| column(&b.agg)).collect::<Vec<_>>());
    }
    out
}

pub fn decode_rollup(data: &[u8]) -> Result<Vec<Bucket>, CodecError> {
    let mut r = Reader::new(data)?;
    let n = r.count()?;
    let at = r.ints(n, 2)?;
    let count = r.ints(n, 1)?;
    let (min, max, sum) = (r.floats(n)?, r.floats(n)?, r.floats(n)?);
    r.end()?;
    Ok((0..n)
        .map(|i| Bucket { at: at[i], agg: Agg { count: count[i] as u64, min: min[i], max: max[i], sum: sum[i] } })
        .collect())
}

fn header(n: usize) -> Vec<u8> {
    let mut out = vec![VERSION];
    put_varint(&mut out, n as u128);
    out
}

/// Integers as deltas of the given order, equal consecutive deltas as one run. Each token is
/// `zigzag(delta) << 1 | has_run`, followed by `run - 2` when it has one.
fn put_ints(out: &mut Vec<u8>, values: impl Iterator<Item = i64>, order: u8) {
    let mut deltas: Vec<i64> = values.collect();
    for _ in 0..order {
        let mut previous = 0i64;
        for d in deltas.iter_mut() {
            (*d, previous) = (d.wrapping_sub(previous), *d);
        }
    }
    let mut i = 0;
    while i < deltas.len() {
        let run = deltas[i..].iter().take_while(|&&d| d == deltas[i]).count();
        let token = u128::from(zigzag(deltas[i])) << 1;
        if run > 1 {
            put_varint(out, token | 1);
            put_varint(out, (run - 2) as u128);
        } else {
            put_varint(out, token);
        }
        i += run;
    }
}

/// Floats as scaled integers when a decimal scale keeps them (one header byte: the number of
/// decimals), else as their raw bits.
fn put_floats(out: &mut Vec<u8>, values: &[f64]) {
    match decimals(values) {
        Some(k) => {
            let scale = 10f64.powi(i32::from(k));
            out.push(k);
            put_ints(out, values.iter().map(|v| (v * scale).round() as i64), 1);
        }
        None => {
            out.push(RAW_BITS);
            put_ints(out, values.iter().map(|v| v.to_bits() as i64), 1);
        }
    }
}

/// The fewest decimals that represent every value (within float noise).
fn decimals(values: &[f64]) -> Option<u8> {
    const EXACT: f64 = (1u64 << 53) as f64;
    (0..=MAX_DECIMALS).find(|&k| {
        let scale = 10f64.powi(i32::from(k));
        values.iter().all(|&v| {
            let n = (v * scale).round();
            n.abs() < EXACT && (n / scale - v).abs() <= v.abs() * TOLERANCE
        })
    })
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Result<Reader<'a>, CodecError> {
        match data.split_first() {
            Some((&VERSION, rest)) => Ok(Reader { data: rest }),
            Some(_) => Err(CodecError("unknown chunk version")),
            None => Err(CodecError("empty chunk")),
        }
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let (&b, rest) = self.data.split_first().ok_or(CodecError("chunk ends early"))?;
        self.data = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u128, CodecError> {
        let mut v = 0u128;
        for shift in (0..128).step_by(7) {
            let b = self.byte()?;
            v |= u128::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError("varint too long"))
    }

    fn count(&mut self) -> Result<usize, CodecError> {
        match self.varint()? {
            n if n <= u128::from(MAX_POINTS) => Ok(n as usize),
            _ => Err(CodecError("absurd point count")),
        }
    }

    fn ints(&mut self, n: usize, order: u8) -> Result<Vec<i64>, CodecError> {
        let mut values = Vec::with_capacity(n);
        while values.len() < n {
            let token = self.varint()?;
            let delta = unzigzag(u64::try_from(token >> 1).map_err(|_| CodecError("delta out of range"))?);
            let run = if token & 1 == 1 { self.count()? + 2 } else { 1 };
            if run > n - values.len() {
                return Err(CodecError("run past the end of the chunk"));
            }
            values.extend(std::iter::repeat_n(delta, run));
        }
        for _ in 0..order {
            let mut sum = 0i64;
            for v in values.iter_mut() {
                sum = sum.wrapping_add(*v);
                *v = sum;
            }
        }
        Ok(values)
    }

    fn floats(&mut self, n: usize) -> Result<Vec<f64>, CodecError> {
        match self.byte()? {
            RAW_BITS => Ok(self.ints(n, 1)?.into_iter().map(|b| f64::from_bits(b as u64)).collect()),
            k if k <= MAX_DECIMALS => {
                let scale = 10f64.powi(i32::from(k));
                Ok(self.ints(n, 1)?.into_iter().map(|v| v as f64 / scale).collect())
            }
            _ => Err(CodecError("unknown value encoding")),
        }
    }

    fn end(&self) -> Result<(), CodecError> {
        if self.data.is_empty() { Ok(()) } else { Err(CodecError("trailing bytes after the chunk")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_polls_of_a_constant_cost_a_few_bytes() {
        let points: Vec<(i64, f64)> = (0..120).map(|i| (1_700_000_000_000 + i * 30_000, 100_000_000.0)).collect();
        let data = encode_raw(&points);
        assert!(data.len() <= 26, "{} bytes", data.len());
        assert_eq!(decode_raw(&data).unwrap(), points);
    }

    #[test]
    fn decimals_come_back_exactly() {
        let values = [15.2, 15.3, -2.2, 0.0, 0.000_25, 1e9, 12.345_678];
        let points: Vec<(i64, f64)> = values.iter().enumerate().map(|(i, &v)| (i as i64 * 29_987, v)).collect();
        let back = decode_raw(&encode_raw(&points)).unwrap();
        for ((_, a), (_, b)) in points.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits(), "{a} came back as {b}");
        }
    }

    #[test]
    fn values_with_no_decimal_form_keep_their_bits() {
        let values = [1.0 / 3.0, f64::MAX, f64::MIN_POSITIVE, -1e300, 2.0];
        let points: Vec<(i64, f64)> = values.iter().enumerate().map(|(i, &v)| (i as i64, v)).collect();
        assert_eq!(decode_raw(&encode_raw(&points)).unwrap(), points);
    }

    #[test]
    fn sums_of_decimals_lose_only_float_noise() {
        let sum = 15.2 + 15.3; // 30.499999999999996
        let back = decode_raw(&encode_raw(&[(0, sum)])).unwrap()[0].1;
        assert_eq!(back, 30.5);
    }

    #[test]
    fn extreme_times_and_counts_round_trip() {
        let points = vec![(i64::MIN, 0.0), (i64::MAX, 1.0), (0, 2.0), (-5, 3.0)];
        assert_eq!(decode_raw(&encode_raw(&points)).unwrap(), points);
        let buckets = vec![
            Bucket { at: 0, agg: Agg { count: 10, min: 1.5, max: 2.5, sum: 20.0 } },
            Bucket { at: 300_000, agg: Agg { count: u32::MAX as u64, min: -1.0, max: 1.0, sum: 0.1 + 0.2 } },
        ];
        let back = decode_rollup(&encode_rollup(&buckets)).unwrap();
        assert_eq!(back[0], buckets[0]);
        assert_eq!((back[1].agg.count, back[1].agg.sum), (u32::MAX as u64, 0.3));
    }

    #[test]
    fn damaged_chunks_are_errors_not_panics() {
        let data = encode_raw(&[(1, 1.0), (2, 2.5), (3, 4.0)]);
        for len in 0..data.len() {
            assert!(decode_raw(&data[..len]).is_err(), "truncated to {len}");
        }
        assert!(decode_raw(&[VERSION, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
        assert!(decode_raw(&[VERSION, 3, 0x03, 0x7f]).is_err(), "run past the end");
        assert!(decode_raw(&[9, 0]).is_err(), "unknown version");
        let mut junk = data.clone();
        junk.push(0);
        assert!(decode_raw(&junk).is_err());
    }
}
