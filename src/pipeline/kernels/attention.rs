//! Softmax and memory-efficient attention: queries are processed in chunks so a score matrix
//! is at most `chunk × n_kv` (the VAE's 4096×4096 map, 64 MiB per head, never exists whole).

use super::gemm::{gemm, Bias, Isa, Par, Strided};
use super::simd::{self, multiversion, LANES};
use rayon::prelude::*;
use std::cell::RefCell;

/// Score-matrix budget per task, in floats (1 MiB: stays in L2 between the two products).
const SCORE_FLOATS: usize = 1 << 18;

multiversion! {
    /// Row-wise `softmax(scale · x)` in place over rows of `cols` values.
    fn softmax_rows_seq(data: &mut [f32], cols: usize, scale: f32) {
        for row in data.chunks_exact_mut(cols) {
            let mut lm = [f32::NEG_INFINITY; LANES];
            let mut it = row.chunks_exact(LANES);
            for ch in &mut it {
                for l in 0..LANES {
                    lm[l] = lm[l].max(ch[l]);
                }
            }
            let mut m = it.remainder().iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            for v in lm {
                m = m.max(v);
            }
            // Scale ≥ 0, so the largest scaled score comes from the largest raw score.
            let sm = m * scale;
            let mut ls = [0f32; LANES];
            let mut it = row.chunks_exact_mut(LANES);
            for ch in &mut it {
                for l in 0..LANES {
                    let e = simd::exp(ch[l] * scale - sm);
                    ch[l] = e;
                    ls[l] += e;
                }
            }
            let mut s = 0f32;
            for v in it.into_remainder() {
                *v = simd::exp(*v * scale - sm);
                s += *v;
            }
            s += ls.iter().sum::<f32>();
            let inv = 1.0 / s;
            for v in row.iter_mut() {
                *v *= inv;
            }
        }
    }
}

/// Row-wise `softmax(scale · x)` in place; `scale` must be ≥ 0.
pub fn softmax_rows(isa: Isa, data: &mut [f32], cols: usize, scale: f32) {
    assert!(cols > 0 && data.len().is_multiple_of(cols));
    assert!(scale >= 0.0, "softmax scale must not be negative");
    let rows_per_task = (1usize << 16).div_ceil(cols).max(1);
    data.par_chunks_mut(rows_per_task * cols)
        .for_each(|c| softmax_rows_seq(isa, c, cols, scale));
}

/// Where one `(batch·head)` slice of q, k or v lives: a strided `n × d` matrix.
#[derive(Debug, Clone, Copy)]
pub struct HeadView<'a> {
    pub data: &'a [f32],
    /// Offset of head `h` is `base + h·head_stride`, for `h` in `0..heads`.
    pub base: usize,
    pub head_stride: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> HeadView<'a> {
    fn head(&self, h: usize) -> Strided<'a> {
        Strided {
            data: &self.data[self.base + h * self.head_stride..],
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    fn rows_from(&self, h: usize, r0: usize, n: usize) -> Strided<'a> {
        let full = self.head(h);
        Strided {
            data: &full.data[r0 * self.row_stride..],
            rows: n,
            ..full
        }
    }
}

thread_local! {
    static SCORES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// `softmax(scale · q kᵀ) v` for `heads` independent heads.
///
/// q: `heads × [n_q, d]`, k: `heads × [n_kv, d]`, v: `heads × [n_kv, d_v]`, out:
/// `[heads, n_q, d_v]` contiguous. `scale` must be ≥ 0 (usually `1/√d`).
pub fn attention(
    isa: Isa,
    heads: usize,
    q: &HeadView,
    k: &HeadView,
    v: &HeadView,
    scale: f32,
    out: &mut [f32],
) {
    let (nq, d) = (q.rows, q.cols);
    let (nk, dv) = (k.rows, v.cols);
    assert_eq!(k.cols, d, "q and k head sizes differ");
    assert_eq!(v.rows, nk, "k and v lengths differ");
    assert_eq!(out.len(), heads * nq * dv);
    if nq == 0 || dv == 0 {
        return;
    }
    let chunk = (SCORE_FLOATS / nk.max(1)).clamp(12, 1024).min(nq);
    out.par_chunks_mut(nq * dv).enumerate().for_each(|(h, oh)| {
        oh.par_chunks_mut(chunk * dv)
            .enumerate()
            .for_each(|(ci, oc)| {
                let q0 = ci * chunk;
                let n = oc.len() / dv;
                let qc = q.rows_from(h, q0, n);
                let kt = k.head(h);
                let kt = Strided {
                    rows: kt.cols,
                    cols: kt.rows,
                    row_stride: kt.col_stride,
                    col_stride: kt.row_stride,
                    ..kt
                };
                SCORES.with_borrow_mut(|s| {
                    s.resize(n * nk, 0.0);
                    if nk == 0 {
                        oc.fill(0.0);
                        return;
                    }
                    gemm(isa, &qc, &kt, Bias::None, s, Par::Sequential);
                    softmax_rows_seq(isa, s, nk, scale);
                    let p = Strided::row_major(s, n, nk);
                    gemm(isa, &p, &v.head(h), Bias::None, oc, Par::Sequential);
                });
            });
    });
}
