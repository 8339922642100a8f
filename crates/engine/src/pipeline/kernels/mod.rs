//! Hand-written CPU kernels for the hot paths of the networks: matrix product, convolution,
//! group normalisation, softmax and attention.
//!
//! `layers.rs` calls the tensor-level functions here when [`applies`] says the tensors are f32
//! on the CPU, and keeps candle's own ops for everything else (GPU devices, half precision),
//! so the model code never has to know. Each kernel is tested against the plain candle op.
//!
//! Only tensor-level functions are public: the slice kernels, the pointer micro-kernels and
//! the packing traits they trust stay inside this module, and every function takes the
//! instruction set ([`Isa`]) its caller chose, so nothing here reads global settings.

mod attention;
mod conv;
mod gemm;
mod norm;
mod simd;
mod winograd;

use candle_core::{bail, CpuStorage, Device, Layout, Result, Storage, Tensor};

pub use gemm::{Isa, IsaError, PackedA, PackedB};
pub use norm::log_softmax;
pub use winograd::WinogradWeights;

/// Whether every tensor is f32 in CPU memory, the case these kernels handle.
pub fn applies(tensors: &[&Tensor]) -> bool {
    tensors
        .iter()
        .all(|t| t.device().is_cpu() && t.dtype() == candle_core::DType::F32)
}

/// Whether our matrix products (convolution, linear, attention) should run for `tensors` on
/// `isa`, rather than candle's. Off x86-64 the only kernel we have is the portable one, a
/// plain loop the compiler vectorises, which is slower than the hand-tuned NEON kernels of the
/// `gemm` crate under candle; there candle's products run instead, so no CPU is slower than
/// candle would be on its own. (The element-wise kernels, norms included, stay ours: plain
/// loops are as fast as candle's there, and ours are parallel.)
pub fn products_apply(tensors: &[&Tensor]) -> bool {
    cfg!(target_arch = "x86_64") && applies(tensors)
}

/// Runs `f` on the tensor's whole f32 storage and its layout (for strided views).
fn with_storage<R>(t: &Tensor, f: impl FnOnce(&[f32], &Layout) -> R) -> Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(CpuStorage::F32(v)) => Ok(f(v, layout)),
        _ => bail!("kernels need an f32 CPU tensor, got {:?}", t.dtype()),
    }
}

/// Runs `f` on the tensor's values in row-major order (copying only if it is a strided view).
fn with_slice<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let t = if t.is_contiguous() {
        t.clone()
    } else {
        t.contiguous()?
    };
    with_storage(&t, |v, l| {
        let (a, b) = l
            .contiguous_offsets()
            .expect("a contiguous tensor has contiguous offsets");
        f(&v[a..b])
    })
}

/// A zeroed output buffer. Large ones ask Linux for 2 MiB pages first (a VAE activation at
/// 512² is 134 MB, and faulting it in 4 KiB at a time cost seconds of system time per
/// decode), and are zeroed by every thread: memory touched for the first time costs the
/// kernel's page clearing, which a single-threaded fill serialised on one core (22% of the
/// first decode's samples in a fresh process).
fn zeroed(len: usize) -> Vec<f32> {
    if len >= 1 << 20 {
        use rayon::prelude::*;
        const HUGE: usize = 2 << 20;
        let mut v: Vec<f32> = Vec::with_capacity(len);
        #[cfg(target_os = "linux")]
        {
            let p = v.as_mut_ptr() as usize;
            let start = (p + HUGE - 1) & !(HUGE - 1);
            let end = (p + len * 4) & !(HUGE - 1);
            if end > start {
                // SAFETY: the range lies inside this vector's own allocation; MADV_HUGEPAGE
                // only changes how the kernel backs it, never its contents, and failure is
                // harmless.
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
                }
            }
        }
        v.spare_capacity_mut()
            .par_chunks_mut(HUGE / 4)
            .for_each(|chunk| chunk.fill(std::mem::MaybeUninit::new(0.0)));
        // SAFETY: the loop above initialised all `len` values of the capacity.
        unsafe { v.set_len(len) };
        return v;
    }
    vec![0f32; len]
}

fn from_vec(v: Vec<f32>, dims: &[usize]) -> Result<Tensor> {
    Tensor::from_vec(v, dims, &Device::Cpu)
}

