//! Every kernel against the straightforward candle op, on shapes that miss the block sizes.

use super::*;
use candle_core::{DType, Device, Tensor, D};

fn randn(dims: &[usize], seed: u64) -> Tensor {
    let n: usize = dims.iter().product();
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn rel_err(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims());
    let a = a.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let b = b.to_dtype(DType::F64).unwrap().flatten_all().unwrap();
    let num = (&a - &b)
        .unwrap()
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    let den = b
        .sqr()
        .unwrap()
        .sum_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    (num / den.max(1e-30)).sqrt()
}

fn candle_conv(x: &Tensor, w: &Tensor, b: &Tensor, stride: usize, pad: usize) -> Tensor {
    let y = x.conv2d(w, pad, stride, 1, 1).unwrap();
    y.broadcast_add(&b.reshape((1, b.dim(0).unwrap(), 1, 1)).unwrap())
        .unwrap()
}

#[test]
fn conv2d_matches_candle() {
    for isa in test_isas("conv2d_matches_candle") {
        // (batch, in, h, w, out, k, stride, pad)
        let cases = [
            (1, 3, 5, 7, 4, 3, 1, 1),
            (2, 5, 9, 6, 13, 3, 1, 1),
            (1, 4, 9, 9, 7, 3, 2, 1),
            (1, 4, 8, 10, 7, 3, 2, 0),
            (2, 6, 5, 5, 3, 1, 1, 0),
            (1, 1, 1, 1, 1, 1, 1, 0),
            (1, 2, 1, 40, 33, 3, 1, 1),
            (1, 30, 23, 29, 37, 3, 1, 1),
            (1, 7, 4, 4, 5, 3, 1, 0),
            (1, 3, 6, 6, 2, 1, 2, 0),
        ];
        for (i, &(b, c, h, w, o, k, s, p)) in cases.iter().enumerate() {
            let x = randn(&[b, c, h, w], i as u64 + 1);
            let wt = randn(&[o, c, k, k], i as u64 + 100);
            let bias = randn(&[o], i as u64 + 200);
            let want = candle_conv(&x, &wt, &bias, s, p);
            let got = conv2d(isa, &x, &wt, Some(&bias), s, p).unwrap();
            let e = rel_err(&got, &want);
            assert!(e < 1e-5, "case {i}: rel {e}");
            // A strided (non-contiguous) input takes the copy path and still agrees.
            let xt = x.transpose(2, 3).unwrap();
            let want = candle_conv(&xt, &wt, &bias, s, p);
            let got = conv2d(isa, &xt, &wt, Some(&bias), s, p).unwrap();
            assert!(rel_err(&got, &want) < 1e-5, "case {i} transposed");
        }
    }
}

#[test]
fn conv2d_every_isa() {
    let x = randn(&[2, 9, 11, 13], 1);
    let wt = randn(&[17, 9, 3, 3], 2);
    let bias = randn(&[17], 3);
    for (s, p) in [(1, 1), (2, 1)] {
        let want = candle_conv(&x, &wt, &bias, s, p);
        let g = conv::ConvGeometry {
            batch: 2,
            in_channels: 9,
            height: 11,
            width: 13,
            out_channels: 17,
            kernel_h: 3,
            kernel_w: 3,
            stride: s,
            padding: p,
        };
        let (ho, wo) = g.out_size().unwrap();
        for isa in test_isas("conv2d_every_isa") {
            let mut out = vec![0f32; 2 * 17 * ho * wo];
            let xs = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let ws = wt.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let bs = bias.to_vec1::<f32>().unwrap();
            conv::conv2d(isa, &g, &xs, &ws, Some(&bs), &mut out);
            let got = Tensor::from_vec(out, (2, 17, ho, wo), &Device::Cpu).unwrap();
            let e = rel_err(&got, &want);
            assert!(e < 1e-5, "{isa:?} stride {s}: rel {e}");
        }
    }
}

