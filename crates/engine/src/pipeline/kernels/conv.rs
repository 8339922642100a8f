//! 2-D convolution as an implicit matrix product: the weights `[out, in·kh·kw]` times the
//! image seen through im2col `[in·kh·kw, h'·w']`, packed straight from NCHW panel by panel so
//! the im2col matrix (1.2 GB for one VAE convolution at 512²) never exists, and the product
//! lands directly in NCHW order with the bias already added.

use super::gemm::{gemm_packed, Bias, Isa, PackB, PackedA, Par, Strided};
use std::cell::RefCell;

/// Geometry of one convolution (square stride and symmetric zero padding, as in diffusers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    pub batch: usize,
    pub in_channels: usize,
    pub height: usize,
    pub width: usize,
    pub out_channels: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride: usize,
    pub padding: usize,
}

impl ConvGeometry {
    /// `(h', w')`, or `None` when the kernel does not fit the padded image.
    pub fn out_size(&self) -> Option<(usize, usize)> {
        let ph = self.height + 2 * self.padding;
        let pw = self.width + 2 * self.padding;
        if self.stride == 0 || ph < self.kernel_h || pw < self.kernel_w {
            return None;
        }
        Some((
            (ph - self.kernel_h) / self.stride + 1,
            (pw - self.kernel_w) / self.stride + 1,
        ))
    }
}

/// One image `[c, h, w]` seen as its im2col matrix `[c·kh·kw, h'·w']`.
struct Im2Col<'a> {
    x: &'a [f32],
    g: ConvGeometry,
    ho: usize,
    wo: usize,
}

thread_local! {
    static ROW: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

impl Im2Col<'_> {
    /// Row `k` of the im2col matrix, columns `n0..n0+row.len()`.
    fn fill_row(&self, k: usize, n0: usize, row: &mut [f32]) {
        let g = &self.g;
        let khw = g.kernel_h * g.kernel_w;
        let (c, ky, kx) = (k / khw, (k % khw) / g.kernel_w, k % g.kernel_w);
        let plane = &self.x[c * g.height * g.width..(c + 1) * g.height * g.width];
        let (s, p) = (g.stride, g.padding);
        let mut n = n0;
        let end = n0 + row.len();
        while n < end {
            let (oy, ox0) = (n / self.wo, n % self.wo);
            let ox1 = self.wo.min(ox0 + (end - n));
            let seg = &mut row[n - n0..n - n0 + (ox1 - ox0)];
            let iy = (oy * s + ky) as isize - p as isize;
            if iy < 0 || iy >= g.height as isize {
                seg.fill(0.0);
            } else {
                let src = &plane[iy as usize * g.width..(iy as usize + 1) * g.width];
                if s == 1 {
                    // ix = ox + kx - p is inside the image for ox in lo..hi.
                    let lo = ox0.max(p.saturating_sub(kx)).min(ox1);
                    let hi = (g.width + p).saturating_sub(kx).min(ox1).max(lo);
                    seg[..lo - ox0].fill(0.0);
                    seg[hi - ox0..].fill(0.0);
                    let shift = lo + kx - p;
                    seg[lo - ox0..hi - ox0].copy_from_slice(&src[shift..shift + (hi - lo)]);
                } else {
                    for (t, v) in seg.iter_mut().enumerate() {
                        let ix = ((ox0 + t) * s + kx) as isize - p as isize;
                        *v = if ix >= 0 && (ix as usize) < g.width {
                            src[ix as usize]
                        } else {
                            0.0
                        };
                    }
                }
            }
            n += ox1 - ox0;
        }
    }
}

impl PackB for Im2Col<'_> {
    fn dims(&self) -> (usize, usize) {
        (
            self.g.in_channels * self.g.kernel_h * self.g.kernel_w,
            self.ho * self.wo,
        )
    }

    fn pack(&self, k0: usize, kc: usize, n0: usize, nc: usize, nr: usize, out: &mut [f32]) {
        ROW.with_borrow_mut(|row| {
            row.resize(nc.div_ceil(nr) * nr, 0.0);
            row[nc..].fill(0.0);
            for k in 0..kc {
                self.fill_row(k0 + k, n0, &mut row[..nc]);
                scatter_row(row, nr, kc, k, out);
            }
        })
    }
}

/// Copies one packed row into every `nr`-wide sliver; fixed-size copies for the widths the
/// kernels use, because a `memcpy` call per 128 bytes cost more than the copy itself.
fn scatter_row(row: &[f32], nr: usize, kc: usize, k: usize, out: &mut [f32]) {
    fn fixed<const NR: usize>(row: &[f32], kc: usize, k: usize, out: &mut [f32]) {
        for (s, chunk) in row.chunks_exact(NR).enumerate() {
            let dst: &mut [f32; NR] = (&mut out[s * kc * NR + k * NR..][..NR])
                .try_into()
                .expect("NR floats");
            let src: &[f32; NR] = chunk.try_into().expect("NR floats");
            *dst = *src;
        }
    }
    match nr {
        32 => fixed::<32>(row, kc, k, out),
        16 => fixed::<16>(row, kc, k, out),
        _ => {
            for (s, chunk) in row.chunks_exact(nr).enumerate() {
                out[s * kc * nr + k * nr..][..nr].copy_from_slice(chunk);
            }
        }
    }
}

