//! Single-precision matrix product `C = A·B (+ bias)`, cache-blocked and packed, with an
//! AVX-512 or AVX2+FMA micro-kernel chosen at run time and a portable kernel for every other
//! CPU.
//!
//! Why our own: the `gemm` crate under candle reaches under half of this CPU's f32 ceiling
//! (see `BENCHMARKS.md`). The layout follows the usual BLIS recipe: `B` is packed panel by
//! panel (`KC × NC`, sized for L2) into `NR`-wide slivers, `A` into `MR`-tall slivers, and a
//! register-blocked micro-kernel computes one `MR × NR` tile of `C` at a time.
//!
//! `C` is row-major with the vector lanes running along `N`; for a convolution `N` is the
//! pixel axis, so the output lands directly in NCHW order.

use std::cell::RefCell;
use std::sync::OnceLock;

use half::f16;
use half::slice::HalfFloatSliceExt;
use rayon::prelude::*;

/// Depth of one packed block: `KC × NR` of `B` plus `MR × KC` of `A` stay close to L1.
const KC: usize = 384;
/// Width of one packed `B` panel; `KC × NC` floats (512 KiB) sit in the 1 MiB L2.
const NC: usize = 512;
/// A product smaller than 4 MFLOP still goes to two threads when its B is this large: with a
/// few rows it is bound by reading B, which a second core halves.
const MIN_PARALLEL_B_BYTES: f64 = 256.0 * 1024.0;

/// The target features each SIMD path is compiled for, in one list per instruction set that
/// both `#[target_feature]` (through [`compiled_for`]) and run-time detection (through
/// [`all_detected`]) read, so the two cannot drift apart: a function is only ever called on a
/// CPU that was checked for every feature it was compiled with.
///
/// `avx512_features!([then] rest…)` expands to `then!([features…] rest…)`.
macro_rules! avx512_features {
    ([$($then:tt)+] $($rest:tt)*) => {
        $($then)+! { ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"] $($rest)* }
    };
}
/// The AVX2 path's features; see [`avx512_features`].
macro_rules! avx2_features {
    ([$($then:tt)+] $($rest:tt)*) => {
        $($then)+! { ["avx2", "fma"] $($rest)* }
    };
}
/// `item` compiled with every feature of the list.
macro_rules! compiled_for {
    ([$($f:tt),+] $item:item) => {
        $(#[target_feature(enable = $f)])+
        $item
    };
}
/// Whether the running CPU has every feature of the list.
#[cfg(target_arch = "x86_64")]
macro_rules! all_detected {
    ([$($f:tt),+]) => {
        true $(&& std::arch::is_x86_feature_detected!($f))+
    };
}
pub(crate) use {avx2_features, avx512_features, compiled_for};

/// Which kernels to run: the widest the CPU has by default ([`Isa::detect`]), or one chosen
/// by the caller (a front end's override, the tests running every path the machine has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// AVX-512 (F, BW, DQ, VL) with AVX2 and FMA.
    Avx512,
    /// AVX2 with FMA.
    Avx2Fma,
    /// Plain Rust the compiler vectorises for the crate's baseline target.
    Portable,
}

/// An instruction set that was asked for by name and cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsaError {
    #[error("unknown instruction set {name:?}; the choices are avx512, avx2 and portable")]
    Unknown { name: String },
    #[error("this CPU cannot run the {isa} kernels (they need {needs}); it supports {supported}")]
    Unsupported {
        isa: Isa,
        needs: String,
        supported: String,
    },
}

impl Isa {
    /// Every instruction set, widest first.
    pub const ALL: [Isa; 3] = [Isa::Avx512, Isa::Avx2Fma, Isa::Portable];

    /// The fastest kernels this CPU runs (detected once).
    pub fn detect() -> Isa {
        static ISA: OnceLock<Isa> = OnceLock::new();
        *ISA.get_or_init(|| {
            Isa::ALL
                .into_iter()
                .find(|isa| isa.available())
                .unwrap_or(Isa::Portable)
        })
    }

    /// Every instruction set this CPU runs, widest first (always ends with `Portable`).
    pub fn supported() -> Vec<Isa> {
        Isa::ALL.into_iter().filter(|isa| isa.available()).collect()
    }

    /// Whether this CPU runs every feature the kernels for `self` are compiled with.
    pub fn available(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => avx512_features!([all_detected]),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => avx2_features!([all_detected]),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The CPU features the kernels for `self` are compiled with.
    pub fn features(self) -> &'static [&'static str] {
        macro_rules! list {
            ([$($f:tt),+]) => {
                &[$($f),+]
            };
        }
        match self {
            Isa::Avx512 => avx512_features!([list]),
            Isa::Avx2Fma => avx2_features!([list]),
            Isa::Portable => &[],
        }
    }

