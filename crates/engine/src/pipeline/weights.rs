//! Weights read from memory-mapped `.safetensors` files, each tensor's pages handed back to
//! the system once it has been read.
//!
//! Why not candle's own `VarBuilder::from_mmaped_safetensors`: every weight is copied out of
//! the mapping (converted to the compute dtype, then packed for our kernels), but the mapped
//! pages it was read from stay resident until the whole file is closed, so loading the SD UNet
//! held its 3.5 GB file and its 3.5 GB packed copy at once: a `generate` peaked at 7.8 GiB
//! while the image itself needs 6.3. Dropping each tensor's pages after reading it (they stay
//! in the page cache, so nothing is read from disk twice) keeps the mapping's share small.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device, Result, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;

use crate::model::single_file::{KeyMap, Transform};
use crate::pipeline::lora::{LoraPatch, NetworkWeights};

pub struct MappedWeights {
    files: MmapedSafetensors,
    /// `None`: the files use the names the networks ask for (diffusers layout).
    renaming: Option<Renaming>,
    /// The LoRA updates added to the weights as they are read.
    lora: LoraPatch,
    /// The first tensor that could not be provided.
    failure: Arc<Mutex<Option<ReadFailure>>>,
}

/// How a network's parameter names become the keys of a single-file checkpoint.
struct Renaming {
    map: KeyMap,
}

/// The first tensor a load could not provide, kept so the caller can name the tensor (and a
/// checkpoint's key) in its error as data: candle's error only carries English text.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadFailure {
    /// `key` is the checkpoint key the name maps to, or the name itself when the layout has
    /// no place for it.
    Missing { name: String, key: String },
    Shape {
        name: String,
        key: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },
}

impl MappedWeights {
    /// Maps the files (one model component, possibly sharded).
    ///
    /// # Safety
    /// The files must not be modified while they are mapped (see `memmap2::Mmap::map`).
    pub unsafe fn open(paths: &[PathBuf]) -> Result<Self> {
        // SAFETY: the caller guarantees the files stay unmodified while mapped.
        Ok(Self {
            files: unsafe { MmapedSafetensors::multi(paths)? },
            renaming: None,
            lora: LoraPatch::default(),
            failure: Arc::default(),
        })
    }

    /// The same weights with `patch` merged into them as they are read.
    pub fn with_lora(self, patch: LoraPatch) -> Self {
        Self {
            lora: patch,
            ..self
        }
    }

    /// Every tensor's name and shape as stored (LoRA modules are matched against them).
    pub fn shapes(&self) -> NetworkWeights {
        let tensors = self.files.tensors();
        NetworkWeights::new(tensors.into_iter().map(|(n, v)| (n, v.shape().to_vec())))
    }

    /// The parameters one part of a single-file checkpoint provides, by the diffusers names
    /// `map` gives the file's keys and with the shapes they have once transformed (a third of
    /// a fused `in_proj`), so LoRA modules match them as they match a diffusers folder's.
    pub fn shapes_as(&self, map: &KeyMap) -> NetworkWeights {
        let mut shapes = Vec::new();
        for (key, view) in self.files.tensors() {
            for (name, transform) in map.names_of(&key) {
                shapes.push((name, transform.shape(view.shape())));
            }
        }
        NetworkWeights::new(shapes)
    }

    /// Reads each parameter from the key `map` gives it (one part of a single-file
    /// checkpoint).
    pub fn renamed(mut self, map: KeyMap) -> Self {
        self.renaming = Some(Renaming { map });
        self
    }

    /// The slot where reads leave the first tensor they could not provide (shared: the
    /// weights themselves move into a `VarBuilder`).
    pub fn failure(&self) -> Arc<Mutex<Option<ReadFailure>>> {
        self.failure.clone()
    }

    /// The key in the files and the transform for the parameter `name`.
    fn locate<'a>(&self, name: &'a str) -> Option<(Cow<'a, str>, Transform)> {
        match &self.renaming {
            None => Some((Cow::Borrowed(name), Transform::AsIs)),
            Some(r) => r.map.resolve(name).map(|(k, t)| (Cow::Owned(k), t)),
        }
    }

    fn fail(&self, f: ReadFailure) {
        let mut slot = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(f);
    }

    fn read(&self, name: &str, dtype: DType, device: &Device) -> Result<Tensor> {
        let located = self
            .locate(name)
            .filter(|(key, _)| self.files.get(key).is_ok());
        let Some((key, transform)) = located else {
            let key = self
                .locate(name)
                .map_or(name.to_string(), |(k, _)| k.into());
            self.fail(ReadFailure::Missing {
                name: name.to_string(),
                key: key.clone(),
            });
            return Err(candle_core::Error::CannotFindTensor { path: key });
        };
        let tensor = self.files.load(&key, device)?;
        // `load` copied the values out of the mapping, so its pages are no longer needed.
        forget_pages(self.files.get(&key)?.data());
        self.lora.apply(name, transform.apply(tensor)?, dtype)
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
            if let Some((key, _)) = self.locate(name) {
                self.fail(ReadFailure::Shape {
                    name: name.to_string(),
                    key: key.into_owned(),
                    expected: shape.dims().to_vec(),
                    got: tensor.dims().to_vec(),
                });
            }
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
        self.locate(name)
            .is_some_and(|(key, _)| self.files.get(&key).is_ok())
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

    /// Renamed reads: the diffusers name finds the checkpoint key, the transform is applied
    /// (a third of a fused in_proj), and the first failure is kept with the file's key.
    #[test]
    fn renamed_reads_resolve_transform_and_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.safetensors");
        let fused = Tensor::arange(0f32, 24., &Device::Cpu)
            .unwrap()
            .reshape((6, 4))
            .unwrap();
        let key = "m.transformer.resblocks.0.attn.in_proj_weight";
        candle_core::safetensors::save(&HashMap::from([(key.to_string(), fused)]), &path).unwrap();
        let map = KeyMap::OpenClip {
            prefix: "m.".into(),
        };
        // SAFETY: the file is this test's own and is not modified while mapped.
        let w = unsafe { MappedWeights::open(&[path]) }
            .unwrap()
            .renamed(map);
        let failure = w.failure();
        let dev = Device::Cpu;
        let k = "text_model.encoder.layers.0.self_attn.k_proj.weight";
        assert!(w.contains_tensor(k));
        assert!(!w.contains_tensor(key), "file keys are not network names");
        let t = w
            .get(
                (2, 4).into(),
                k,
                candle_nn::Init::Const(0.),
                DType::F32,
                &dev,
            )
            .unwrap();
        assert_eq!(t.to_vec2::<f32>().unwrap()[0], vec![8., 9., 10., 11.]);
        assert!(failure.lock().unwrap().is_none());

        let e = w
            .get(
                (3, 4).into(),
                k,
                candle_nn::Init::Const(0.),
                DType::F32,
                &dev,
            )
            .unwrap_err();
        assert!(e.to_string().contains("shape mismatch"), "{e}");
        let missing = "text_model.final_layer_norm.bias";
        assert!(w.get_unchecked(missing, DType::F32, &dev).is_err());
        // The first failure is the one kept.
        assert_eq!(
            failure.lock().unwrap().clone(),
            Some(ReadFailure::Shape {
                name: k.to_string(),
                key: key.to_string(),
                expected: vec![3, 4],
                got: vec![2, 4],
            })
        );
    }
}
