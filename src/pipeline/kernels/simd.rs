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
                #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                unsafe fn wide($($arg: $ty),*) $(-> $ret)? $body
                #[target_feature(enable = "avx2,fma")]
                unsafe fn narrow($($arg: $ty),*) $(-> $ret)? $body
                match isa {
                    // SAFETY: `Isa::available` confirms the CPU runs these instructions.
                    $crate::pipeline::kernels::gemm::Isa::Avx512 if isa.available() => {
                        return unsafe { wide($($arg),*) };
                    }
                    $crate::pipeline::kernels::gemm::Isa::Avx2Fma if isa.available() => {
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
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    e * scale
}

/// `x σ(x)`.
#[inline(always)]
pub fn silu(x: f32) -> f32 {
    x / (1.0 + exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;

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
