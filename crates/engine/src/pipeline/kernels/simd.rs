//! Element-wise helpers written as plain loops over 16 independent lanes, compiled three times
//! (AVX-512, AVX2+FMA, the crate's baseline) by [`multiversion!`] so the auto-vectoriser can
//! use the widest registers the CPU has while the binary still runs everywhere.

/// Defines `pub fn name(isa: Isa, args…) -> R` that runs `body` compiled for `isa`'s
/// instruction set. Helpers called from `body` must be `#[inline(always)]` to be compiled with
/// it.
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        $vis fn $name(isa: $crate::pipeline::kernels::gemm::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                $crate::pipeline::kernels::gemm::avx512_features!(
                    [$crate::pipeline::kernels::gemm::compiled_for]
                    /// # Safety
                    /// Only on a CPU with every feature `Isa::Avx512` checks for.
                    unsafe fn wide($($arg: $ty),*) $(-> $ret)? $body
                );
                $crate::pipeline::kernels::gemm::avx2_features!(
                    [$crate::pipeline::kernels::gemm::compiled_for]
                    /// # Safety
                    /// Only on a CPU with every feature `Isa::Avx2Fma` checks for.
                    unsafe fn narrow($($arg: $ty),*) $(-> $ret)? $body
                );
                match isa {
                    $crate::pipeline::kernels::gemm::Isa::Avx512 if isa.available() => {
                        // SAFETY: `available` checked every feature `wide` is compiled with.
                        return unsafe { wide($($arg),*) };
                    }
                    $crate::pipeline::kernels::gemm::Isa::Avx2Fma if isa.available() => {
                        // SAFETY: `available` checked every feature `narrow` is compiled with.
                        return unsafe { narrow($($arg),*) };
                    }
                    _ => {}
                }
            }
            let _ = isa;
            $body
        }
    };
}
pub(crate) use multiversion;

/// Lanes per step: one AVX-512 register; the narrower builds split it.
pub const LANES: usize = 16;

/// `e^x` to about 2 ulp for x in [-87, 88] (clamped outside), in straight-line code that
/// vectorises: x = n·ln2 + r, |r| ≤ ln2/2, e^r by Cephes' polynomial, 2^n through the
/// exponent bits.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2^23 rounds to the nearest integer without a rounding instruction.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    // `t` lies in [2^23, 2^24), where one unit of the mantissa is 1: its bits are those of
    // ROUND plus the integer n. Reading n from them, rather than by `n as i32`, keeps the
    // loop vectorised: Rust's saturating float-to-int cast is scalarised on AVX2, and it
    // made this function a third of the attention's time there.
    let ni = t.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let scale = f32::from_bits(((ni + 127) as u32) << 23);
    e * scale
}

/// `x σ(x)`.
#[inline(always)]
pub fn silu(x: f32) -> f32 {
    x / (1.0 + exp(-x))
}

/// `p(x)` by Horner's rule, coefficients from the constant term up.
#[inline(always)]
fn poly<const N: usize>(c: [f32; N], x: f32) -> f32 {
    let mut acc = c[N - 1];
    for k in (0..N - 1).rev() {
        acc = acc * x + c[k];
    }
    acc
}

/// The error function to about 2.5 ulp (PyTorch's own is within 1), branch-free so it
/// vectorises: `x·P(x²)` for |x| ≤ 1 and `1 − e^{Q(|x|)}` up to 4, where `erf` rounds to 1.
/// The coefficients are least-squares fits of `erf(x)/x` and `ln erfc(x)` made for this
/// function (`tools/bench/fit_erf.py`).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    const SMALL: [f32; 7] = [
        // The fitted constant term rounds to 2/√π in f32.
        std::f32::consts::FRAC_2_SQRT_PI,
        -0.376_126_3,
        0.112_836_12,
        -0.026_854_806,
        0.005_190_049,
        -0.000_802_431_2,
        7.898_067e-5,
    ];
    // ln erfc(a) as a polynomial in a − 2.5, for a in [1, 4].
    const BIG: [f32; 11] = [
        -7.806_815,
        -5.352_681,
        -0.943_893_7,
        -0.010_858_165,
        0.002_165_525_7,
        -0.000_420_706_93,
        7.693_984e-5,
        -1.297_614_8e-5,
        1.844_964_2e-6,
        -6.582_515e-8,
        -4.104_945e-8,
    ];
    let a = x.abs();
    let small = x * poly(SMALL, a.min(1.0) * a.min(1.0));
    let big = 1.0 - exp(poly(BIG, a.clamp(1.0, 4.0) - 2.5));
    let big = if a >= 4.0 { 1.0 } else { big };
    if a <= 1.0 {
        small
    } else {
        big.copysign(x)
    }
}

/// The exact GELU, `x/2 · (1 + erf(x/√2))`, as PyTorch writes it.
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_is_close_to_the_f64_series() {
        // A reference from the f64 Taylor series (|x| ≤ 3) and the continued fraction beyond.
        fn erf64(x: f64) -> f64 {
            let a = x.abs();
            let v = if a < 3.0 {
                let (mut term, mut sum, mut n) = (a, a, 0.0);
                while term.abs() > 1e-20 * sum.abs() {
                    n += 1.0;
                    term *= -a * a / n;
                    sum += term / (2.0 * n + 1.0);
                }
                sum * 2.0 / std::f64::consts::PI.sqrt()
            } else {
                let mut f = 0.0;
                for k in (1..60).rev() {
                    f = (k as f64 / 2.0) / (a + f);
                }
                1.0 - (-a * a).exp() / (std::f64::consts::PI.sqrt() * (a + f))
            };
            v.copysign(x)
        }
        let mut worst = 0f64;
        let mut x = -6.0f32;
        while x < 6.0 {
            let r = erf64(x as f64);
            let ulp = (r as f32).abs().max(f32::MIN_POSITIVE) * f32::EPSILON;
            worst = worst.max((erf(x) as f64 - r).abs() / ulp as f64);
            x += 0.000_731;
        }
        assert!(worst < 3.0, "worst error {worst} ulp");
        assert_eq!(erf(0.0), 0.0);
        assert_eq!(erf(100.0), 1.0);
        assert_eq!(erf(-100.0), -1.0);
        assert!(gelu(-100.0).abs() < 1e-30 && gelu(100.0) == 100.0);
    }

    #[test]
    fn exp_is_close_to_std() {
        let mut worst = 0f32;
        let mut x = -87.0f32;
        while x < 88.0 {
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert!(exp(-1000.0) < 1e-37 && exp(-1000.0) >= 0.0);
        assert!(silu(-1000.0).abs() < 1e-30);
    }
}
