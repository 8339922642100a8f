//! LoRA files, by their tensor names. Each input line is one tensor: its first byte picks a
//! small shape (rank 0 to 2, 1 to 3 per side), the rest is the name, so libFuzzer searches
//! the names `Lora::open` classifies. An input starting with `!` is written as the file's raw
//! bytes instead, for the header parser. Whatever the file: no panic, and a refusal names it.
#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use reportfig_engine::pipeline::lora::{Lora, LoraFile};
use safetensors::tensor::TensorView;

fn lora_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        tempfile::tempdir()
            .unwrap()
            .keep()
            .join("style.safetensors")
    })
}

fn safetensors_of(data: &[u8]) -> Vec<u8> {
    let mut tensors: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some((&shape, name)) = line.split_first() else {
            continue;
        };
        let rank = usize::from(shape % 3);
        let dims = (0..rank)
            .map(|i| 1 + usize::from(shape / 3 >> (2 * i)) % 3)
            .collect();
        tensors.insert(String::from_utf8_lossy(name).into_owned(), dims);
    }
    let buffers: Vec<Vec<u8>> = tensors
        .values()
        .map(|shape| vec![0u8; 4 * shape.iter().product::<usize>()])
        .collect();
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .zip(&buffers)
        .map(|((name, shape), buffer)| {
            let view = TensorView::new(safetensors::Dtype::F32, shape.clone(), buffer).unwrap();
            (name.clone(), view)
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let bytes = match data.strip_prefix(b"!") {
        Some(raw) => raw.to_vec(),
        None => safetensors_of(data),
    };
    let path = lora_path();
    std::fs::write(path, bytes).unwrap();
    let file = LoraFile {
        path: path.clone(),
        weight: 0.8,
    };
    match Lora::open(&file) {
        Ok(lora) => {
            let _ = lora.family();
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("style.safetensors"), "{message}");
        }
    }
});