/// Convolution, zero padding on every side, bias added.
///
/// x: `[batch, in, h, w]`, weight: `[out, in, kh, kw]`, bias: `[out]` -> `[batch, out, h', w']`.
pub fn conv2d(
    isa: Isa,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let (batch, in_channels, height, width) = x.dims4()?;
    let (out_channels, w_in, kernel_h, kernel_w) = weight.dims4()?;
    if w_in != in_channels {
        bail!("conv2d: input has {in_channels} channels but the weight expects {w_in}");
    }
    let (g, ho, wo) = conv_geometry(
        (batch, in_channels, height, width),
        (out_channels, kernel_h, kernel_w),
        stride,
        padding,
        bias,
    )?;
    let mut out = zeroed(batch * out_channels * ho * wo);
    with_slice(x, |xs| {
        with_slice(weight, |ws| match bias {
            Some(b) => with_slice(b, |bs| conv::conv2d(isa, &g, xs, ws, Some(bs), &mut out)),
            None => {
                conv::conv2d(isa, &g, xs, ws, None, &mut out);
                Ok(())
            }
        })
    })???;
    from_vec(out, &[batch, out_channels, ho, wo])
}

/// The geometry of one convolution, with the checks both convolution entry points need:
/// the kernel fits the input and the bias has one value per output channel.
fn conv_geometry(
    (batch, in_channels, height, width): (usize, usize, usize, usize),
    (out_channels, kernel_h, kernel_w): (usize, usize, usize),
    stride: usize,
    padding: usize,
    bias: Option<&Tensor>,
) -> Result<(conv::ConvGeometry, usize, usize)> {
    let g = conv::ConvGeometry {
        batch,
        in_channels,
        height,
        width,
        out_channels,
        kernel_h,
        kernel_w,
        stride,
        padding,
    };
    let Some((ho, wo)) = g.out_size() else {
        bail!("conv2d: a {kernel_h}×{kernel_w} kernel does not fit a {height}×{width} input")
    };
    if bias.is_some_and(|b| b.elem_count() != out_channels) {
        bail!("conv2d: the bias needs {out_channels} values, one per output channel");
    }
    Ok((g, ho, wo))
}

/// A convolution weight `[out, in, kh, kw]` packed for [`conv2d_prepacked`] on `isa`'s
/// kernels (done once, at load time).
pub fn pack_conv_weight(isa: Isa, weight: &Tensor) -> Result<PackedA> {
    let (out_channels, in_channels, kh, kw) = weight.dims4()?;
    let k = in_channels * kh * kw;
    with_slice(weight, |ws| {
        PackedA::new(
            isa,
            &gemm::Strided::row_major(ws, out_channels, k),
            gemm::Par::Rayon,
        )
    })
}

/// [`conv2d`] with a weight from [`pack_conv_weight`] of an `[out, in, kh, kw]` tensor, plus
/// `residual` if given (a ResNet's skip connection, added for free: the output starts from it
/// instead of from the bias).
///
/// x: `[batch, in, h, w]`, bias: `[out]`, residual: `[batch, out, h', w']`
/// -> `[batch, out, h', w']`.
pub fn conv2d_prepacked(
    x: &Tensor,
    weight: &PackedA,
    (kernel_h, kernel_w): (usize, usize),
    bias: Option<&Tensor>,
    stride: usize,
    padding: usize,
    residual: Option<&Tensor>,
) -> Result<Tensor> {
    let (batch, in_channels, height, width) = x.dims4()?;
    let out_channels = weight.rows();
    if weight.cols() != in_channels * kernel_h * kernel_w {
        bail!(
            "conv2d: input has {in_channels} channels but the weight expects {}",
            weight.cols() / (kernel_h * kernel_w).max(1)
        );
    }
    let (g, ho, wo) = conv_geometry(
        (batch, in_channels, height, width),
        (out_channels, kernel_h, kernel_w),
        stride,
        padding,
        bias,
    )?;
    run_conv(
        x,
        [batch, out_channels, ho, wo],
        bias,
        residual,
        |xs, start, out| conv::conv2d_prepacked(&g, xs, weight, start, out),
    )
}

/// Runs a convolution kernel on `x` into a new `dims` output, telling it what the output
/// starts from: what [`conv_start`] put there (residual + bias), else the bias or zero.
fn run_conv(
    x: &Tensor,
    dims: [usize; 4],
    bias: Option<&Tensor>,
    residual: Option<&Tensor>,
    kernel: impl FnOnce(&[f32], gemm::Bias, &mut [f32]),
) -> Result<Tensor> {
    let (mut out, keep) = conv_start(dims, bias, residual)?;
    with_slice(x, |xs| match (bias, keep) {
        (_, true) => {
            kernel(xs, gemm::Bias::Keep, &mut out);
            Ok(())
        }
        (Some(b), false) => with_slice(b, |bs| kernel(xs, gemm::Bias::PerRow(bs), &mut out)),
        (None, false) => {
            kernel(xs, gemm::Bias::None, &mut out);
            Ok(())
        }
    })??;
    from_vec(out, &dims)
}

