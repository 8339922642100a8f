//! Torch-compatible CPU random numbers.
//!
//! Reproduces `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed),
//! dtype=torch.float32)` bit for bit (the AVX2/AVX-512 kernel torch runs on x86-64), and leaves
//! the generator in the same state, so later draws (ancestral sampler noise) match diffusers.
//! The algorithm is specified in `shared/reference/TORCH_RNG.md`; section numbers below refer
//! to it.

use candle_core::{Device, Result, Tensor};

const MT_N: usize = 624;
const MT_M: usize = 397;

/// torch's CPU generator: an MT19937 engine plus the cached second normal of the scalar path.
#[derive(Clone)]
pub struct TorchGenerator {
    mt: Box<[u32; MT_N]>,
    next: usize,
    left: usize,
    cached_normal: Option<f64>,
}

impl std::fmt::Debug for TorchGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TorchGenerator")
            .field("next", &self.next)
            .field("left", &self.left)
            .field("cached_normal", &self.cached_normal)
            .finish_non_exhaustive()
    }
}

impl TorchGenerator {
    /// `torch.Generator("cpu").manual_seed(seed)`. Only the low 32 bits of the seed matter,
    /// as in torch.
    pub fn new(seed: u64) -> Self {
        let mut mt = Box::new([0u32; MT_N]);
        mt[0] = (seed & 0xFFFF_FFFF) as u32;
        for j in 1..MT_N {
            let prev = mt[j - 1];
            mt[j] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(j as u32);
        }
        Self {
            mt,
            next: 0,
            left: 1,
            cached_normal: None,
        }
    }