#[test]
fn linear_and_matmul_match_candle() {
    for isa in test_isas("linear_and_matmul_match_candle") {
        for &(rows, i, o) in &[
            (1, 1, 1),
            (1, 77, 5),
            (77, 768, 33),
            (3, 19, 1),
            (130, 40, 70),
            // Over a million outputs: the huge-page allocation path.
            (1100, 16, 1000),
        ] {
            let x = randn(&[rows, i], 5);
            let w = randn(&[o, i], 6);
            let b = randn(&[o], 7);
            let want = x
                .matmul(&w.t().unwrap())
                .unwrap()
                .broadcast_add(&b)
                .unwrap();
            let got = linear(isa, &x, &w, Some(&b)).unwrap();
            assert!(rel_err(&got, &want) < 1e-5, "linear {rows}x{i}x{o}");
            let got = linear(isa, &x.reshape((1, rows, i)).unwrap(), &w, None).unwrap();
            let want = x
                .matmul(&w.t().unwrap())
                .unwrap()
                .reshape((1, rows, o))
                .unwrap();
            assert!(rel_err(&got, &want) < 1e-5, "linear no bias {rows}x{i}x{o}");
        }
        let a = randn(&[2, 3, 17, 29], 8);
        let b = randn(&[2, 3, 29, 40], 9);
        let want = a.matmul(&b).unwrap();
        assert!(rel_err(&matmul(isa, &a, &b).unwrap(), &want) < 1e-5);
    }
}

#[test]
fn group_norm_matches_candle() {
    for isa in test_isas("group_norm_matches_candle") {
        for &(b, c, h, w, g) in &[
            (1, 4, 1, 1, 2),
            (2, 64, 5, 7, 32),
            (1, 6, 33, 17, 3),
            (2, 32, 9, 9, 32),
        ] {
            // An offset mean checks the statistics do not cancel.
            let x = (randn(&[b, c, h, w], 10) * 3.0)
                .unwrap()
                .affine(1.0, 50.0)
                .unwrap();
            let gamma = randn(&[c], 11);
            let beta = randn(&[c], 12);
            // The reference runs in f64: candle's f32 statistics are themselves off by ~1e-5 here.
            let f64_ = |t: &Tensor| t.to_dtype(DType::F64).unwrap();
            let gn = candle_nn::GroupNorm::new(f64_(&gamma), f64_(&beta), c, g, 1e-6).unwrap();
            let want = candle_core::Module::forward(&gn, &f64_(&x)).unwrap();
            let got = group_norm(isa, &x, &gamma, &beta, g, 1e-6, false).unwrap();
            let e = rel_err(&got, &want);
            assert!(e < 1e-5, "{b}x{c}x{h}x{w}/{g}: rel {e}");
            let got = group_norm(isa, &x, &gamma, &beta, g, 1e-6, true).unwrap();
            let e = rel_err(&got, &want.silu().unwrap());
            assert!(e < 1e-5, "silu {b}x{c}x{h}x{w}/{g}: rel {e}");
        }
        // The portable build of the same code.
        let x = randn(&[2, 8, 3, 5], 13);
        let (gamma, beta) = (randn(&[8], 14), randn(&[8], 15));
        let gn = candle_nn::GroupNorm::new(gamma.clone(), beta.clone(), 8, 4, 1e-5).unwrap();
        let want = candle_core::Module::forward(&gn, &x)
            .unwrap()
            .silu()
            .unwrap();
        let p = norm::GroupNormParams {
            batch: 2,
            channels: 8,
            spatial: 15,
            groups: 4,
            eps: 1e-5,
            silu: true,
        };
        {
            let mut out = vec![0f32; 2 * 8 * 15];
            let v = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            norm::group_norm(isa, &p, &v(&x), &v(&gamma), &v(&beta), &mut out);
            let got = Tensor::from_vec(out, (2, 8, 3, 5), &Device::Cpu).unwrap();
            assert!(rel_err(&got, &want) < 1e-5, "{isa:?}");
        }
    }
}

#[test]
fn softmax_and_silu_match_candle() {
    for isa in test_isas("softmax_and_silu_match_candle") {
        for dims in [&[1usize, 1][..], &[3, 17], &[2, 5, 4100], &[7, 16]] {
            let x = (randn(dims, 20) * 10.0).unwrap();
            let want = candle_nn::ops::softmax(&x, D::Minus1).unwrap();
            assert!(
                rel_err(&softmax_last(isa, &x).unwrap(), &want) < 1e-5,
                "{dims:?}"
            );
            assert!(
                rel_err(&silu(isa, &x).unwrap(), &x.silu().unwrap()) < 1e-5,
                "{dims:?}"
            );
        }
    }
}

