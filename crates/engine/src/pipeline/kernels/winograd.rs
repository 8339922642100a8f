//! 3×3 stride-1 convolution by Winograd F(m×m, 3×3), for m = 2 or 4: each m×m output tile
//! costs (m+2)² multiplies per (in, out) channel pair instead of 9m², i.e. 2.25× (F(2,3)) or
//! 4× (F(4,3)) fewer than the implicit GEMM in `conv.rs`. The work becomes (m+2)² independent
//! matrix products `M_t[out, tiles] = U_t[out, in] · V_t[in, tiles]` (one per position `t` of
//! the transformed tile) run on the existing GEMM, with the weights `U_t` transformed and
//! packed once and the image transformed a band of tile rows at a time so the transformed copy
//! stays small.
//!
//! Rounding: F(2,3)'s transforms only add and halve, which keeps results within ~1e-6
//! relative of the direct convolution; F(4,3)'s use the points 0, ±1, ±2 (factors up to 8 and
//! 1/24), measured at 1-3e-6 relative at the VAE's sizes, still far inside the 1e-4 parity bar.

use super::conv::ConvGeometry;
use super::gemm::{gemm_packed, Bias, Isa, PackedA, Par, Strided};
use super::simd::multiversion;
use rayon::prelude::*;

/// Largest input patch side (F(4,3): 6).
const A_MAX: usize = 6;
/// Largest output tile side.
const M_MAX: usize = 4;
/// Bytes budget for one transformed band (`(m+2)² × channels × tiles` floats), so the image's
/// and the products' transformed copies together stay a few tens of MiB at any size.
const BAND_BYTES: usize = 32 << 20;

/// One Winograd algorithm F(m×m, 3×3): `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for an `a × a` input
/// patch `d` (`a = m + 2`) and an `m × m` output tile `Y` (Lavin & Gray's matrices).
#[derive(Debug)]
pub struct Tiling {
    m: usize,
    a: usize,
    /// `Bᵀ`, `a × a`.
    bt: [[f64; A_MAX]; A_MAX],
    /// `G`, `a × 3`.
    g: [[f64; 3]; A_MAX],
    /// `Aᵀ`, `m × a`.
    at: [[f64; A_MAX]; M_MAX],
}

/// F(2×2, 3×3): 16 products, transforms of ±1 and ½ only.
pub static F2: Tiling = Tiling {
    m: 2,
    a: 4,
    bt: [
        [1., 0., -1., 0., 0., 0.],
        [0., 1., 1., 0., 0., 0.],
        [0., -1., 1., 0., 0., 0.],
        [0., 1., 0., -1., 0., 0.],
        [0.; 6],
        [0.; 6],
    ],
    g: [
        [1., 0., 0.],
        [0.5, 0.5, 0.5],
        [0.5, -0.5, 0.5],
        [0., 0., 1.],
        [0.; 3],
        [0.; 3],
    ],
    at: [
        [1., 1., 1., 0., 0., 0.],
        [0., 1., -1., -1., 0., 0.],
        [0.; 6],
        [0.; 6],
    ],
};

/// F(4×4, 3×3): 36 products for 16 outputs (2.25 multiplies per output against F(2,3)'s 4),
/// so the products shrink by 44% and the transformed copies by 44% as well.
pub static F4: Tiling = Tiling {
    m: 4,
    a: 6,
    bt: [
        [4., 0., -5., 0., 1., 0.],
        [0., -4., -4., 1., 1., 0.],
        [0., 4., -4., -1., 1., 0.],
        [0., -2., -1., 2., 1., 0.],
        [0., 2., -1., -2., 1., 0.],
        [0., 4., 0., -5., 0., 1.],
    ],
    g: [
        [1. / 4., 0., 0.],
        [-1. / 6., -1. / 6., -1. / 6.],
        [-1. / 6., 1. / 6., -1. / 6.],
        [1. / 24., 1. / 12., 1. / 6.],
        [1. / 24., -1. / 12., 1. / 6.],
        [0., 0., 1.],
    ],
    at: [
        [1., 1., 1., 1., 1., 0.],
        [0., 1., -1., 2., -2., 0.],
        [0., 1., 1., 4., 4., 0.],
        [0., 1., -1., 8., -8., 1.],
    ],
};

impl Tiling {
    /// Positions in a transformed tile: the number of products.
    fn positions(&self) -> usize {
        self.a * self.a
    }
}

