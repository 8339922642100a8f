//! Weights read from memory-mapped `.safetensors` files, each tensor's pages handed back to
//! the system once it has been read.
//!
//! Why not candle's own `VarBuilder::from_mmaped_safetensors`: every weight is copied out of
//! the mapping (converted to the compute dtype, then packed for our kernels), but the mapped
//! pages it was read from stay resident until the whole file is closed, so loading the SD UNet
//! held its 3.5 GB file and its 3.5 GB packed copy at once: a `generate` peaked at 7.8 GiB
//! while the image itself needs 6.3. Dropping each tensor's pages after reading it (they stay
//! in the page cache, so nothing is read from disk twice) keeps the mapping's share small.

use std::path::PathBuf;

use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device, Result, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;

use crate::pipeline::lora::{LoraPatch, NetworkWeights};

/// The mapped files, and the LoRA updates added to their weights as they are read.
pub struct MappedWeights(MmapedSafetensors, LoraPatch);

impl MappedWeights {
    /// Maps the files (one model component, possibly sharded).
    ///
    /// # Safety
    /// The files must not be modified while they are mapped (see `memmap2::Mmap::map`).
    pub unsafe fn open(paths: &[PathBuf]) -> Result<Self> {
        // SAFETY: the caller guarantees the files stay unmodified while mapped.
        Ok(Self(
            unsafe { MmapedSafetensors::multi(paths)? },
            LoraPatch::default(),
        ))
    }

    /// The same weights with `patch` merged into them as they are read.
    pub fn with_lora(self, patch: LoraPatch) -> Self {
        Self(self.0, patch)
    }

    /// Every tensor's name and shape (LoRA modules are matched against them).
    pub fn shapes(&self) -> NetworkWeights {
        let tensors = self.0.tensors();
        NetworkWeights::new(tensors.into_iter().map(|(n, v)| (n, v.shape().to_vec())))
    }

    fn read(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        let tensor = self.1.apply(name, self.0.load(name, device)?, dtype)?;
        // `load` copied the values out of the mapping, so its pages are no longer needed.
        forget_pages(self.0.get(name)?.data());
        Ok(tensor)
    }
}

/// Drops the whole pages inside `bytes` from this process's resident set. They belong to a
/// read-only file mapping, so a later read simply maps them again from the page cache.
fn forget_pages(bytes: &[u8]) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (bytes.as_ptr() as usize).div_ceil(PAGE) * PAGE;
        let end = (bytes.as_ptr() as usize + bytes.len()) / PAGE * PAGE;
        if end > start {
            // SAFETY: [start, end) lies inside a live read-only file mapping (the tensor's own
            // bytes); MADV_DONTNEED on such a mapping only unmaps pages, whose contents come
            // back unchanged from the file if they are read again. Failure is harmless.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = bytes;
}

impl SimpleBackend for MappedWeights {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let tensor = self.read(name, dtype, device)?;
        if tensor.shape() != &shape {
            // The same error candle's own backend gives, which `PipelineError` explains.
            return Err(candle_core::Error::UnexpectedShape {
                msg: format!("shape mismatch for {name}"),
                expected: shape,
                got: tensor.shape().clone(),
            });
        }
        Ok(tensor)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        self.read(name, dtype, device)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.0.get(name).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Values as written (across page boundaries: the tensor spans several pages, so some are
    /// dropped after the first read), again on a second read, converted to the asked dtype,
    /// and candle's error for a wrong shape.
    #[test]
    fn reads_each_tensor_and_again_after_its_pages_were_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        let big: Vec<f32> = (0..50_000).map(|i| i as f32 * 0.5).collect();
        let small = Tensor::new(&[1f32, 2., 3.], &Device::Cpu).unwrap();
        let tensors = HashMap::from([
            (
                "big".to_string(),
                Tensor::from_vec(big.clone(), (100, 500), &Device::Cpu).unwrap(),
            ),
            ("small".to_string(), small),
        ]);
        candle_core::safetensors::save(&tensors, &path).unwrap();
        // SAFETY: the file is this test's own and is not modified while mapped.
        let w = unsafe { MappedWeights::open(&[path]) }.unwrap();
        let dev = Device::Cpu;
        for _ in 0..2 {
            let t = w
                .get(
                    (100, 500).into(),
                    "big",
                    candle_nn::Init::Const(0.),
                    DType::F32,
                    &dev,
                )
                .unwrap();
            assert_eq!(t.flatten_all().unwrap().to_vec1::<f32>().unwrap(), big);
        }
        let half = w.get_unchecked("small", DType::F16, &dev).unwrap();
        assert_eq!(half.dtype(), DType::F16);
        let err = w
            .get(
                (3, 1).into(),
                "small",
                candle_nn::Init::Const(0.),
                DType::F32,
                &dev,
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("shape mismatch for small"),
            "{err}"
        );
        assert!(w.contains_tensor("big") && !w.contains_tensor("nope"));
    }
}