#[test]
fn gelu_and_upsample_match_candle() {
    for isa in test_isas("gelu_and_upsample_match_candle") {
        for dims in [&[1usize, 1, 1, 1][..], &[2, 3, 5, 7], &[1, 4, 130, 129]] {
            let x = (randn(dims, 21) * 4.0).unwrap();
            assert!(
                rel_err(&gelu_erf(isa, &x).unwrap(), &x.gelu_erf().unwrap()) < 1e-6,
                "{dims:?}"
            );
            let (h, w) = (dims[2], dims[3]);
            let want = x.upsample_nearest2d(2 * h, 2 * w).unwrap();
            assert_eq!(rel_err(&upsample_nearest2x(&x).unwrap(), &want), 0.0);
        }
    }
}

fn candle_attention(q: &Tensor, k: &Tensor, v: &Tensor, scale: f64) -> Tensor {
    let s = (q
        .contiguous()
        .unwrap()
        .matmul(&k.t().unwrap().contiguous().unwrap())
        .unwrap()
        * scale)
        .unwrap();
    let p = candle_nn::ops::softmax_last_dim(&s).unwrap();
    p.matmul(&v.contiguous().unwrap()).unwrap()
}

#[test]
fn attention_matches_candle() {
    for isa in test_isas("attention_matches_candle") {
        // (batch, heads, n_q, n_kv, d, d_v)
        for &(b, h, nq, nk, d, dv) in &[
            (1, 1, 1, 1, 1, 1),
            (2, 3, 17, 77, 8, 8),
            (1, 2, 300, 300, 40, 40),
            (2, 1, 1100, 257, 5, 13),
        ] {
            let q = randn(&[b, h, nq, d], 30);
            let k = randn(&[b, h, nk, d], 31);
            let v = randn(&[b, h, nk, dv], 32);
            let scale = 1.0 / (d as f64).sqrt();
            let want = candle_attention(&q, &k, &v, scale);
            let got = attention(isa, &q, &k, &v, scale).unwrap();
            let e = rel_err(&got, &want);
            assert!(e < 1e-5, "{b}x{h}x{nq}x{nk}x{d}: rel {e}");
        }
        // Heads split out of [batch, n, heads·d] and transposed, as the networks do: read in place.
        let (b, n, h, d) = (2, 37, 3, 16);
        let x = randn(&[b, n, h * d], 40);
        let heads = x.reshape((b, n, h, d)).unwrap().transpose(1, 2).unwrap();
        let want = candle_attention(&heads, &heads, &heads, 0.25);
        let got = attention(isa, &heads, &heads, &heads, 0.25).unwrap();
        assert!(rel_err(&got, &want) < 1e-5);
        // Every ISA on the chunked path.
        let q = randn(&[1, 2, 700, 24], 41);
        let k = randn(&[1, 2, 600, 24], 42);
        let want = candle_attention(&q, &k, &k, 0.2);
        let qs = q.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let ks = k.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let view = |data: &'static [f32], rows: usize| attention::HeadView {
            data,
            base: 0,
            head_stride: rows * 24,
            rows,
            cols: 24,
            row_stride: 24,
            col_stride: 1,
        };
        let qs: &'static [f32] = Box::leak(qs.into_boxed_slice());
        let ks: &'static [f32] = Box::leak(ks.into_boxed_slice());
        {
            let mut out = vec![0f32; 2 * 700 * 24];
            attention::attention(
                isa,
                2,
                &view(qs, 700),
                &view(ks, 600),
                &view(ks, 600),
                0.2,
                &mut out,
            );
            let got = Tensor::from_vec(out, (1, 2, 700, 24), &Device::Cpu).unwrap();
            assert!(rel_err(&got, &want) < 1e-5, "{isa:?}");
        }
    }
}