/// `dst = Σ_k coef[k] · src(k)` over whole tile rows; zero coefficients are skipped, and the
/// first term assigns so `dst` needs no clearing. Rows are contiguous, so this vectorises
/// (inlined into the transforms, which are compiled for each instruction set).
#[inline(always)]
fn combine<'s>(dst: &mut [f32], coef: &[f64], src: impl Fn(usize) -> &'s [f32]) {
    let mut first = true;
    for (k, &c) in coef.iter().enumerate() {
        if c == 0.0 {
            continue;
        }
        let (c, s) = (c as f32, src(k));
        if first {
            for (d, v) in dst.iter_mut().zip(s) {
                *d = c * v;
            }
            first = false;
        } else {
            for (d, v) in dst.iter_mut().zip(s) {
                *d += c * v;
            }
        }
    }
    if first {
        dst.fill(0.0);
    }
}

/// A 3×3 convolution weight `[out, in, 3, 3]` transformed to the `(m+2)²` matrices
/// `U_t = (G g Gᵀ)_t` `[out, in]`, each packed for the GEMM.
#[derive(Debug)]
pub struct WinogradWeights {
    tiling: &'static Tiling,
    u: Vec<PackedA>,
    out_channels: usize,
    in_channels: usize,
}

impl WinogradWeights {
    /// weight: `[out, in, 3, 3]`, contiguous.
    pub fn new(
        isa: Isa,
        tiling: &'static Tiling,
        weight: &[f32],
        out_channels: usize,
        in_channels: usize,
    ) -> Self {
        assert_eq!(weight.len(), out_channels * in_channels * 9);
        let (a, t) = (tiling.a, tiling.positions());
        let oc = out_channels * in_channels;
        let mut u = vec![0f32; t * oc];
        let up = SharedMut(u.as_mut_ptr());
        // Every thread: this runs while the model loads (≈ 0.5 s for the SD VAE's on one
        // thread).
        weight.par_chunks_exact(9).enumerate().for_each(|(idx, g)| {
            // In f64, so F(4,3)'s sixths and twenty-fourths round once, at the end.
            let mut gg = [[0f64; 3]; A_MAX];
            for (i, row) in gg.iter_mut().enumerate().take(a) {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = (0..3).map(|k| tiling.g[i][k] * g[3 * k + j] as f64).sum();
                }
            }
            for (i, row) in gg.iter().enumerate().take(a) {
                for j in 0..a {
                    let v: f64 = (0..3).map(|k| row[k] * tiling.g[j][k]).sum();
                    // SAFETY: position (i, j) of pair idx is written by this task only,
                    // and (i·a + j)·oc + idx < t·oc = u.len().
                    unsafe { *up.ptr().add((i * a + j) * oc + idx) = v as f32 };
                }
            }
        });
        let u = u
            .chunks_exact(oc)
            .map(|ut| {
                PackedA::new(
                    isa,
                    &Strided::row_major(ut, out_channels, in_channels),
                    Par::Rayon,
                )
            })
            .collect();
        Self {
            tiling,
            u,
            out_channels,
            in_channels,
        }
    }

    /// The same matrices held in f16 (widened block by block in the product), as
    /// `PackedA::into_half` does for the direct weights in the half-precision-weights mode.
    pub fn into_half(self) -> Self {
        Self {
            u: self.u.into_iter().map(PackedA::into_half).collect(),
            ..self
        }
    }

    /// Bytes the transformed matrices occupy.
    pub fn bytes(&self) -> usize {
        self.u.iter().map(PackedA::bytes).sum()
    }

    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    pub fn in_channels(&self) -> usize {
        self.in_channels
    }
}

/// Whether [`conv3x3_winograd`] handles `g`: 3×3 kernel, stride 1, padding ≤ 2.
pub fn supports(g: &ConvGeometry) -> bool {
    g.kernel_h == 3 && g.kernel_w == 3 && g.stride == 1 && g.padding <= 2 && g.out_size().is_some()
}

/// A raw pointer shared by the threads of one transform, each writing disjoint rows.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);
// SAFETY: the threads sharing it write disjoint parts of one buffer that outlives them (each
// use names the part its task owns).
unsafe impl Send for SharedMut {}
// SAFETY: as for `Send`.
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// Through a method, so closures capture the `Sync` wrapper, not the bare pointer.
    fn ptr(self) -> *mut f32 {
        self.0
    }
}