/// The buffer a convolution's output starts in, and whether it already holds its start: with
/// a residual, residual + bias written in one pass by every thread (so the skip connection
/// costs no separate add and no extra map); without, zeros for the kernel to fill.
fn conv_start(
    dims: [usize; 4],
    bias: Option<&Tensor>,
    residual: Option<&Tensor>,
) -> Result<(Vec<f32>, bool)> {
    use rayon::prelude::*;
    let len = dims.iter().product();
    let Some(r) = residual else {
        return Ok((zeroed(len), false));
    };
    if r.dims() != dims {
        bail!(
            "conv2d: the residual has shape {:?}, the output {dims:?}",
            r.dims()
        );
    }
    let bias = match bias {
        Some(b) => with_slice(b, |b| b.to_vec())?,
        None => vec![0.0; dims[1]],
    };
    let plane = (dims[2] * dims[3]).max(1);
    let mut out: Vec<f32> = Vec::with_capacity(len);
    with_slice(r, |rs| {
        out.spare_capacity_mut()
            .par_chunks_mut(plane)
            .zip(rs.par_chunks(plane))
            .enumerate()
            .for_each(|(i, (dst, src))| {
                let b = bias[i % dims[1]];
                for (d, s) in dst.iter_mut().zip(src) {
                    d.write(s + b);
                }
            });
    })?;
    // SAFETY: the loop above wrote every one of the `len` values (`rs` has `len` of them,
    // checked through the shape).
    unsafe { out.set_len(len) };
    Ok((out, true))
}

/// Whether a convolution on this input should go through Winograd F(4,3) rather than the
/// implicit GEMM. Measured (BENCHMARKS.md, "Winograd"): from 128² maps at ≥ 256 input channels
/// it takes 0.51-0.64× of the direct convolution's time; at 128 input channels it wins from
/// 256² maps (0.87× on AVX2 once the position products ran in parallel; the products are too
/// shallow to win by more), and below 32² it loses (too few tiles per product). At 64² it
/// would win too (0.58-0.8×), but the only 3×3 convolutions there with ≥ 256 channels are the
/// UNet's and the VAE's first blocks: their Winograd form is 4× the weight (≈ +0.3 GB for the
/// SD UNet's, held for every step), which the peak-memory budget does not allow.
pub fn winograd_pays(
    in_channels: usize,
    (height, width): (usize, usize),
    kernel: usize,
    stride: usize,
    padding: usize,
) -> bool {
    let map = height * width;
    let wide_enough =
        (in_channels >= 256 && map >= 128 * 128) || (in_channels >= 128 && map >= 256 * 256);
    kernel == 3 && stride == 1 && padding <= 2 && wide_enough
}

/// The Winograd form of a 3×3 weight packed by [`pack_conv_weight`] (`[out, in·9]`): F(4,3)
/// in f32, or for f16-held weights (the half-precision-weights mode) F(2,3) held in f16.
/// F(4,3)'s transforms magnify the weights' rounding about tenfold, which f32 absorbs
/// (~3e-6) but f16 does not (2.2e-3 per convolution against 2.1e-4 direct; F(2,3): 3.8e-4).
pub fn winograd_from_packed(weight: &PackedA) -> Result<winograd::WinogradWeights> {
    let (out, k) = (weight.rows(), weight.cols());
    if k % 9 != 0 {
        bail!("winograd: the weight has {k} columns, not in·3·3");
    }
    use rayon::prelude::*;
    let mut w = vec![0f32; out * k];
    w.par_chunks_exact_mut(k).enumerate().for_each(|(r, row)| {
        for (c, v) in row.iter_mut().enumerate() {
            *v = weight.at(r, c);
        }
    });
    Ok(if weight.is_half() {
        winograd::WinogradWeights::new(weight.isa(), &winograd::F2, &w, out, k / 9).into_half()
    } else {
        winograd::WinogradWeights::new(weight.isa(), &winograd::F4, &w, out, k / 9)
    })
}