    /// The name [`Isa::from_name`] reads: `avx512`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2Fma => "avx2",
            Isa::Portable => "portable",
        }
    }

    /// The instruction set called `name` (see [`Isa::name`]), if this CPU runs it.
    pub fn from_name(name: &str) -> Result<Isa, IsaError> {
        let isa = Isa::ALL
            .into_iter()
            .find(|isa| isa.name() == name.trim().to_ascii_lowercase())
            .ok_or_else(|| IsaError::Unknown {
                name: name.to_string(),
            })?;
        if !isa.available() {
            let names: Vec<_> = Isa::supported().iter().map(|i| i.name()).collect();
            return Err(IsaError::Unsupported {
                isa,
                needs: isa.features().join(", "),
                supported: names.join(", "),
            });
        }
        Ok(isa)
    }

    fn tile(self) -> (usize, usize) {
        match self {
            Isa::Avx512 => (12, 32),
            Isa::Avx2Fma => (6, 16),
            Isa::Portable => (4, 16),
        }
    }

    /// Computes one full `MR × NR` tile: `c[i*ldc + j] (+)= Σ_k a[k*MR + i] · b[k*NR + j]`.
    ///
    /// # Safety
    /// `a` holds `kc*MR` floats, `b` holds `kc*NR`, `c` addresses `MR` rows of `NR` floats
    /// `ldc` apart, and the CPU supports `self` (checked by the callers via `available`).
    unsafe fn kernel(
        self,
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        acc: bool,
    ) {
        // SAFETY: the caller upholds the kernels' contract (the same as this function's),
        // including that the CPU runs `self`.
        unsafe {
            match self {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => x86::kernel_avx512(kc, a, b, c, ldc, acc),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2Fma => x86::kernel_avx2(kc, a, b, c, ldc, acc),
                _ => kernel_portable(kc, a, b, c, ldc, acc),
            }
        }
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Isa {
    type Err = IsaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Isa::from_name(s)
    }
}

/// A read-only matrix view with arbitrary strides (so `Kᵀ` or `Wᵀ` need no copy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Strided<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) row_stride: usize,
    pub(crate) col_stride: usize,
}

impl<'a> Strided<'a> {
    /// A row-major `rows × cols` matrix.
    pub(crate) fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose of a row-major `cols × rows` matrix, seen as `rows × cols`.
    pub(crate) fn transposed(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: 1,
            col_stride: rows,
        }
    }

    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
            assert!(
                last < self.data.len(),
                "strided matrix reaches past its data"
            );
        }
    }

    #[inline(always)]
    fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.row_stride + c * self.col_stride]
    }
}

/// Something that can be packed as the right-hand operand `B` (`K × N`): a plain matrix, or
/// an image seen through im2col without ever building the im2col matrix.
///
/// Crate-private: the product trusts what an implementation says, and asserts the lengths of
/// the blocks it hands the pointer kernels (see `panel`).
pub(crate) trait PackB: Sync {
    /// `(K, N)`.
    fn dims(&self) -> (usize, usize);
    /// Writes `B[k0..k0+kc, n0..n0+nc]` as `ceil(nc/nr)` slivers of `kc × nr` floats (row
    /// `k` of a sliver is `nr` consecutive columns), zero-padding columns past `nc`.
    fn pack(&self, k0: usize, kc: usize, n0: usize, nc: usize, nr: usize, out: &mut [f32]);
    /// The block [`PackB::pack`] would write for `(k0, n0)`, when it is already stored packed
    /// for `isa`'s tile width (weights packed once at load time).
    fn prepacked(&self, _isa: Isa, _k0: usize, _n0: usize) -> Option<&[f32]> {
        None
    }
}

/// The values of a packed operand: f32, or f16 to halve the memory of weights held for the
/// whole run (each block is widened to f32 in the thread's pack buffer as the product reads
/// it, so the arithmetic stays f32).
#[derive(Debug, Clone)]
enum Store {
    F32(Vec<f32>),
    F16(Vec<f16>),
}

impl Store {
    #[inline]
    fn get(&self, i: usize) -> f32 {
        match self {
            Store::F32(v) => v[i],
            Store::F16(v) => v[i].to_f32(),
        }
    }

    /// Rounds to nearest f16; values beyond ±65504 become ±inf, which no checkpoint we load
    /// holds in its weights (diffusers ships these same weights as f16).
    fn into_half(self) -> Store {
        match self {
            Store::F32(v) => {
                let mut h = vec![f16::ZERO; v.len()];
                h.convert_from_f32_slice(&v);
                Store::F16(h)
            }
            s => s,
        }
    }

    fn is_half(&self) -> bool {
        matches!(self, Store::F16(_))
    }

    fn bytes(&self) -> usize {
        match self {
            Store::F32(v) => v.len() * 4,
            Store::F16(v) => v.len() * 2,
        }
    }
}

/// A right-hand operand packed once, in the exact blocks the product reads (a linear layer's
/// `Wᵀ`, packed at load time so no call packs it again).
#[derive(Debug, Clone)]
pub struct PackedB {
    isa: Isa,
    data: Store,
    rows: usize,
    cols: usize,
}

impl PackedB {
    /// Packs `b` (`K × N`) for `isa`: column panels of `NC`, each split into `KC`-deep blocks
    /// of `nr`-wide slivers, stored one after the other.
    pub(crate) fn new(isa: Isa, b: &dyn PackB) -> Self {
        let (k, n) = b.dims();
        let (_, nr) = isa.tile();
        let n_pad = Self::padded_cols(n, nr);
        // Through `zeroed`: 2 MiB pages touched by every thread (loading a UNet packs 3.5 GB,
        // and first-touch page clearing was a third of the load's samples).
        let mut data = super::zeroed(k * n_pad);
        // Panel p starts at p·NC·K; only the last one may be narrower.
        data.par_chunks_mut((k * NC).max(1))
            .enumerate()
            .for_each(|(p, panel)| {
                let n0 = p * NC;
                let nc = NC.min(n - n0);
                let width = nc.div_ceil(nr) * nr;
                let mut k0 = 0;
                while k0 < k {
                    let kc = KC.min(k - k0);
                    b.pack(
                        k0,
                        kc,
                        n0,
                        nc,
                        nr,
                        &mut panel[k0 * width..(k0 + kc) * width],
                    );
                    k0 += kc;
                }
            });
        Self {
            isa,
            data: Store::F32(data),
            rows: k,
            cols: n,
        }
    }