/// `out[b, o, y, x] = bias[o] + Σ w[o, c, i, j] · x[b, c, y·s+i-p, x·s+j-p]`.
///
/// x: `[batch, in, h, w]`, weight: `[out, in, kh, kw]`, bias: `[out]`, out:
/// `[batch, out, h', w']`, all contiguous.
pub fn conv2d(
    isa: Isa,
    g: &ConvGeometry,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    // The product packs its left operand in any case; packing it whole first costs the same
    // and leaves one convolution loop to maintain.
    let k = g.in_channels * g.kernel_h * g.kernel_w;
    assert_eq!(weight.len(), g.out_channels * k);
    let packed = PackedA::new(
        isa,
        &Strided::row_major(weight, g.out_channels, k),
        Par::Rayon,
    );
    let bias = match bias {
        Some(b) => Bias::PerRow(b),
        None => Bias::None,
    };
    conv2d_prepacked(g, x, &packed, bias, out);
}

/// [`conv2d`] with the weights packed once beforehand (`[out, in·kh·kw]` as a [`PackedA`]),
/// so no call packs them again. `bias` is what `out` starts from: `Bias::PerRow` a bias per
/// output channel, `Bias::Keep` values already in `out` (a residual, bias included).
pub fn conv2d_prepacked(
    g: &ConvGeometry,
    x: &[f32],
    weight: &PackedA,
    bias: Bias,
    out: &mut [f32],
) {
    let (ho, wo) = g.out_size().expect("kernel larger than the padded image");
    let k = g.in_channels * g.kernel_h * g.kernel_w;
    let in_img = g.in_channels * g.height * g.width;
    let out_img = g.out_channels * ho * wo;
    assert_eq!(x.len(), g.batch * in_img);
    assert_eq!((weight.rows(), weight.cols()), (g.out_channels, k));
    assert_eq!(out.len(), g.batch * out_img);
    assert!(
        !matches!(bias, Bias::PerCol(_)),
        "a convolution's bias is per output channel"
    );
    if g.batch > 1 && ho * wo <= BATCH_IN_ONE_PRODUCT_MAX_MAP {
        return batched(g, x, weight, bias, out, (ho, wo));
    }
    let pointwise = g.kernel_h == 1 && g.kernel_w == 1 && g.stride == 1 && g.padding == 0;
    for (xi, oi) in x.chunks_exact(in_img).zip(out.chunks_exact_mut(out_img)) {
        if pointwise {
            let b = Strided::row_major(xi, g.in_channels, ho * wo);
            gemm_packed(weight, &b, bias, oi, Par::Rayon);
        } else {
            let b = Im2Col {
                x: xi,
                g: *g,
                ho,
                wo,
            };
            gemm_packed(weight, &b, bias, oi, Par::Rayon);
        }
    }
}

/// Largest output map (h'·w') whose images go through one product together. On small maps
/// the weights are the bigger operand (the UNet's 1280-channel 3×3 at 8² reads 59 MB of
/// weights for 64 columns per image), so a product per image read them once per image; one
/// product over every image's columns reads them once (classifier-free guidance runs two
/// images per step). Large maps already reuse each weight panel over thousands of columns,
/// and there the side-by-side result would cost an extra pass over a big output.
const BATCH_IN_ONE_PRODUCT_MAX_MAP: usize = 32 * 32;

/// Every image's im2col matrix side by side, `[c·kh·kw, batch·h'·w']`: column
/// `b·h'·w' + j` is image `b`'s column `j`.
struct BatchedIm2Col<'a> {
    images: Vec<Im2Col<'a>>,
    map: usize,
}

impl PackB for BatchedIm2Col<'_> {
    fn dims(&self) -> (usize, usize) {
        let (k, _) = self.images[0].dims();
        (k, self.map * self.images.len())
    }

    fn pack(&self, k0: usize, kc: usize, n0: usize, nc: usize, nr: usize, out: &mut [f32]) {
        ROW.with_borrow_mut(|row| {
            row.resize(nc.div_ceil(nr) * nr, 0.0);
            row[nc..].fill(0.0);
            for k in 0..kc {
                let mut n = n0;
                while n < n0 + nc {
                    let (img, j) = (n / self.map, n % self.map);
                    let len = (self.map - j).min(n0 + nc - n);
                    self.images[img].fill_row(k0 + k, j, &mut row[n - n0..n - n0 + len]);
                    n += len;
                }
                scatter_row(row, nr, kc, k, out);
            }
        })
    }
}

/// [`conv2d_prepacked`] as one product over all images, into `[out, batch·h'·w']`, then
/// scattered back to NCHW. Each column's sum runs over the same K blocks in the same order
/// as in a product per image, so the result is bit-identical to that.
fn batched(
    g: &ConvGeometry,
    x: &[f32],
    weight: &PackedA,
    bias: Bias,
    out: &mut [f32],
    (ho, wo): (usize, usize),
) {
    let map = ho * wo;
    let in_img = g.in_channels * g.height * g.width;
    let co = g.out_channels;
    let b = BatchedIm2Col {
        images: x
            .chunks_exact(in_img)
            .map(|xi| Im2Col {
                x: xi,
                g: *g,
                ho,
                wo,
            })
            .collect(),
        map,
    };
    let n = map * g.batch;
    let mut side = vec![0f32; co * n];
    if matches!(bias, Bias::Keep) {
        for (bi, oi) in out.chunks_exact(co * map).enumerate() {
            for (o, src) in oi.chunks_exact(map).enumerate() {
                side[o * n + bi * map..][..map].copy_from_slice(src);
            }
        }
    }
    gemm_packed(weight, &b, bias, &mut side, Par::Rayon);
    for (bi, oi) in out.chunks_exact_mut(co * map).enumerate() {
        for (o, dst) in oi.chunks_exact_mut(map).enumerate() {
            dst.copy_from_slice(&side[o * n + bi * map..][..map]);
        }
    }
}