/// Same as `conv2d` for a 3×3 stride-1 kernel; `bias` is what `out` starts from, as in
/// `conv::conv2d_prepacked` (`Bias::Keep`: `out` already holds a residual to add to).
///
/// x: `[batch, in, h, w]`, bias: `[out]`, out: `[batch, out, h', w']`, all contiguous.
pub fn conv3x3_winograd(
    g: &ConvGeometry,
    x: &[f32],
    w: &WinogradWeights,
    bias: Bias,
    out: &mut [f32],
) {
    banded(g, x, w, bias, out, BAND_BYTES)
}

fn banded(
    g: &ConvGeometry,
    x: &[f32],
    w: &WinogradWeights,
    bias: Bias,
    out: &mut [f32],
    band_bytes: usize,
) {
    assert!(supports(g), "Winograd needs a 3×3 stride-1 convolution");
    let (ho, wo) = g.out_size().expect("checked by supports");
    let (ci, co) = (g.in_channels, g.out_channels);
    assert_eq!((w.in_channels, w.out_channels), (ci, co));
    let in_img = ci * g.height * g.width;
    let out_img = co * ho * wo;
    assert_eq!(x.len(), g.batch * in_img);
    assert_eq!(out.len(), g.batch * out_img);
    match bias {
        Bias::PerRow(b) => assert_eq!(b.len(), co),
        Bias::PerCol(_) => panic!("a convolution's bias is per output channel"),
        Bias::None | Bias::Keep => {}
    }
    let tl = w.tiling;
    let isa = w.u[0].isa();
    let t_n = tl.positions();
    let (th, tw) = (ho.div_ceil(tl.m), wo.div_ceil(tl.m));
    let per_row = t_n * ci.max(co) * tw * 4;
    let band = (band_bytes / per_row).clamp(1, th);
    let cap = band * tw;
    let mut v = vec![0f32; t_n * ci * cap];
    let mut m = vec![0f32; t_n * co * cap];
    for (xi, oi) in x.chunks_exact(in_img).zip(out.chunks_exact_mut(out_img)) {
        let mut r0 = 0;
        while r0 < th {
            let rows = band.min(th - r0);
            let n = rows * tw;
            let tiles = TileRows { r0, rows, tw };
            input_transform(isa, tl, g, xi, tiles, &mut v[..t_n * ci * n]);
            // One whole product per task: 16 or 36 of them keep both cores busy to the end,
            // where splitting each small product (a few hundred tiles) over the threads left
            // one idle at every join.
            m[..t_n * co * n]
                .par_chunks_mut(co * n)
                .enumerate()
                .for_each(|(t, mt)| {
                    let b = Strided::row_major(&v[t * ci * n..(t + 1) * ci * n], ci, n);
                    gemm_packed(&w.u[t], &b, Bias::None, mt, Par::Sequential);
                });
            output_transform(isa, tl, &m[..t_n * co * n], co, tiles, (ho, wo), bias, oi);
            r0 += rows;
        }
    }
}

/// `v[t][c][tile] = (Bᵀ d B)_t` for the `a × a` patch `d` of tile row `r0 + r`, column `tx`.
///
/// Every step runs on whole tile rows of contiguous vectors (each padded input row split by
/// column residue mod m), so the compiler vectorises it: the scalar per-tile version cost
/// more than the products themselves.
fn input_transform(
    isa: Isa,
    tl: &Tiling,
    g: &ConvGeometry,
    x: &[f32],
    band: TileRows,
    v: &mut [f32],
) {
    let vp = SharedMut(v.as_mut_ptr());
    let plane_len = g.height * g.width;
    (0..g.in_channels).into_par_iter().for_each(|c| {
        let plane = &x[c * plane_len..(c + 1) * plane_len];
        input_channel(isa, tl, g, plane, band, c, vp);
    });
}