/// The tensor-level Winograd path, its weights rebuilt from the packed direct weights, against
/// the direct convolution.
#[test]
fn winograd_from_packed_matches_conv2d() {
    for isa in test_isas("winograd_from_packed_matches_conv2d") {
        let x = randn(&[2, 9, 11, 13], 7);
        let wt = randn(&[17, 9, 3, 3], 8);
        let bias = randn(&[17], 9);
        let want = conv2d(isa, &x, &wt, Some(&bias), 1, 1).unwrap();
        let packed = pack_conv_weight(isa, &wt).unwrap();
        let ww = winograd_from_packed(&packed).unwrap();
        let got = conv3x3_winograd(&x, &ww, Some(&bias), 1, None).unwrap();
        let e = rel_err(&got, &want);
        assert!(e < 1e-6, "rel {e}");
        assert!(winograd_pays(256, (128, 128), 3, 1, 1));
        assert!(!winograd_pays(256, (64, 64), 3, 1, 1));
        assert!(!winograd_pays(256, (128, 128), 3, 2, 1));
        assert!(winograd_pays(128, (512, 512), 3, 1, 1));
        assert!(!winograd_pays(128, (128, 128), 3, 1, 1));
    }
}

/// Winograd at a VAE decoder shape (256 channels, 128², weights at kaiming scale), where its
/// extra additions accumulate most: far inside the 1e-4 parity bar (F(4,3): 3.2e-6).
#[test]
fn winograd_at_vae_size() {
    for isa in test_isas("winograd_at_vae_size") {
        let x = randn(&[1, 256, 128, 128], 10);
        let wt = (randn(&[256, 256, 3, 3], 11) * 0.03).unwrap();
        let want = conv2d(isa, &x, &wt, None, 1, 1).unwrap();
        let ww = winograd_from_packed(&pack_conv_weight(isa, &wt).unwrap()).unwrap();
        let got = conv3x3_winograd(&x, &ww, None, 1, None).unwrap();
        let e = rel_err(&got, &want);
        println!("winograd at 256×128²: rel {e:e}");
        assert!(e < 1e-5, "rel {e}");
    }
}

/// In the half-precision-weights mode the Winograd matrices are held in f16 too, as F(2,3)
/// (16 matrices, not 36), and the result stays within f16 rounding of the direct convolution:
/// measured 3.8e-4 here against 2.1e-4 for the direct convolution with f16 weights (F(4,3)
/// in f16 would be 2.2e-3: its transforms magnify the weights' rounding).
#[test]
fn winograd_from_half_weights_is_half() {
    for isa in test_isas("winograd_from_half_weights_is_half") {
        let x = randn(&[1, 32, 20, 20], 12);
        let wt = (randn(&[24, 32, 3, 3], 13) * 0.05).unwrap();
        let want = conv2d(isa, &x, &wt, None, 1, 1).unwrap();
        let packed = pack_conv_weight(isa, &wt).unwrap();
        let full = winograd_from_packed(&packed).unwrap();
        let half = winograd_from_packed(&packed.into_half()).unwrap();
        assert_eq!(half.bytes() * 2 * 36, full.bytes() * 16);
        let e = rel_err(&conv3x3_winograd(&x, &half, None, 1, None).unwrap(), &want);
        assert!(e > 1e-6 && e < 6e-4, "rel {e}");
    }
}

/// A residual folded into the convolution (the output starts from it) equals the convolution
/// plus the residual, on the direct path (3×3 and 1×1, batch 2) and on Winograd's.
#[test]
fn convolution_onto_a_residual() {
    for isa in test_isas("convolution_onto_a_residual") {
        let x = randn(&[2, 9, 11, 13], 14);
        let bias = randn(&[17], 15);
        for k in [3, 1] {
            let wt = randn(&[17, 9, k, k], 16);
            let p = k / 2;
            let plain = conv2d(isa, &x, &wt, Some(&bias), 1, p).unwrap();
            let residual = randn(plain.dims(), 17);
            let want = (&plain + &residual).unwrap();
            let packed = pack_conv_weight(isa, &wt).unwrap();
            let got =
                conv2d_prepacked(&x, &packed, (k, k), Some(&bias), 1, p, Some(&residual)).unwrap();
            assert!(rel_err(&got, &want) < 1e-6, "{k}×{k}");
            let no_bias =
                conv2d_prepacked(&x, &packed, (k, k), None, 1, p, Some(&residual)).unwrap();
            let want = ((&plain
                - bias
                    .reshape((1, 17, 1, 1))
                    .unwrap()
                    .broadcast_as(plain.shape()))
            .unwrap()
                + &residual)
                .unwrap();
            assert!(rel_err(&no_bias, &want) < 1e-6, "{k}×{k} without bias");
            if k == 3 {
                let ww = winograd_from_packed(&packed).unwrap();
                let got = conv3x3_winograd(&x, &ww, Some(&bias), 1, Some(&residual)).unwrap();
                let want = (&plain + &residual).unwrap();
                assert!(rel_err(&got, &want) < 2e-6, "Winograd");
            }
            let wrong = randn(&[2, 17, 3, 3], 18);
            assert!(conv2d_prepacked(&x, &packed, (k, k), None, 1, p, Some(&wrong)).is_err());
        }
    }
}