    /// The same operand held in f16 (half the memory); products still compute in f32.
    pub fn into_half(self) -> Self {
        Self {
            data: self.data.into_half(),
            ..self
        }
    }

    /// Whether the values are held in f16.
    pub fn is_half(&self) -> bool {
        self.data.is_half()
    }

    /// Memory held by the packed values.
    pub fn bytes(&self) -> usize {
        self.data.bytes()
    }

    fn padded_cols(n: usize, nr: usize) -> usize {
        let full = n / NC * NC;
        full + (n - full).div_ceil(nr) * nr
    }

    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// `(K, N)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The value at row `r`, column `c` (for unpacking in tests and fallbacks).
    pub fn at(&self, r: usize, c: usize) -> f32 {
        let (_, nr) = self.isa.tile();
        let n0 = c / NC * NC;
        let width = (NC.min(self.cols - n0)).div_ceil(nr) * nr;
        let k0 = r / KC * KC;
        let kc = KC.min(self.rows - k0);
        let (jj, s) = (c - n0, (c - n0) / nr);
        self.data
            .get(n0 * self.rows + k0 * width + s * kc * nr + (r - k0) * nr + jj % nr)
    }
}

impl PackB for PackedB {
    fn dims(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    fn pack(&self, k0: usize, kc: usize, n0: usize, nc: usize, nr: usize, out: &mut [f32]) {
        if let Store::F16(h) = &self.data {
            // A whole stored block: widen it in one pass (F16C when the CPU has it).
            let width = (NC.min(self.cols - n0)).div_ceil(nr) * nr;
            if nr == self.isa.tile().1
                && k0.is_multiple_of(KC)
                && n0.is_multiple_of(NC)
                && kc == KC.min(self.rows - k0)
                && nc == NC.min(self.cols - n0)
            {
                let start = n0 * self.rows + k0 * width;
                let len = kc * width;
                h[start..start + len].convert_to_f32_slice(&mut out[..len]);
                return;
            }
        }
        for s in 0..nc.div_ceil(nr) {
            for k in 0..kc {
                for j in 0..nr {
                    let c = n0 + s * nr + j;
                    out[s * kc * nr + k * nr + j] =
                        if c < n0 + nc { self.at(k0 + k, c) } else { 0.0 };
                }
            }
        }
    }

    fn prepacked(&self, isa: Isa, k0: usize, n0: usize) -> Option<&[f32]> {
        let Store::F32(data) = &self.data else {
            return None;
        };
        if isa != self.isa || !k0.is_multiple_of(KC) || !n0.is_multiple_of(NC) {
            return None;
        }
        let (_, nr) = isa.tile();
        let width = (NC.min(self.cols - n0)).div_ceil(nr) * nr;
        Some(&data[n0 * self.rows + k0 * width..])
    }
}

impl PackB for Strided<'_> {
    fn dims(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// A contiguous matrix exactly one sliver wide is its own packed form (attention's
    /// probabilities for one chunk of queries on AVX2): no copy.
    fn prepacked(&self, isa: Isa, k0: usize, n0: usize) -> Option<&[f32]> {
        let (_, nr) = isa.tile();
        let one_sliver = self.cols == nr && self.col_stride == 1 && self.row_stride == nr;
        (one_sliver && n0 == 0).then(|| &self.data[k0 * nr..])
    }

    fn pack(&self, k0: usize, kc: usize, n0: usize, nc: usize, nr: usize, out: &mut [f32]) {
        let slivers = nc.div_ceil(nr);
        for s in 0..slivers {
            let j0 = n0 + s * nr;
            let w = nr.min(n0 + nc - j0);
            let dst = &mut out[s * kc * nr..(s + 1) * kc * nr];
            if self.col_stride == 1 && w == nr && nr == 32 {
                // Full slivers of the usual width: fixed-size copies, no `memcpy` calls.
                for k in 0..kc {
                    let src = (k0 + k) * self.row_stride + j0;
                    let from: &[f32; 32] = self.data[src..src + 32].try_into().expect("32");
                    let to: &mut [f32; 32] =
                        (&mut dst[k * 32..(k + 1) * 32]).try_into().expect("32");
                    *to = *from;
                }
            } else if self.col_stride == 1 {
                for k in 0..kc {
                    let src = (k0 + k) * self.row_stride + j0;
                    let row = &mut dst[k * nr..(k + 1) * nr];
                    row[..w].copy_from_slice(&self.data[src..src + w]);
                    row[w..].fill(0.0);
                }
            } else {
                if w < nr {
                    dst.fill(0.0);
                }
                for j in 0..w {
                    for k in 0..kc {
                        dst[k * nr + j] = self.at(k0 + k, j0 + j);
                    }
                }
            }
        }
    }
}

/// Writes `A[m0.., k0..k0+kc]` as `ceil(rows/mr)` slivers of `kc × mr`, zero-padded.
fn pack_a(a: &Strided, m0: usize, rows: usize, k0: usize, kc: usize, mr: usize, out: &mut [f32]) {
    let slivers = rows.div_ceil(mr);
    for s in 0..slivers {
        let i0 = m0 + s * mr;
        let h = mr.min(m0 + rows - i0);
        let dst = &mut out[s * kc * mr..(s + 1) * kc * mr];
        if h < mr {
            dst.fill(0.0);
        }
        for i in 0..h {
            if a.col_stride == 1 {
                let src = &a.data[(i0 + i) * a.row_stride + k0..][..kc];
                for (k, v) in src.iter().enumerate() {
                    dst[k * mr + i] = *v;
                }
            } else {
                for k in 0..kc {
                    dst[k * mr + i] = a.at(i0 + i, k0 + k);
                }
            }
        }
    }
}

/// What `C` starts from before the products are added: zero, one value per row (a
/// convolution's bias, rows being output channels), one per column (a linear layer's), or
/// whatever `C` already holds (a residual the caller put there, bias included).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bias<'a> {
    None,
    PerRow(&'a [f32]),
    PerCol(&'a [f32]),
    Keep,
}

/// Whether a product may spread over the rayon pool (callers already running many products in
/// parallel pass `Sequential`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Par {
    Sequential,
    Rayon,
}

/// A `C` shared by the workers, each writing its own disjoint tiles.
#[derive(Clone, Copy)]
struct CPtr(*mut f32);
// SAFETY: workers write disjoint tiles of `C` (distinct row ranges or column panels), and the
// buffer outlives the scope that uses the pointer.
unsafe impl Send for CPtr {}
// SAFETY: as for `Send`: shared only to hand each worker its own disjoint tiles.
unsafe impl Sync for CPtr {}

thread_local! {
    static BPACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static APACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A 64-byte aligned window of at least `len` floats in a reused thread-local buffer.
fn aligned(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len + 16 {
        buf.resize(len + 16, 0.0);
    }
    let off = buf.as_ptr().align_offset(64).min(15);
    &mut buf[off..off + len]
}

/// The left operand, either to be packed as the product goes or packed already.
#[derive(Clone, Copy)]
enum AOp<'a> {
    Raw(&'a Strided<'a>),
    /// All of `A` packed k-block by k-block (each `kc × m_pad`), and `m_pad`.
    Packed(&'a [f32], usize),
    /// The same layout in f16, widened block by block into the thread's `A` buffer.
    PackedHalf(&'a [f16], usize),
}

/// A left operand packed once for many products (attention reuses one head's keys and values
/// for every chunk of queries).
#[derive(Debug, Clone)]
pub struct PackedA {
    isa: Isa,
    data: Store,
    rows: usize,
    cols: usize,
}

impl PackedA {
    pub(crate) fn new(isa: Isa, a: &Strided, par: Par) -> Self {
        a.check();
        let (m, k) = (a.rows, a.cols);
        let (mr, _) = isa.tile();
        let m_pad = m.div_ceil(mr) * mr;
        let mut data = super::zeroed(m_pad * k);
        let pack_block = |(kb, blk): (usize, &mut [f32])| {
            let k0 = kb * KC;
            pack_a(a, 0, m, k0, KC.min(k - k0), mr, blk);
        };
        if par == Par::Rayon && m * k > 1 << 16 {
            data.par_chunks_mut((KC * m_pad).max(1))
                .enumerate()
                .for_each(pack_block);
        } else {
            data.chunks_mut((KC * m_pad).max(1))
                .enumerate()
                .for_each(pack_block);
        }
        Self {
            isa,
            data: Store::F32(data),
            rows: m,
            cols: k,
        }
    }

    /// The same operand held in f16 (half the memory); products still compute in f32.
    pub fn into_half(self) -> Self {
        Self {
            data: self.data.into_half(),
            ..self
        }
    }

    /// Whether the values are held in f16.
    pub fn is_half(&self) -> bool {
        self.data.is_half()
    }

    /// Memory held by the packed values.
    pub fn bytes(&self) -> usize {
        self.data.bytes()
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// The value at row `r`, column `c` (for unpacking in fallbacks and tests).
    pub fn at(&self, r: usize, c: usize) -> f32 {
        let (mr, _) = self.isa.tile();
        let m_pad = self.rows.div_ceil(mr) * mr;
        let k0 = c / KC * KC;
        let kc = KC.min(self.cols - k0);
        self.data
            .get(k0 * m_pad + (r / mr) * kc * mr + (c - k0) * mr + r % mr)
    }

    pub fn cols(&self) -> usize {
        self.cols
    }
}

/// `C[M×N] = A[M×K] · B[K×N] + bias`, `C` row-major with `N` columns, written whole.
///
/// Panics if the shapes disagree (callers check shapes and return candle errors first).
pub(crate) fn gemm(isa: Isa, a: &Strided, b: &dyn PackB, bias: Bias, c: &mut [f32], par: Par) {
    a.check();
    // With several column panels every panel reuses all of A: pack it once, up front.
    if b.dims().1 > NC && a.rows * a.cols > 0 {
        let p = PackedA::new(isa, a, par);
        return gemm_packed(&p, b, bias, c, par);
    }
    run(isa, a.rows, a.cols, AOp::Raw(a), b, bias, c, par);
}

/// [`gemm`] with a left operand packed beforehand.
pub(crate) fn gemm_packed(a: &PackedA, b: &dyn PackB, bias: Bias, c: &mut [f32], par: Par) {
    let (mr, _) = a.isa.tile();
    let m_pad = a.rows.div_ceil(mr) * mr;
    let aop = match &a.data {
        Store::F32(d) => AOp::Packed(d, m_pad),
        Store::F16(h) => AOp::PackedHalf(h, m_pad),
    };
    run(a.isa, a.rows, a.cols, aop, b, bias, c, par);
}

#[allow(clippy::too_many_arguments)]
fn run(isa: Isa, m: usize, k: usize, aop: AOp, b: &dyn PackB, bias: Bias, c: &mut [f32], par: Par) {
    let (kb, n) = b.dims();
    assert_eq!(k, kb, "inner dimensions differ");
    assert_eq!(c.len(), m * n, "output has the wrong size");
    assert!(
        isa.available(),
        "{isa:?} kernels need a CPU that supports them"
    );
    match bias {
        Bias::None => c.fill(0.0),
        Bias::PerRow(v) => {
            assert_eq!(v.len(), m);
            for (row, &bv) in c.chunks_exact_mut(n.max(1)).zip(v) {
                row.fill(bv);
            }
        }
        Bias::PerCol(v) => {
            assert_eq!(v.len(), n);
            for row in c.chunks_exact_mut(n.max(1)) {
                row.copy_from_slice(v);
            }
        }
        Bias::Keep => {}
    }
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let (mr, _) = isa.tile();
    let panels = n.div_ceil(NC);
    let threads = if par == Par::Rayon {
        rayon::current_num_threads().max(1)
    } else {
        1
    };
    // Enough tasks to keep every thread busy: column panels first, then split the rows, then
    // split panels into runs of slivers. The last matters for products of a few rows against
    // a weight of one panel (a translator's beams through a 512-wide layer): they read B once
    // and are bound by memory, so a second thread halves them where rows cannot be split.
    // Every output element still sums over K in the same order, so results do not change.
    let flops = 2.0 * m as f64 * n as f64 * k as f64;
    let weight_bytes = 4.0 * k as f64 * n as f64;
    let threads = if flops < 4.0e6 && weight_bytes < MIN_PARALLEL_B_BYTES {
        1
    } else {
        threads
    };
    let m_parts = if panels >= threads {
        1
    } else {
        threads.div_ceil(panels).min(m.div_ceil(mr))
    };
    let (_, nr) = isa.tile();
    let panel_slivers = NC.min(n).div_ceil(nr);
    let n_parts = if panels * m_parts >= threads {
        1
    } else {
        threads.div_ceil(panels * m_parts).min(panel_slivers)
    };
    let slivers_per_part = panel_slivers.div_ceil(n_parts);
    let rows_per_part = m.div_ceil(m_parts).div_ceil(mr) * mr;
    let cptr = CPtr(c.as_mut_ptr());
    let task = |t: usize| {
        let (p, rest) = (t / (m_parts * n_parts), t % (m_parts * n_parts));
        let (q, r) = (rest / n_parts, rest % n_parts);
        let n0 = p * NC;
        let panel_width = NC.min(n - n0);
        let from = r * slivers_per_part * nr;
        let m0 = q * rows_per_part;
        if m0 >= m || from >= panel_width {
            return;
        }
        let rows = rows_per_part.min(m - m0);
        let cols = (slivers_per_part * nr).min(panel_width - from);
        // SAFETY: this task owns rows m0..m0+rows of columns n0+from..n0+from+cols.
        unsafe { panel(isa, k, aop, b, n, cptr, m0, rows, n0, from, cols) };
    };
    let tasks = panels * m_parts * n_parts;
    if threads > 1 && tasks > 1 {
        (0..tasks).into_par_iter().for_each(task);
    } else {
        (0..tasks).for_each(task);
    }
}

/// Columns `n0+from..n0+from+nc` (`n0` a panel's first column, `from` a whole number of
/// slivers into it) of `C` for rows `m0..m0+rows`, over all of `K`.
///
/// # Safety
/// `c` points at an `M × ldc` buffer and no other thread touches this block of it.
#[allow(clippy::too_many_arguments)]
unsafe fn panel(
    isa: Isa,
    k: usize,
    aop: AOp,
    b: &dyn PackB,
    ldc: usize,
    c: CPtr,
    m0: usize,
    rows: usize,
    n0: usize,
    from: usize,
    nc: usize,
) {
    let (mr, nr) = isa.tile();
    debug_assert!(from.is_multiple_of(nr), "a part starts on a sliver");
    let n_sl = nc.div_ceil(nr);
    let m_sl = rows.div_ceil(mr);
    // The tiles written below stay inside the rows and columns this task owns.
    BPACK.with_borrow_mut(|bbuf| {
        APACK.with_borrow_mut(|abuf| {
            let bp = aligned(bbuf, KC * n_sl * nr);
            let ap = aligned(
                abuf,
                if matches!(aop, AOp::Packed(..)) {
                    0
                } else {
                    KC * m_sl * mr
                },
            );
            let mut tile = [0f32; 12 * 32];
            assert!(mr * nr <= tile.len(), "the edge tile buffer is too small");
            let mut k0 = 0;
            while k0 < k {
                let kc = KC.min(k - k0);
                // A prepacked panel holds its slivers one after another for each K block.
                let bsrc: &[f32] = match b.prepacked(isa, k0, n0) {
                    Some(p) => &p[(from / nr) * kc * nr..],
                    None => {
                        b.pack(k0, kc, n0 + from, nc, nr, bp);
                        bp
                    }
                };
                let ablock: &[f32] = match aop {
                    AOp::Packed(p, m_pad) => &p[k0 * m_pad + m0 * kc..],
                    AOp::PackedHalf(h, m_pad) => {
                        let len = m_sl * mr * kc;
                        let start = k0 * m_pad + m0 * kc;
                        h[start..start + len].convert_to_f32_slice(&mut ap[..len]);
                        ap
                    }
                    AOp::Raw(a) => {
                        pack_a(a, m0, rows, k0, kc, mr, ap);
                        ap
                    }
                };
                // The micro-kernel reads `kc × mr` of A per row sliver and `kc × nr` of B per
                // column sliver through raw pointers: both blocks must hold every sliver.
                assert!(
                    ablock.len() >= m_sl * kc * mr,
                    "packed A block is shorter than its slivers"
                );
                assert!(
                    bsrc.len() >= n_sl * kc * nr,
                    "packed B block is shorter than its slivers"
                );
                for si in 0..m_sl {
                    let i0 = m0 + si * mr;
                    let h = mr.min(m0 + rows - i0);
                    let asl = ablock[si * kc * mr..].as_ptr();
                    for sj in 0..n_sl {
                        let j0 = n0 + from + sj * nr;
                        let w = nr.min(n0 + from + nc - j0);
                        let bsl = bsrc[sj * kc * nr..].as_ptr();
                        // SAFETY: (i0, j0) lies inside the `M × ldc` output (the caller's
                        // contract), so the offset stays inside its allocation.
                        let cp = unsafe { c.0.add(i0 * ldc + j0) };
                        if h == mr && w == nr {
                            // SAFETY: the slivers hold `kc·mr` and `kc·nr` floats (asserted
                            // above); the full tile's `mr` rows of `nr` floats, `ldc` apart,
                            // are this task's own part of C; `run` checked `isa.available()`.
                            unsafe { isa.kernel(kc, asl, bsl, cp, ldc, true) };
                        } else {
                            // SAFETY: as above for A and B; the output is `tile`, which holds
                            // `mr × nr` floats (asserted above) with rows `nr` apart.
                            unsafe { isa.kernel(kc, asl, bsl, tile.as_mut_ptr(), nr, false) };
                            for i in 0..h {
                                for j in 0..w {
                                    // SAFETY: rows i0 + i < i0 + h and columns j0 + j <
                                    // j0 + w stay inside this task's block of C.
                                    unsafe { *cp.add(i * ldc + j) += tile[i * nr + j] };
                                }
                            }
                        }
                    }
                }
                k0 += kc;
            }
        })
    });
}

/// # Safety
/// See [`Isa::kernel`].
unsafe fn kernel_portable(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    acc: bool,
) {
    const MR: usize = 4;
    const NR: usize = 16;
    // SAFETY: the caller guarantees `a` holds `kc·MR` floats and `b` `kc·NR`.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, kc * MR),
            std::slice::from_raw_parts(b, kc * NR),
        )
    };
    let mut t = [[0f32; NR]; MR];
    for (av, bv) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for i in 0..MR {
            for j in 0..NR {
                t[i][j] = av[i].mul_add(bv[j], t[i][j]);
            }
        }
    }
    for (i, row) in t.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            // SAFETY: the caller guarantees `c` addresses MR rows of NR floats, `ldc` apart.
            unsafe {
                let p = c.add(i * ldc + j);
                *p = if acc { *p + v } else { *v };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    super::avx512_features!([super::compiled_for]
    /// # Safety
    /// See `Isa::kernel`; needs every AVX-512 feature `Isa::Avx512` checks for.
    pub unsafe fn kernel_avx512(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        acc: bool,
    ) {
        const MR: usize = 12;
        let mut c0 = [_mm512_setzero_ps(); MR];
        let mut c1 = [_mm512_setzero_ps(); MR];
        let (mut a, mut b) = (a, b);
        // SAFETY (the whole body): `a` advances MR and `b` 32 floats per step over `kc`
        // steps, within the `kc·MR` and `kc·32` floats the caller guarantees; `c` is read and
        // written at MR rows of 32 floats, `ldc` apart, which the caller guarantees too.
        unsafe {
            for _ in 0..kc {
                let b0 = _mm512_loadu_ps(b);
                let b1 = _mm512_loadu_ps(b.add(16));
                for i in 0..MR {
                    let ai = _mm512_set1_ps(*a.add(i));
                    c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
                    c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
                }
                a = a.add(MR);
                b = b.add(32);
            }
            for i in 0..MR {
                let p = c.add(i * ldc);
                if acc {
                    c0[i] = _mm512_add_ps(c0[i], _mm512_loadu_ps(p));
                    c1[i] = _mm512_add_ps(c1[i], _mm512_loadu_ps(p.add(16)));
                }
                _mm512_storeu_ps(p, c0[i]);
                _mm512_storeu_ps(p.add(16), c1[i]);
            }
        }
    });

    super::avx2_features!([super::compiled_for]
    /// # Safety
    /// See `Isa::kernel`; needs AVX2 and FMA.
    pub unsafe fn kernel_avx2(
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        ldc: usize,
        acc: bool,
    ) {
        const MR: usize = 6;
        let mut c0 = [_mm256_setzero_ps(); MR];
        let mut c1 = [_mm256_setzero_ps(); MR];
        let (mut a, mut b) = (a, b);
        // SAFETY (the whole body): `a` advances MR and `b` 16 floats per step over `kc`
        // steps, within the `kc·MR` and `kc·16` floats the caller guarantees; `c` is read and
        // written at MR rows of 16 floats, `ldc` apart, which the caller guarantees too.
        unsafe {
            for _ in 0..kc {
                let b0 = _mm256_loadu_ps(b);
                let b1 = _mm256_loadu_ps(b.add(8));
                for i in 0..MR {
                    let ai = _mm256_set1_ps(*a.add(i));
                    c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
                    c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
                }
                a = a.add(MR);
                b = b.add(16);
            }
            for i in 0..MR {
                let p = c.add(i * ldc);
                if acc {
                    c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(p));
                    c1[i] = _mm256_add_ps(c1[i], _mm256_loadu_ps(p.add(8)));
                }
                _mm256_storeu_ps(p, c0[i]);
                _mm256_storeu_ps(p.add(8), c1[i]);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rand_vec(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn reference(a: &Strided, b: &Strided, bias: Bias) -> Vec<f64> {
        let (m, k, n) = (a.rows, a.cols, b.cols);
        let mut c = vec![0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = match bias {
                    Bias::None => 0.0,
                    Bias::PerRow(v) => v[i] as f64,
                    Bias::PerCol(v) => v[j] as f64,
                    Bias::Keep => unreachable!("the reference starts from zero"),
                };
                for kk in 0..k {
                    s += a.at(i, kk) as f64 * b.at(kk, j) as f64;
                }
                c[i * n + j] = s;
            }
        }
        c
    }

    fn check(
        isa: Isa,
        m: usize,
        k: usize,
        n: usize,
        transpose_a: bool,
        transpose_b: bool,
        par: Par,
    ) {
        let ad = rand_vec(m * k, 1 + m as u64);
        let bd = rand_vec(k * n, 2 + n as u64);
        let bias_d = rand_vec(m.max(n), 3);
        let a = if transpose_a {
            Strided::transposed(&ad, m, k)
        } else {
            Strided::row_major(&ad, m, k)
        };
        let b = if transpose_b {
            Strided::transposed(&bd, k, n)
        } else {
            Strided::row_major(&bd, k, n)
        };
        for bias in [
            Bias::None,
            Bias::PerRow(&bias_d[..m]),
            Bias::PerCol(&bias_d[..n]),
        ] {
            let mut c = vec![f32::NAN; m * n];
            gemm(isa, &a, &b, bias, &mut c, par);
            let r = reference(&a, &b, bias);
            let (mut num, mut den) = (0f64, 0f64);
            for (x, y) in c.iter().zip(&r) {
                num += (*x as f64 - y).powi(2);
                den += y * y;
            }
            let rel = (num / den.max(1e-30)).sqrt();
            assert!(
                rel < 1e-5,
                "{isa:?} {m}x{k}x{n} ta={transpose_a} tb={transpose_b} {bias:?}: rel {rel}"
            );
        }
    }

    #[test]
    fn odd_shapes_every_isa() {
        for isa in crate::pipeline::kernels::test_isas("gemm odd_shapes_every_isa") {
            for &(m, k, n) in &[
                (1, 1, 1),
                (1, 7, 33),
                (13, 1, 5),
                (25, 300, 1),
                (37, 257, 70),
                (12, 256, 32),
                (50, 600, 1100),
                // Exactly one sliver wide (16 or 32) and deeper than one block: the
                // row-major B is read in place, block by block.
                (20, 900, 16),
                (20, 900, 32),
            ] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    check(isa, m, k, n, ta, tb, Par::Sequential);
                }
                check(isa, m, k, n, false, false, Par::Rayon);
            }
        }
    }

    #[test]
    fn prepacked_operands_every_isa() {
        for isa in crate::pipeline::kernels::test_isas("gemm prepacked_operands_every_isa") {
            for &(m, k, n) in &[(1, 1, 1), (37, 257, 70), (50, 800, 1100), (13, 385, 512)] {
                let ad = rand_vec(m * k, 5);
                let bd = rand_vec(k * n, 6);
                let a = Strided::row_major(&ad, m, k);
                let b = Strided::transposed(&bd, k, n);
                let pb = PackedB::new(isa, &b);
                let pa = PackedA::new(isa, &a, Par::Rayon);
                for (r, c) in [(0, 0), (k - 1, n - 1), (k / 2, n / 3)] {
                    assert_eq!(pb.at(r, c), b.at(r, c));
                }
                for (r, c) in [(0, 0), (m - 1, k - 1), (m / 2, k / 3)] {
                    assert_eq!(pa.at(r, c), a.at(r, c));
                }
                let r = reference(&a, &b, Bias::None);
                for which in 0..2 {
                    let mut c = vec![f32::NAN; m * n];
                    if which == 0 {
                        gemm(isa, &a, &pb, Bias::None, &mut c, Par::Rayon);
                    } else {
                        gemm_packed(&pa, &pb, Bias::None, &mut c, Par::Sequential);
                    }
                    let (mut num, mut den) = (0f64, 0f64);
                    for (x, y) in c.iter().zip(&r) {
                        num += (*x as f64 - y).powi(2);
                        den += y * y;
                    }
                    let rel = (num / den.max(1e-30)).sqrt();
                    assert!(rel < 1e-5, "{isa:?} {m}x{k}x{n} #{which}: rel {rel}");
                }
            }
        }
    }

    /// f16-held operands must give the product of the f16-rounded values, computed in f32:
    /// against an f64 reference on the rounded inputs the error is f32 rounding (< 1e-5), and
    /// against the unrounded f32 product it is f16 input rounding (2⁻¹¹ relative per value,
    /// ≈ 2⁻¹¹ overall for random signs, so < 1e-3).
    #[test]
    fn half_packed_operands_every_isa() {
        for isa in crate::pipeline::kernels::test_isas("gemm half_packed_operands_every_isa") {
            for &(m, k, n) in &[(1, 1, 1), (37, 257, 70), (50, 800, 1100), (13, 385, 512)] {
                let ad = rand_vec(m * k, 7);
                let bd = rand_vec(k * n, 8);
                let round = |v: &[f32]| -> Vec<f32> {
                    v.iter().map(|x| f16::from_f32(*x).to_f32()).collect()
                };
                let (ah, bh) = (round(&ad), round(&bd));
                let a = Strided::row_major(&ad, m, k);
                let b = Strided::transposed(&bd, k, n);
                let pb = PackedB::new(isa, &b).into_half();
                let pa = PackedA::new(isa, &a, Par::Rayon).into_half();
                assert!(pb.is_half() && pa.is_half());
                assert_eq!(pb.bytes(), PackedB::new(isa, &b).bytes() / 2);
                let (a_r, b_r) = (
                    Strided::row_major(&ah, m, k),
                    Strided::transposed(&bh, k, n),
                );
                for (r, c) in [(0, 0), (k - 1, n - 1), (k / 2, n / 3)] {
                    assert_eq!(pb.at(r, c), b_r.at(r, c));
                }
                for (r, c) in [(0, 0), (m - 1, k - 1), (m / 2, k / 3)] {
                    assert_eq!(pa.at(r, c), a_r.at(r, c));
                }
                let exact_rounded = reference(&a_r, &b_r, Bias::None);
                let exact = reference(&a, &b, Bias::None);
                let rel = |c: &[f32], r: &[f64]| {
                    let (mut num, mut den) = (0f64, 0f64);
                    for (x, y) in c.iter().zip(r) {
                        num += (*x as f64 - y).powi(2);
                        den += y * y;
                    }
                    (num / den.max(1e-30)).sqrt()
                };
                for which in 0..3 {
                    let mut c = vec![f32::NAN; m * n];
                    match which {
                        0 => gemm(isa, &a_r, &pb, Bias::None, &mut c, Par::Rayon),
                        1 => gemm_packed(&pa, &pb, Bias::None, &mut c, Par::Sequential),
                        _ => gemm_packed(&pa, &b_r, Bias::None, &mut c, Par::Rayon),
                    }
                    let e = rel(&c, &exact_rounded);
                    assert!(e < 1e-5, "{isa:?} {m}x{k}x{n} #{which}: rel {e}");
                    let e = rel(&c, &exact);
                    assert!(e < 1e-3, "{isa:?} {m}x{k}x{n} #{which} vs f32: rel {e}");
                }
                // Blocks read outside the stored grid (the generic `pack`) widen too.
                if k > 4 {
                    let mut out = vec![0f32; 16 * 3];
                    pb.pack(1, 3, 0, n.min(5), 16, &mut out);
                    for kk in 0..3 {
                        assert_eq!(out[kk * 16], b_r.at(1 + kk, 0));
                    }
                }
            }
        }
    }

    #[test]
    fn parallel_split_over_rows_and_panels() {
        check(Isa::detect(), 300, 70, 40, false, false, Par::Rayon);
        check(Isa::detect(), 33, 90, 2000, false, true, Par::Rayon);
    }

    /// Products of a few rows against one panel (a translator's beams through its layers) are
    /// split into runs of slivers across threads, prepacked B or not; each element is summed
    /// in the same order as on one thread, so the results are identical, not merely close.
    #[test]
    fn few_rows_split_over_slivers_give_the_one_thread_result() {
        for threads in [2, 3, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for isa in crate::pipeline::kernels::test_isas("gemm few_rows_split_over_slivers") {
                for &(m, k, n) in &[(4, 512, 512), (4, 2048, 512), (1, 300, 40), (5, 600, 70)] {
                    check(isa, m, k, n, false, true, Par::Rayon);
                    let ad = rand_vec(m * k, 7);
                    let bd = rand_vec(k * n, 8);
                    let a = Strided::row_major(&ad, m, k);
                    let b = Strided::transposed(&bd, k, n);
                    let pb = PackedB::new(isa, &b);
                    let bias = rand_vec(n, 9);
                    let run = |b: &dyn PackB, par| {
                        let mut c = vec![f32::NAN; m * n];
                        pool.install(|| gemm(isa, &a, b, Bias::PerCol(&bias), &mut c, par));
                        c
                    };
                    let one = run(&pb, Par::Sequential);
                    assert_eq!(run(&pb, Par::Rayon), one, "{isa:?} {m}x{k}x{n} prepacked");
                    assert_eq!(run(&b, Par::Rayon), one, "{isa:?} {m}x{k}x{n} strided");
                }
            }
        }
    }
}
