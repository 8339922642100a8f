//! Group normalisation in two memory passes (statistics, then scale-and-shift with an optional
//! SiLU fused in), parallel over `(batch, group)`.

use super::gemm::Isa;
use super::simd::{self, multiversion, LANES};
use rayon::prelude::*;

/// Shape and options of one group norm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupNormParams {
    pub batch: usize,
    pub channels: usize,
    /// Elements per channel (h·w).
    pub spatial: usize,
    pub groups: usize,
    pub eps: f32,
    /// Apply `x σ(x)` to the result, as diffusers' ResNet blocks do right after each norm.
    pub silu: bool,
}

multiversion! {
    /// `(Σ (x-shift), Σ (x-shift)²)`; the shift keeps E[x²]-E[x]² from cancelling when the
    /// mean is large, and f32 lanes are flushed into f64 every block.
    fn shifted_sums(x: &[f32], shift: f32) -> (f64, f64) {
        let (mut s, mut q) = (0f64, 0f64);
        for block in x.chunks(4096) {
            let mut ls = [0f32; LANES];
            let mut lq = [0f32; LANES];
            let mut it = block.chunks_exact(LANES);
            for ch in &mut it {
                for l in 0..LANES {
                    let d = ch[l] - shift;
                    ls[l] += d;
                    lq[l] += d * d;
                }
            }
            for &v in it.remainder() {
                let d = v - shift;
                s += d as f64;
                q += (d * d) as f64;
            }
            s += ls.iter().map(|&v| v as f64).sum::<f64>();
            q += lq.iter().map(|&v| v as f64).sum::<f64>();
        }
        (s, q)
    }
}

multiversion! {
    /// `y = (x - mean)·a + b`, then SiLU if asked. Subtracting first keeps precision when
    /// the spread is small next to the mean.
    fn scale_shift(x: &[f32], y: &mut [f32], mean: f32, a: f32, b: f32, silu: bool) {
        if silu {
            for (yv, xv) in y.iter_mut().zip(x) {
                *yv = simd::silu((xv - mean) * a + b);
            }
        } else {
            for (yv, xv) in y.iter_mut().zip(x) {
                *yv = (xv - mean) * a + b;
            }
        }
    }
}

/// Group norm over `x: [batch, channels, spatial]` with per-channel `gamma`, `beta`, written to
/// `out` (same shape), statistics accumulated in f64, biased variance as in PyTorch.
pub fn group_norm(
    isa: Isa,
    p: &GroupNormParams,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    out: &mut [f32],
) {
    assert!(
        p.groups > 0 && p.channels.is_multiple_of(p.groups),
        "channels must split into groups"
    );
    assert_eq!(x.len(), p.batch * p.channels * p.spatial);
    assert_eq!(out.len(), x.len());
    assert_eq!(gamma.len(), p.channels);
    assert_eq!(beta.len(), p.channels);
    let cpg = p.channels / p.groups;
    let len = cpg * p.spatial;
    if len == 0 {
        return;
    }
    out.par_chunks_mut(len)
        .zip(x.par_chunks(len))
        .enumerate()
        .for_each(|(i, (o, xg))| {
            let g = i % p.groups;
            let head = &xg[..xg.len().min(64)];
            let shift = head.iter().sum::<f32>() / head.len() as f32;
            let (s, q) = shifted_sums(isa, xg, shift);
            let n = len as f64;
            let mean_d = s / n;
            let var = (q / n - mean_d * mean_d).max(0.0);
            let mean = shift as f64 + mean_d;
            let rstd = 1.0 / (var + p.eps as f64).sqrt();
            for c in 0..cpg {
                let ch = g * cpg + c;
                let a = rstd * gamma[ch] as f64;
                let r = c * p.spatial..(c + 1) * p.spatial;
                let (m, a, b) = (mean as f32, a as f32, beta[ch]);
                scale_shift(isa, &xg[r.clone()], &mut o[r], m, a, b, p.silu);
            }
        });
}

multiversion! {
    fn silu_slice(x: &[f32], y: &mut [f32]) {
        for (yv, xv) in y.iter_mut().zip(x) {
            *yv = simd::silu(*xv);
        }
    }
}

/// `y = x σ(x)` element-wise, in parallel.
pub fn silu(isa: Isa, x: &[f32], out: &mut [f32]) {
    assert_eq!(x.len(), out.len());
    out.par_chunks_mut(1 << 16)
        .zip(x.par_chunks(1 << 16))
        .for_each(|(o, xi)| silu_slice(isa, xi, o));
}

multiversion! {
    fn gelu_slice(x: &[f32], y: &mut [f32]) {
        for (yv, xv) in y.iter_mut().zip(x) {
            *yv = simd::gelu(*xv);
        }
    }
}

/// `y = x Φ(x)` (the exact GELU) element-wise, in parallel.
pub fn gelu(isa: Isa, x: &[f32], out: &mut [f32]) {
    assert_eq!(x.len(), out.len());
    out.par_chunks_mut(1 << 16)
        .zip(x.par_chunks(1 << 16))
        .for_each(|(o, xi)| gelu_slice(isa, xi, o));
}

multiversion! {
    /// The largest value of `x` (NaN ignored), `-inf` when empty; lanes so it vectorises.
    fn row_max(x: &[f32]) -> f32 {
        let mut lm = [f32::NEG_INFINITY; LANES];
        let mut it = x.chunks_exact(LANES);
        for ch in &mut it {
            for l in 0..LANES {
                lm[l] = if ch[l] > lm[l] { ch[l] } else { lm[l] };
            }
        }
        it.remainder()
            .iter()
            .chain(&lm)
            .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
    }
}

multiversion! {
    /// `Σ e^(x - max)`, f32 lanes flushed into f64 every block.
    fn exp_sum(x: &[f32], max: f32) -> f64 {
        let mut s = 0f64;
        for block in x.chunks(4096) {
            let mut ls = [0f32; LANES];
            let mut it = block.chunks_exact(LANES);
            for ch in &mut it {
                for l in 0..LANES {
                    ls[l] += simd::exp(ch[l] - max);
                }
            }
            for &v in it.remainder() {
                s += simd::exp(v - max) as f64;
            }
            s += ls.iter().map(|&v| v as f64).sum::<f64>();
        }
        s
    }
}

multiversion! {
    fn shift_in_place(x: &mut [f32], by: f32) {
        for v in x.iter_mut() {
            *v -= by;
        }
    }
}

/// `log_softmax` of one row in place, as torch computes it: `x - max - ln Σ e^(x - max)`. A
/// row of only `-inf` is left as it is (torch gives NaN there; either way nothing in it can be
/// chosen). A translator runs this over its whole vocabulary for every beam and step, where
/// the scalar f64 `exp` it replaces cost a tenth of each step.
pub fn log_softmax(isa: Isa, row: &mut [f32]) {
    let max = row_max(isa, row);
    if max == f32::NEG_INFINITY {
        return;
    }
    // `-inf` entries clamp to e^-87 in `simd::exp`: next to the maximum's e^0 = 1 even a whole
    // vocabulary of them changes the sum by less than one f32 ulp.
    let log_sum = exp_sum(isa, row, max).ln() as f32;
    // Two subtractions, not one by `max + log_sum`, to round as torch does.
    shift_in_place(isa, row, max);
    shift_in_place(isa, row, log_sum);
}