/// Several images in one product (small maps: the weights are read once for all of them)
/// give exactly the bits a product per image gives, with a bias, onto a residual, strided,
/// pointwise, and over more than one K block (50·9 = 450 > KC).
#[test]
fn images_in_one_product_equal_one_product_each() {
    for isa in test_isas("images_in_one_product_equal_one_product_each") {
        for (c, h, w, k, s) in [
            (9, 11, 13, 3, 1),
            (50, 8, 8, 3, 1),
            (9, 12, 10, 3, 2),
            (9, 11, 13, 1, 1),
            (4, 32, 32, 3, 1),
        ] {
            let x = randn(&[3, c, h, w], 21);
            let wt = randn(&[17, c, k, k], 22);
            let bias = randn(&[17], 23);
            let packed = pack_conv_weight(isa, &wt).unwrap();
            let p = k / 2;
            let together = conv2d_prepacked(&x, &packed, (k, k), Some(&bias), s, p, None).unwrap();
            let residual = randn(together.dims(), 24);
            let onto = conv2d_prepacked(&x, &packed, (k, k), None, s, p, Some(&residual)).unwrap();
            for i in 0..3 {
                let xi = x.narrow(0, i, 1).unwrap();
                let ri = residual.narrow(0, i, 1).unwrap();
                let alone =
                    conv2d_prepacked(&xi, &packed, (k, k), Some(&bias), s, p, None).unwrap();
                let alone_onto =
                    conv2d_prepacked(&xi, &packed, (k, k), None, s, p, Some(&ri)).unwrap();
                let bits = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let case = format!("{isa:?} {c}×{h}×{w} k{k} s{s} image {i}");
                assert_eq!(
                    bits(&together.narrow(0, i, 1).unwrap()),
                    bits(&alone),
                    "{case}"
                );
                assert_eq!(
                    bits(&onto.narrow(0, i, 1).unwrap()),
                    bits(&alone_onto),
                    "{case} onto a residual"
                );
            }
        }
    }
}

/// The vectorised `log_softmax` against an f64 one, on every ISA, over a row as long as a
/// translator's vocabulary with `-inf` (banned tokens) in it, a row of one finite value (a
/// forced token), and a row of only `-inf`.
#[test]
fn log_softmax_matches_f64_on_every_isa() {
    let n = 65001;
    let base: Vec<f32> = randn(&[n], 11).to_vec1::<f32>().unwrap();
    let base: Vec<f32> = base
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if i % 97 == 0 {
                f32::NEG_INFINITY
            } else {
                8.0 * x
            }
        })
        .collect();
    let max = base.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = base.iter().map(|&x| (x as f64 - max).exp()).sum();
    for isa in test_isas("log_softmax_matches_f64_on_every_isa") {
        let mut row = base.clone();
        super::log_softmax(isa, &mut row);
        for (i, (&got, &x)) in row.iter().zip(&base).enumerate() {
            if x == f32::NEG_INFINITY {
                assert_eq!(got, f32::NEG_INFINITY, "{isa:?} [{i}]");
            } else {
                let want = x as f64 - max - sum.ln();
                assert!(
                    (got as f64 - want).abs() < 2e-5,
                    "{isa:?} [{i}]: {got} vs {want}"
                );
            }
        }
        let mut forced = vec![f32::NEG_INFINITY; 1000];
        forced[7] = 0.0;
        super::log_softmax(isa, &mut forced);
        assert_eq!(forced[7], 0.0, "{isa:?}");
        assert!(forced
            .iter()
            .enumerate()
            .all(|(i, &v)| i == 7 || v == f32::NEG_INFINITY));
        let mut none = vec![f32::NEG_INFINITY; 40];
        super::log_softmax(isa, &mut none);
        assert!(none.iter().all(|&v| v == f32::NEG_INFINITY), "{isa:?}");
    }
}