/// Winograd's output tile: F(2,3) (2×2 outputs per 4×4 input tile) or F(4,3) (4×4 per 6×6,
/// fewer multiplications but ten times the weights' rounding; see [`winograd_from_packed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WinogradTiling {
    F2,
    F4,
}

/// A 3×3 weight `[out, in, 3, 3]` transformed for [`conv3x3_winograd`] with `tiling`, in f32
/// (for measuring each tiling; the layers use [`winograd_from_packed`]).
pub fn pack_winograd_weight(
    isa: Isa,
    weight: &Tensor,
    tiling: WinogradTiling,
) -> Result<WinogradWeights> {
    let (out_channels, in_channels, kh, kw) = weight.dims4()?;
    if (kh, kw) != (3, 3) {
        bail!("winograd: the weight is {kh}×{kw}, not 3×3");
    }
    let tiling = match tiling {
        WinogradTiling::F2 => &winograd::F2,
        WinogradTiling::F4 => &winograd::F4,
    };
    with_slice(weight, |ws| {
        WinogradWeights::new(isa, tiling, ws, out_channels, in_channels)
    })
}

/// [`conv2d`] for a 3×3 stride-1 kernel through Winograd (the tiling `weight` was built for),
/// plus `residual` if given, as in [`conv2d_prepacked`].
///
/// x: `[batch, in, h, w]`, bias: `[out]`, residual: the output's shape
/// -> `[batch, out, h + 2p − 2, w + 2p − 2]`.
pub fn conv3x3_winograd(
    x: &Tensor,
    weight: &winograd::WinogradWeights,
    bias: Option<&Tensor>,
    padding: usize,
    residual: Option<&Tensor>,
) -> Result<Tensor> {
    let (batch, in_channels, height, width) = x.dims4()?;
    let out_channels = weight.out_channels();
    if weight.in_channels() != in_channels {
        bail!(
            "conv2d: input has {in_channels} channels but the weight expects {}",
            weight.in_channels()
        );
    }
    let g = conv::ConvGeometry {
        batch,
        in_channels,
        height,
        width,
        out_channels,
        kernel_h: 3,
        kernel_w: 3,
        stride: 1,
        padding,
    };
    if !winograd::supports(&g) {
        bail!("conv2d: Winograd needs a 3×3 kernel, stride 1, padding ≤ 2 and an input of at least 3×3 after padding, got {height}×{width} padded by {padding}");
    }
    let (ho, wo) = g.out_size().expect("checked by supports");
    if bias.is_some_and(|b| b.elem_count() != out_channels) {
        bail!("conv2d: the bias needs {out_channels} values, one per output channel");
    }
    run_conv(
        x,
        [batch, out_channels, ho, wo],
        bias,
        residual,
        |xs, start, out| winograd::conv3x3_winograd(&g, xs, weight, start, out),
    )
}

/// A linear weight `[out, in]` packed as `Wᵀ` for [`linear_prepacked`] on `isa`'s kernels
/// (done once, at load time).
pub fn pack_linear_weight(isa: Isa, weight: &Tensor) -> Result<PackedB> {
    let (out_dim, in_dim) = weight.dims2()?;
    with_slice(weight, |ws| {
        PackedB::new(isa, &gemm::Strided::transposed(ws, in_dim, out_dim))
    })
}

/// [`linear`] with a weight from [`pack_linear_weight`].
///
/// x: `[..., in]`, bias: `[out]` -> `[..., out]`.
pub fn linear_prepacked(x: &Tensor, weight: &PackedB, bias: Option<&Tensor>) -> Result<Tensor> {
    let (in_dim, out_dim) = weight.shape();
    let mut dims = x.dims().to_vec();
    if dims.last() != Some(&in_dim) {
        bail!("linear: input {:?} does not end in {in_dim}", x.dims());
    }
    if bias.is_some_and(|b| b.elem_count() != out_dim) {
        bail!("linear: the bias needs {out_dim} values, one per output");
    }
    let rows = x.elem_count() / in_dim.max(1);
    let mut out = zeroed(rows * out_dim);
    let isa = weight.isa();
    with_slice(x, |xs| {
        let a = gemm::Strided::row_major(xs, rows, in_dim);
        let mut run =
            |bias: gemm::Bias| gemm::gemm(isa, &a, weight, bias, &mut out, gemm::Par::Rayon);
        match bias {
            Some(bt) => with_slice(bt, |bs| run(gemm::Bias::PerCol(bs))),
            None => {
                run(gemm::Bias::None);
                Ok(())
            }
        }
    })??;
    *dims.last_mut().expect("checked above") = out_dim;
    from_vec(out, &dims)
}

