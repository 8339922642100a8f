//! Reading a golden file of `tools/reference/`: its tensors and the SHA-256 of the fixture
//! weights it was made from (so a changed fixture is reported as such, not as a wrong
//! number).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use sha2::{Digest, Sha256};

pub struct Golden {
    tensors: HashMap<String, Tensor>,
    pub weights_sha256: String,
}

impl Golden {
    /// `crates/engine/tests/golden/<area>/<name>.safetensors`.
    pub fn read(area: &str, name: &str) -> Golden {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(area)
            .join(format!("{name}.safetensors"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).expect("golden header");
        let weights_sha256 = meta
            .metadata()
            .as_ref()
            .and_then(|m| m.get("weights_sha256").cloned())
            .expect("weights_sha256 in golden metadata");
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).expect("golden");
        Golden {
            tensors,
            weights_sha256,
        }
    }

    pub fn get(&self, name: &str) -> &Tensor {
        self.tensors
            .get(name)
            .unwrap_or_else(|| panic!("golden has no {name}"))
    }

    /// Panics, naming the script to rerun, when `weights` is not the file the golden used.
    pub fn check_fixture(&self, weights: &Path, script: &str) {
        let sha = format!(
            "{:x}",
            Sha256::digest(std::fs::read(weights).expect("fixture"))
        );
        assert_eq!(
            sha,
            self.weights_sha256,
            "{} changed since the goldens were made; rerun tools/reference/{script}",
            weights.display()
        );
    }
}

/// ‖a − b‖ / ‖b‖ in f64.
pub fn rel_l2(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.dims(), b.dims());
    let a = a.to_dtype(DType::F64).unwrap();
    let b = b.to_dtype(DType::F64).unwrap();
    let num = (&a - &b).unwrap().sqr().unwrap().sum_all().unwrap();
    let den = b.sqr().unwrap().sum_all().unwrap();
    (num.to_scalar::<f64>().unwrap() / den.to_scalar::<f64>().unwrap()).sqrt()
}

/// SHA-256 of a file, hex.
pub fn sha256(path: &Path) -> String {
    format!(
        "{:x}",
        Sha256::digest(std::fs::read(path).expect("readable file"))
    )
}