multiversion! {
    /// Channel `c`'s part of [`input_transform`]: its plane, every tile row of the band.
    fn input_channel(
        tl: &Tiling,
        g: &ConvGeometry,
        plane: &[f32],
        band: TileRows,
        c: usize,
        vp: SharedMut,
    ) {
        let TileRows { r0, rows, tw } = band;
        let (h, wd, p, ci) = (g.height, g.width, g.padding, g.in_channels);
        let (m, a) = (tl.m, tl.a);
        let n = rows * tw;
        // Padded column j holds image column j − p; res[j % m][j / m] = padded column j.
        // Patch column k of tile tx is padded column m·tx + k, k < m + 2 ≤ 2m.
        let len = tw + 1;
        let mut res = vec![0f32; m * len];
        // e[i][j][tx]: row i of the patch after the row pass (d B), column j.
        let mut e = vec![0f32; a * a * tw];
        for r in 0..rows {
            let ty = r0 + r;
            for i in 0..a {
                res.fill(0.0);
                let iy = (m * ty + i) as isize - p as isize;
                if iy >= 0 && (iy as usize) < h {
                    let src = &plane[iy as usize * wd..(iy as usize + 1) * wd];
                    for (ix, &val) in src.iter().enumerate().take(m * len - p) {
                        let j = ix + p;
                        res[(j % m) * len + j / m] = val;
                    }
                }
                let col = |k: usize| &res[(k % m) * len + k / m..][..tw];
                for j in 0..a {
                    combine(&mut e[(i * a + j) * tw..][..tw], &tl.bt[j][..a], col);
                }
            }
            let base = c * n + r * tw;
            for i2 in 0..a {
                for j in 0..a {
                    // SAFETY: (t, c, tile row r) is written by channel c's task only, and
                    // t·ci·n + base + tw ≤ a²·ci·n = v.len().
                    let dst = unsafe {
                        std::slice::from_raw_parts_mut(
                            vp.ptr().add((i2 * a + j) * ci * n + base),
                            tw,
                        )
                    };
                    combine(dst, &tl.bt[i2][..a], |i| &e[(i * a + j) * tw..][..tw]);
                }
            }
        }
    }
}

/// Which tile rows a band holds: `rows` of them from `r0`, `tw` tiles each.
#[derive(Clone, Copy)]
struct TileRows {
    r0: usize,
    rows: usize,
    tw: usize,
}

/// `y = Aᵀ m A` per tile, plus the bias (or onto what `out` holds), into NCHW `out`
/// (`[co, ho, wo]`).
#[allow(clippy::too_many_arguments)]
fn output_transform(
    isa: Isa,
    tl: &Tiling,
    mt: &[f32],
    co: usize,
    band: TileRows,
    (ho, wo): (usize, usize),
    bias: Bias,
    out: &mut [f32],
) {
    out.par_chunks_exact_mut(ho * wo)
        .enumerate()
        .for_each(|(o, plane)| {
            let b0 = match bias {
                Bias::PerRow(b) => b[o],
                _ => 0.0,
            };
            let onto = matches!(bias, Bias::Keep);
            let products = Products { mt, co, o };
            output_plane(isa, tl, products, band, wo, b0, onto, plane);
        });
}

/// Output channel `o`'s rows of the `(m+2)²` products of one band (`mt[t][co][tiles]`).
#[derive(Clone, Copy)]
struct Products<'a> {
    mt: &'a [f32],
    co: usize,
    o: usize,
}