/// `y = x Wᵀ + b` over the last dimension.
///
/// x: `[..., in]`, weight: `[out, in]`, bias: `[out]` -> `[..., out]`.
pub fn linear(isa: Isa, x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    // The product packs `Wᵀ` in any case; packing it whole first costs the same and leaves
    // one path to maintain.
    linear_prepacked(x, &pack_linear_weight(isa, weight)?, bias)
}

/// Matrix product of the last two dimensions, batched over the leading ones (which must
/// match; no broadcasting). a: `[..., m, k]`, b: `[..., k, n]` -> `[..., m, n]`.
pub fn matmul(isa: Isa, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (ad, bd) = (a.dims(), b.dims());
    if ad.len() < 2 || ad.len() != bd.len() || ad[..ad.len() - 2] != bd[..bd.len() - 2] {
        bail!("matmul: shapes {ad:?} and {bd:?} do not match");
    }
    let r = ad.len();
    let (m, k, n) = (ad[r - 2], ad[r - 1], bd[r - 1]);
    if bd[r - 2] != k {
        bail!("matmul: shapes {ad:?} and {bd:?} do not match");
    }
    let batch: usize = ad[..r - 2].iter().product();
    let mut out = zeroed(batch * m * n);
    with_slice(a, |asl| {
        with_slice(b, |bsl| {
            for ((ai, bi), ci) in asl
                .chunks_exact((m * k).max(1))
                .zip(bsl.chunks_exact((k * n).max(1)))
                .zip(out.chunks_exact_mut((m * n).max(1)))
            {
                let av = gemm::Strided::row_major(ai, m, k);
                let bv = gemm::Strided::row_major(bi, k, n);
                gemm::gemm(isa, &av, &bv, gemm::Bias::None, ci, gemm::Par::Rayon);
            }
        })
    })??;
    let mut dims = ad.to_vec();
    dims[r - 1] = n;
    from_vec(out, &dims)
}

/// Group norm with optional fused SiLU. x: `[batch, channels, ...]`, gamma/beta: `[channels]`.
pub fn group_norm(
    isa: Isa,
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    groups: usize,
    eps: f64,
    silu: bool,
) -> Result<Tensor> {
    let dims = x.dims().to_vec();
    if dims.len() < 2 {
        bail!("group_norm: input {dims:?} needs at least [batch, channels]");
    }
    let (batch, channels) = (dims[0], dims[1]);
    if groups == 0 || channels % groups != 0 {
        bail!("group_norm: {channels} channels do not split into {groups} groups");
    }
    let p = norm::GroupNormParams {
        batch,
        channels,
        spatial: dims[2..].iter().product(),
        groups,
        eps: eps as f32,
        silu,
    };
    if gamma.elem_count() != channels || beta.elem_count() != channels {
        bail!("group_norm: weight and bias need {channels} values, one per channel");
    }
    let mut out = zeroed(x.elem_count());
    with_slice(x, |xs| {
        with_slice(gamma, |gs| {
            with_slice(beta, |bs| norm::group_norm(isa, &p, xs, gs, bs, &mut out))
        })
    })???;
    from_vec(out, &dims)
}

/// `x σ(x)`, any shape.
pub fn silu(isa: Isa, x: &Tensor) -> Result<Tensor> {
    let mut out = zeroed(x.elem_count());
    with_slice(x, |xs| norm::silu(isa, xs, &mut out))?;
    from_vec(out, x.dims())
}

/// Nearest-neighbour upsampling by two, every plane in parallel (candle's is one thread).
///
/// x: `[batch, channels, h, w]` -> `[batch, channels, 2h, 2w]`
pub fn upsample_nearest2x(x: &Tensor) -> Result<Tensor> {
    use rayon::prelude::*;
    let (b, c, h, w) = x.dims4()?;
    let mut out = zeroed(b * c * 4 * h * w);
    if !out.is_empty() {
        with_slice(x, |xs| {
            out.par_chunks_mut(4 * h * w)
                .zip(xs.par_chunks(h * w))
                .for_each(|(o, plane)| {
                    for (y, row) in plane.chunks_exact(w).enumerate() {
                        let (top, bottom) = o[4 * y * w..4 * (y + 1) * w].split_at_mut(2 * w);
                        for (pair, v) in top.chunks_exact_mut(2).zip(row) {
                            pair[0] = *v;
                            pair[1] = *v;
                        }
                        bottom.copy_from_slice(top);
                    }
                })
        })?;
    }
    from_vec(out, &[b, c, 2 * h, 2 * w])
}