    fn twist(&mut self) {
        let mt = &mut self.mt;
        for i in 0..MT_N {
            let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % MT_N] & 0x7FFF_FFFF);
            let mut v = mt[(i + MT_M) % MT_N] ^ (y >> 1);
            if mt[(i + 1) % MT_N] & 1 != 0 {
                v ^= 0x9908_B0DF;
            }
            mt[i] = v;
        }
        self.left = MT_N;
        self.next = 0;
    }

    /// One raw 32-bit draw of the engine (§1).
    pub fn next_u32(&mut self) -> u32 {
        self.left -= 1;
        if self.left == 0 {
            self.twist();
        }
        let mut y = self.mt[self.next];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^= y >> 18;
        y
    }

    fn uniform_f32(&mut self) -> f32 {
        (self.next_u32() & 0x00FF_FFFF) as f32 * (1.0 / 16_777_216.0)
    }

    fn uniform_f64(&mut self) -> f64 {
        let a = self.next_u32() as u64;
        let b = self.next_u32() as u64;
        (((a << 32) | b) & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// The scalar path's normal (§4): pairs of normals, the second kept for the next call.
    fn normal_f64(&mut self) -> f64 {
        if let Some(v) = self.cached_normal.take() {
            return v;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.cached_normal = Some(r * theta.sin());
        r * theta.cos()
    }

    /// One `torch.randn` call producing `numel` float32 values in row-major order.
    pub fn randn(&mut self, numel: usize) -> Vec<f32> {
        if numel < 16 {
            return (0..numel).map(|_| self.normal_f64() as f32).collect();
        }
        let mut d: Vec<f32> = (0..numel).map(|_| self.uniform_f32()).collect();
        for block in d.chunks_exact_mut(16) {
            box_muller_16(block);
        }
        if !numel.is_multiple_of(16) {
            // torch redoes the last 16 slots with fresh uniforms, overwriting finished normals.
            let tail = &mut d[numel - 16..];
            for x in tail.iter_mut() {
                *x = self.uniform_f32();
            }
            box_muller_16(tail);
        }
        d
    }

    /// `torch.randn(shape)` as an f32 tensor on `device` (drawn on the CPU, then moved).
    pub fn randn_tensor(&mut self, shape: &[usize], device: &Device) -> Result<Tensor> {
        let numel: usize = shape.iter().product();
        let values = self.randn(numel);
        Tensor::from_vec(values, shape, &Device::Cpu)?.to_device(device)
    }
}

/// Box–Muller on pairs (j, j + 8) of a 16-value block, in place (§3).
fn box_muller_16(x: &mut [f32]) {
    debug_assert_eq!(x.len(), 16);
    for j in 0..8 {
        let u1 = 1.0f32 - x[j];
        let u2 = x[j + 8];
        let radius = (-2.0f32 * log_avx(u1)).sqrt();
        let theta = TWO_PI_F32 * u2;
        let (s, c) = sincos_avx(theta);
        x[j] = radius * c;
        x[j + 8] = radius * s;
    }
}

const MIN_NORM_POS: f32 = f32::from_bits(0x0080_0000);
const SQRTHF: f32 = f32::from_bits(0x3f35_04f3);
const LOG_P: [f32; 9] = [
    f32::from_bits(0x3d90_21bb),
    f32::from_bits(0xbdeb_d1b8),
    f32::from_bits(0x3def_251a),
    f32::from_bits(0xbdfe_5d4f),
    f32::from_bits(0x3e11_e9bf),
    f32::from_bits(0xbe2a_ae50),
    f32::from_bits(0x3e4c_ceac),
    f32::from_bits(0xbe7f_fffc),
    f32::from_bits(0x3eaa_aaaa),
];
const Q1: f32 = f32::from_bits(0xb95e_8083);
const Q2: f32 = f32::from_bits(0x3f31_8000);
const FOPI: f32 = f32::from_bits(0x3fa2_f983);
const DP1: f32 = f32::from_bits(0x3f49_0000);
const DP2: f32 = f32::from_bits(0x397d_a000);
const DP3: f32 = f32::from_bits(0x3322_2169);
const S0: f32 = f32::from_bits(0xb94c_a1f9);
const S1: f32 = f32::from_bits(0x3c08_839e);
const S2: f32 = f32::from_bits(0xbe2a_aaa3);
const C0: f32 = f32::from_bits(0x37cc_f5ce);
const C1: f32 = f32::from_bits(0xbab6_061a);
const C2: f32 = f32::from_bits(0x3d2a_aaa5);
const TWO_PI_F32: f32 = f32::from_bits(0x40c9_0fdb);

/// torch's `log256_ps` (Cephes), with the FMAs the compiler forms; `mul_add` is placed exactly
/// where torch's build fuses, anything else would drift by an ulp now and then.
fn log_avx(x: f32) -> f32 {
    let x = x.max(MIN_NORM_POS);
    let bits = x.to_bits();
    let e_i = (bits >> 23) as i32 - 127;
    let mut x = f32::from_bits((bits & 0x807F_FFFF) | 0x3F00_0000);
    let mut e = e_i as f32 + 1.0;
    if x < SQRTHF {
        e -= 1.0;
        x = (x - 1.0) + x;
    } else {
        x -= 1.0;
    }
    let z = x * x;
    let mut y = LOG_P[0];
    for &c in &LOG_P[1..] {
        y = y.mul_add(x, c);
    }
    y *= x;
    y = y.mul_add(z, e * Q1);
    y -= z * 0.5;
    let x = x + y;
    e.mul_add(Q2, x)
}

/// torch's `sincos256_ps` (Cephes) for x >= 0; returns (sin, cos).
fn sincos_avx(x: f32) -> (f32, f32) {
    let mut j = (x * FOPI) as i32;
    j = (j + 1) & !1;
    let y = j as f32;
    let swap_sin = (j & 4) != 0;
    let use_sin_poly_for_sin = (j & 2) == 0;
    let neg_cos = ((!(j - 2)) & 4) != 0;
    let mut x = y.mul_add(-DP1, x);
    x = y.mul_add(-DP2, x);
    x = y.mul_add(-DP3, x);
    let z = x * x;
    let mut yc = C0.mul_add(z, C1);
    yc = yc.mul_add(z, C2);
    yc *= z;
    yc = yc.mul_add(z, -(z * 0.5));
    yc += 1.0;
    let mut ys = S0.mul_add(z, S1);
    ys = ys.mul_add(z, S2);
    ys *= z;
    ys = ys.mul_add(x, x);
    let (mut sin, mut cos) = if use_sin_poly_for_sin {
        (ys, yc)
    } else {
        (yc, ys)
    };
    if swap_sin {
        sin = -sin;
    }
    if neg_cos {
        cos = -cos;
    }
    (sin, cos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn seed_42_raw_u32() {
        let mut g = TorchGenerator::new(42);
        let got: Vec<u32> = (0..4).map(|_| g.next_u32()).collect();
        assert_eq!(got, [0x5fe1dc66, 0xcbea3db3, 0xf362035c, 0x2ef5950e]);
    }

    #[test]
    fn only_low_32_bits_of_seed_matter() {
        let mut a = TorchGenerator::new((1u64 << 32) + 5);
        let mut b = TorchGenerator::new(5);
        assert_eq!(a.randn(20), b.randn(20));
    }

    #[test]
    fn seed_42_shape_7_scalar_path() {
        let mut g = TorchGenerator::new(42);
        assert_eq!(
            bits(&g.randn(7)),
            [0x3eac62ae, 0x3e03e69d, 0x3e7016e7, 0x3e6bdc6c, 0xbf8fb9c2, 0xbe3eccd8, 0x400d532c]
        );
    }

    #[test]
    fn seed_42_shape_16() {
        let mut g = TorchGenerator::new(42);
        assert_eq!(
            bits(&g.randn(16)),
            [
                0x3ff6a529, 0x3fbe5f53, 0x3f669567, 0xc006c0db, 0x3f2dacd5, 0xbf9e0591, 0xbd306786,
                0xbfcd65ba, 0xbf408bf0, 0x3fd3095b, 0xbec8f2f6, 0xbfb3a966, 0xbf3a566e, 0xbf0f36d1,
                0xbf44d2a0, 0x3f432f9f
            ]
        );
    }

    #[test]
    fn seed_42_shape_17_tail_redraw() {
        let mut g = TorchGenerator::new(42);
        assert_eq!(
            bits(&g.randn(17)),
            [
                0x3ff6a529, 0xbe236d85, 0xbefeaae4, 0x3ee111d8, 0xbf4214e2, 0x3f8a0650, 0x3f4d0144,
                0x3fd71e93, 0x3eb63345, 0x3fa5f12f, 0x3f1c4788, 0x3faad8b0, 0xbe6d2eed, 0x3d2b0c00,
                0xbe80ce7a, 0x3f5c1fb0, 0xbe9e9482
            ]
        );
    }

    #[test]
    fn seed_0_sd_latents_sha256() {
        let mut g = TorchGenerator::new(0);
        let v = g.randn(4 * 64 * 64);
        assert_eq!(
            &bits(&v[..4]),
            &[0xbf901b85, 0xbf93808a, 0xbe804bd6, 0xbede255d]
        );
        let mut h = Sha256::new();
        for x in &v {
            h.update(x.to_le_bytes());
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "24efac55b39e95b2d74d8fb5b3a8e8a8e808bd04129f260c4cdbb225bb952a4d"
        );
    }

    #[test]
    fn randn_tensor_has_shape_and_values() -> Result<()> {
        let t = TorchGenerator::new(42).randn_tensor(&[1, 4, 2, 2], &Device::Cpu)?;
        assert_eq!(t.dims(), &[1, 4, 2, 2]);
        let v = t.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(v[0].to_bits(), 0x3ff6a529);
        Ok(())
    }

    /// Cross-check against torch 2.15 (run in /work/venv): one generator, seed 1234, calls of
    /// shapes (7,), (64,), (1,), (3,), (20,); first values, last value of each call.
    #[test]
    fn torch_mixed_call_sequence() {
        let mut g = TorchGenerator::new(1234);
        let cases: [(usize, &[u32], u32); 5] = [
            (
                7,
                &[
                    0x3d3cf34c, 0x3ece07be, 0xbf8179c9, 0x3e5df0a1, 0xbf1cbdee, 0x3f00eca2,
                ],
                0x3e6c8290,
            ),
            (
                64,
                &[
                    0x3f4c804b, 0xbdbd013f, 0xbf34759e, 0xbfcd1a34, 0x3e94048c, 0x3efad05a,
                ],
                0x3f410798,
            ),
            // (1,) after a >= 16 call returns the sine cached by the (7,) call.
            (1, &[0x3f316d84], 0x3f316d84),
            (3, &[0xbf854987, 0x3d8fdd16, 0x3f146441], 0x3f146441),
            (
                20,
                &[
                    0xbf101fec, 0xbe90dd87, 0x3d95b712, 0xbfb1ab67, 0xbeb3c95a, 0xbd893990,
                ],
                0x3fd195fb,
            ),
        ];
        for (n, first, last) in cases {
            let v = bits(&g.randn(n));
            assert_eq!(&v[..first.len()], first, "call of {n} values");
            assert_eq!(v[n - 1], last, "last value of the call of {n}");
        }
    }

    /// Cross-check against torch 2.15: seed 7, shape (1, 4, 9, 9) (324 values, tail case), then
    /// a (5,) call on the same generator.
    #[test]
    fn torch_latent_tail_case_and_following_state() {
        let mut g = TorchGenerator::new(7);
        let v = g.randn(4 * 9 * 9);
        let b = bits(&v);
        assert_eq!(
            [b[0], b[1], b[300], b[323]],
            [0xbf51f456, 0x3eca902b, 0xbe393cc5, 0x3f90b7e7]
        );
        let mut h = Sha256::new();
        for x in &v {
            h.update(x.to_le_bytes());
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "8d0cae0e4633e94197e9ca907bf480729c2328d2ae061b6512798449111ed2b3"
        );
        assert_eq!(
            bits(&g.randn(5)),
            [0xbc14f3b8, 0xbeac7f75, 0x3f135b7e, 0x3f34c204, 0xbec61cd4]
        );
    }
}