multiversion! {
    /// Output channel `o`'s part of [`output_transform`]: its plane, every tile row of the
    /// band, plus `b0` (or onto what `plane` holds when `onto`).
    #[allow(clippy::too_many_arguments)]
    fn output_plane(
        tl: &Tiling,
        products: Products,
        band: TileRows,
        wo: usize,
        b0: f32,
        onto: bool,
        plane: &mut [f32],
    ) {
        let Products { mt, co, o } = products;
        let TileRows { r0, rows, tw } = band;
        let (m, a) = (tl.m, tl.a);
        let n = rows * tw;
        let ho = plane.len() / wo;
        // s[q][j]: row q of Aᵀ m, column j, over the tile row; y[q][p]: the outputs.
        let mut s = vec![0f32; m * a * tw];
        let mut y = vec![0f32; m * m * tw];
        for r in 0..rows {
            let prod = |t: usize| &mt[t * co * n + o * n + r * tw..][..tw];
            for q in 0..m {
                for j in 0..a {
                    combine(&mut s[(q * a + j) * tw..][..tw], &tl.at[q][..a], |i| {
                        prod(i * a + j)
                    });
                }
            }
            for q in 0..m {
                for pc in 0..m {
                    let yq = &mut y[(q * m + pc) * tw..][..tw];
                    combine(yq, &tl.at[pc][..a], |j| &s[(q * a + j) * tw..][..tw]);
                    if b0 != 0.0 {
                        yq.iter_mut().for_each(|v| *v += b0);
                    }
                }
            }
            for q in 0..m {
                let oy = m * (r0 + r) + q;
                if oy >= ho {
                    break;
                }
                let dst = &mut plane[oy * wo..(oy + 1) * wo];
                let yq = &y[q * m * tw..(q + 1) * m * tw];
                for (tx, tile) in dst.chunks_mut(m).enumerate() {
                    for (pc, d) in tile.iter_mut().enumerate() {
                        let v = yq[pc * tw + tx];
                        *d = if onto { *d + v } else { v };
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::kernels::conv;

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn rel(a: &[f32], b: &[f32]) -> f64 {
        let num: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
        let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
        (num / den.max(1e-30)).sqrt()
    }

    /// Odd sizes (a partial last tile in both directions), channel counts that miss the
    /// GEMM's tiles, paddings 0-2, batch 2, every ISA the CPU has.
    #[test]
    fn matches_direct_convolution() {
        for (ci, co, h, w, p) in [
            (9, 17, 11, 13, 1),
            (3, 5, 7, 6, 0),
            (20, 7, 5, 9, 2),
            (1, 1, 3, 3, 1),
            (33, 40, 16, 15, 1),
        ] {
            let g = ConvGeometry {
                batch: 2,
                in_channels: ci,
                height: h,
                width: w,
                out_channels: co,
                kernel_h: 3,
                kernel_w: 3,
                stride: 1,
                padding: p,
            };
            let (ho, wo) = g.out_size().unwrap();
            let x = noise(2 * ci * h * w, 1);
            let wt = noise(co * ci * 9, 2);
            let bias = noise(co, 3);
            for isa in crate::pipeline::kernels::test_isas("winograd matches_direct_convolution") {
                let mut want = vec![0f32; 2 * co * ho * wo];
                conv::conv2d(isa, &g, &x, &wt, Some(&bias), &mut want);
                for tiling in [&F2, &F4] {
                    let ww = WinogradWeights::new(isa, tiling, &wt, co, ci);
                    let mut got = vec![f32::NAN; want.len()];
                    conv3x3_winograd(&g, &x, &ww, Bias::PerRow(&bias), &mut got);
                    let e = rel(&got, &want);
                    let m = tiling.m;
                    assert!(e < 2e-6, "F{m} {isa:?} {ci}→{co} {h}×{w} pad {p}: rel {e}");
                    let mut nob = vec![f32::NAN; want.len()];
                    conv3x3_winograd(&g, &x, &ww, Bias::None, &mut nob);
                    for (o, plane) in nob.chunks_exact_mut(ho * wo).enumerate() {
                        plane.iter_mut().for_each(|v| *v += bias[o % co]);
                    }
                    let e = rel(&nob, &want);
                    assert!(e < 2e-6, "F{m} without bias: rel {e}");
                }
            }
        }
    }

    /// Several bands per image: the band boundary must not shift or drop tile rows.
    #[test]
    fn many_bands() {
        let (ci, co, h, w) = (4, 3, 15, 21);
        let g = ConvGeometry {
            batch: 1,
            in_channels: ci,
            height: h,
            width: w,
            out_channels: co,
            kernel_h: 3,
            kernel_w: 3,
            stride: 1,
            padding: 1,
        };
        let x = noise(ci * h * w, 4);
        let wt = noise(co * ci * 9, 5);
        let mut want = vec![0f32; co * h * w];
        conv::conv2d(Isa::detect(), &g, &x, &wt, None, &mut want);
        let mut got = vec![f32::NAN; want.len()];
        for tiling in [&F2, &F4] {
            let ww = WinogradWeights::new(Isa::detect(), tiling, &wt, co, ci);
            let tw = w.div_ceil(tiling.m);
            // One to three tile rows per band (the last one partly outside).
            for rows in [1, 2, 3] {
                got.fill(f32::NAN);
                let bytes = rows * tiling.positions() * ci.max(co) * tw * 4;
                banded(&g, &x, &ww, Bias::None, &mut got, bytes);
                let e = rel(&got, &want);
                assert!(
                    e < 2e-6,
                    "F{}: {rows} tile rows per band: rel {e}",
                    tiling.m
                );
            }
        }
    }
}
