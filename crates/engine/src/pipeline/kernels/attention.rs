//! Softmax and memory-efficient attention: queries are processed in chunks so a score matrix
//! is at most `chunk × n_kv` (the VAE's 4096×4096 map, 64 MiB per head, never exists whole).

use super::gemm::{gemm_packed, Bias, Isa, PackedA, Par, Strided};
use super::simd::{self, multiversion, LANES};
use rayon::prelude::*;
use std::cell::RefCell;

/// Score-matrix budget per task, in floats: what the L2 of the CPUs running each path keeps
/// while the scores are written, exponentiated and read back. Server cores with AVX-512 have
/// 1-2 MiB (2 MiB: 128 queries against 4096 keys); AVX2 desktops and Zen 2/3 have 256-512 KiB,
/// where 256 KiB made the SD UNet's self-attention 10-20% faster than 2 MiB (BENCHMARKS.md).
fn score_budget(isa: Isa) -> usize {
    match isa {
        Isa::Avx512 => 1 << 19,
        Isa::Avx2Fma | Isa::Portable => 1 << 16,
    }
}

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
    static OUT_T: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

multiversion! {
    /// Softmax down each column of `st` (`rows × n`, one column per query) in place, leaving
    /// the exponentials unnormalised and their column sums in `colsum`: the sums are divided
    /// out of the (much smaller) output instead.
    fn softmax_cols(st: &mut [f32], n: usize, scale: f32, colmax: &mut [f32], colsum: &mut [f32]) {
        colmax.fill(f32::NEG_INFINITY);
        for row in st.chunks_exact(n) {
            for (m, v) in colmax.iter_mut().zip(row) {
                *m = m.max(*v);
            }
        }
        for m in colmax.iter_mut() {
            *m *= scale;
        }
        colsum.fill(0.0);
        for row in st.chunks_exact_mut(n) {
            for ((v, m), s) in row.iter_mut().zip(colmax.iter()).zip(colsum.iter_mut()) {
                let e = simd::exp(*v * scale - *m);
                *v = e;
                *s += e;
            }
        }
    }
}

/// `softmax(scale · q kᵀ) v` for `heads` independent heads.
///
/// q: `heads × [n_q, d]`, k: `heads × [n_kv, d]`, v: `heads × [n_kv, d_v]`, out:
/// `[heads, n_q, d_v]` contiguous. `scale` must be ≥ 0 (usually `1/√d`).
///
/// Works transposed, `Sᵀ = K Qᵀ` and `Oᵀ = Vᵀ softmax(Sᵀ)`, so each head's keys and values
/// are packed once for all its query chunks and the per-chunk packing is only the small `Qᵀ`
/// and the score rows, which are already in the order the product reads them.
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
    assert!(scale >= 0.0, "attention scale must not be negative");
    if nq == 0 || dv == 0 {
        return;
    }
    if nk == 0 {
        out.fill(0.0);
        return;
    }
    // Every chunk reads all of the head's keys and values again, so wide heads need more
    // queries per chunk to pay for it: (d + d_v)/8 gives the 128 measured best for the VAE's
    // 512-wide head and the 16 for the UNet's 64-wide ones.
    let fewest = ((d + dv) / 8).clamp(16, 1024);
    let chunk = (score_budget(isa) / nk).clamp(fewest, 1024).min(nq);
    out.par_chunks_mut(nq * dv).enumerate().for_each(|(h, oh)| {
        let kp = PackedA::new(isa, &k.head(h), Par::Sequential);
        let vh = v.head(h);
        let vt = Strided {
            rows: vh.cols,
            cols: vh.rows,
            row_stride: vh.col_stride,
            col_stride: vh.row_stride,
            ..vh
        };
        let vp = PackedA::new(isa, &vt, Par::Sequential);
        oh.par_chunks_mut(chunk * dv)
            .enumerate()
            .for_each(|(ci, oc)| {
                let n = oc.len() / dv;
                let qc = q.rows_from(h, ci * chunk, n);
                let qt = Strided {
                    rows: d,
                    cols: n,
                    row_stride: qc.col_stride,
                    col_stride: qc.row_stride,
                    ..qc
                };
                SCORES.with_borrow_mut(|st| {
                    OUT_T.with_borrow_mut(|ot| {
                        st.resize(nk * n + 2 * n, 0.0);
                        ot.resize(dv * n, 0.0);
                        let (st, stats) = st.split_at_mut(nk * n);
                        let (colmax, colsum) = stats.split_at_mut(n);
                        gemm_packed(&kp, &qt, Bias::None, st, Par::Sequential);
                        softmax_cols(isa, st, n, scale, colmax, colsum);
                        let e = Strided::row_major(st, nk, n);
                        gemm_packed(&vp, &e, Bias::None, ot, Par::Sequential);
                        for (i, row) in oc.chunks_exact_mut(dv).enumerate() {
                            let inv = 1.0 / colsum[i];
                            for (j, o) in row.iter_mut().enumerate() {
                                *o = ot[j * n + i] * inv;
                            }
                        }
                    })
                });
            });
    });
}