/// The exact GELU `x Φ(x)`, any shape.
pub fn gelu_erf(isa: Isa, x: &Tensor) -> Result<Tensor> {
    let mut out = zeroed(x.elem_count());
    with_slice(x, |xs| norm::gelu(isa, xs, &mut out))?;
    from_vec(out, x.dims())
}

/// Softmax over the last dimension, any shape.
pub fn softmax_last(isa: Isa, x: &Tensor) -> Result<Tensor> {
    let cols = x.dims().last().copied().unwrap_or(1);
    let mut out = with_slice(x, |xs| xs.to_vec())?;
    if cols > 0 && !out.is_empty() {
        attention::softmax_rows(isa, &mut out, cols, 1.0);
    }
    from_vec(out, x.dims())
}

/// The strided `n × d` head matrices of a `[batch, heads, n, d]` tensor, views allowed.
fn head_view<'a>(v: &'a [f32], l: &Layout) -> Result<(attention::HeadView<'a>, usize)> {
    let dims = l.dims();
    let st = l.stride();
    if dims.len() != 4 {
        bail!("attention expects [batch, heads, n, d], got {dims:?}");
    }
    // Heads of one batch entry are evenly spaced only if batch and heads merge into one axis.
    if dims[0] > 1 && dims[1] > 1 && st[0] != st[1] * dims[1] {
        bail!("attention: batch and head axes are not mergeable");
    }
    Ok((
        attention::HeadView {
            data: v,
            base: l.start_offset(),
            head_stride: if dims[1] > 1 { st[1] } else { st[0] },
            rows: dims[2],
            cols: dims[3],
            row_stride: st[2],
            col_stride: st[3],
        },
        dims[0] * dims[1],
    ))
}

/// Memory-efficient scaled dot-product attention.
///
/// q: `[batch, heads, n_q, d]`, k: `[batch, heads, n_kv, d]`, v: `[batch, heads, n_kv, d_v]`
/// (transposed views are read in place) -> `[batch, heads, n_q, d_v]`.
pub fn attention(isa: Isa, q: &Tensor, k: &Tensor, v: &Tensor, scale: f64) -> Result<Tensor> {
    let (b, h, nq, _) = q.dims4()?;
    let (kb, kh, _, _) = k.dims4()?;
    let (vb, vh, _, dv) = v.dims4()?;
    if (kb, kh) != (b, h) || (vb, vh) != (b, h) {
        bail!("attention: q, k, v batch/head axes differ");
    }
    // Views whose batch and head axes cannot merge are made contiguous first.
    let fix = |t: &Tensor| -> Result<Tensor> {
        let ok = with_storage(t, |v, l| head_view(v, l).is_ok())?;
        if ok {
            Ok(t.clone())
        } else {
            t.contiguous()
        }
    };
    let (q, k, v) = (fix(q)?, fix(k)?, fix(v)?);
    let mut out = zeroed(b * h * nq * dv);
    with_storage(&q, |qs, ql| {
        with_storage(&k, |ks, kl| {
            with_storage(&v, |vs, vl| -> Result<()> {
                let (qv, heads) = head_view(qs, ql)?;
                let (kv, _) = head_view(ks, kl)?;
                let (vv, _) = head_view(vs, vl)?;
                attention::attention(isa, heads, &qv, &kv, &vv, scale as f32, &mut out);
                Ok(())
            })
        })
    })????;
    from_vec(out, &[b, h, nq, dv])
}

/// Every instruction set this CPU runs, for a kernel test to check each of them, and says so
/// (past the test harness's capture) with the ones this CPU cannot run: a missing path is
/// reported as not run, never counted as checked.
#[cfg(test)]
pub(crate) fn test_isas(test: &str) -> Vec<Isa> {
    use std::io::Write;
    let run = Isa::supported();
    let names = |v: &[Isa]| v.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ");
    let missing: Vec<Isa> = Isa::ALL.into_iter().filter(|i| !run.contains(i)).collect();
    let _ = writeln!(
        std::io::stderr(),
        "{test}: checked on {}; NOT RUN on {} (this CPU lacks them)",
        names(&run),
        if missing.is_empty() {
            "none".to_string()
        } else {
            names(&missing)
        }
    );
    run
}

#[cfg(test)]
mod tests;
