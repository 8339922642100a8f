//! Real-ESRGAN's compact upscaler against a PyTorch reference written from its architecture
//! (goldens from `tools/reference/upscaler_goldens.py`) on the tiny fixture, tiling, and the
//! loading errors a user can meet.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use reportfig_engine::pipeline::upscale::{SrVggNetCompact, UpscaleError, WEIGHTS_FILE};
use reportfig_testkit::load_context as ctx;
use reportfig_testkit::upscale::write_tiny_upscaler;
use sha2::{Digest, Sha256};

fn golden() -> (HashMap<String, Tensor>, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/upscale/tiny.safetensors");
    let bytes = std::fs::read(&path).expect("golden file");
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).expect("golden header");
    let sha = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get("weights_sha256").cloned())
        .expect("weights_sha256 in golden metadata");
    let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).expect("golden");
    (tensors, sha)
}

fn max_abs(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

fn tiny_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_upscaler(dir.path()).unwrap();
    dir
}

#[test]
fn tiny_upscaler_matches_pytorch() {
    let dir = tiny_dir();
    let (golden, sha) = golden();
    let weights = std::fs::read(dir.path().join(WEIGHTS_FILE)).unwrap();
    assert_eq!(
        format!("{:x}", Sha256::digest(&weights)),
        sha,
        "the tiny upscaler fixture changed; rerun tools/reference/upscaler_goldens.py"
    );
    // The convolution form is chosen from the tile size; both sizes must agree.
    for tile in [8, 512] {
        let net = SrVggNetCompact::load_dir(dir.path(), &ctx(), tile).unwrap();
        for case in ["case0", "case1"] {
            let x = &golden[&format!("{case}.input")];
            let want = &golden[&format!("{case}.output")];
            let got = net.forward(x).unwrap();
            let err = max_abs(&got, want);
            assert!(err < 1e-4, "{case} tile {tile}: max |diff| {err}");
        }
    }
}

#[test]
fn tiles_give_the_same_picture_as_one_pass() {
    let dir = tiny_dir();
    let net = SrVggNetCompact::load_dir(dir.path(), &ctx(), 16).unwrap();
    let img = image::RgbImage::from_fn(23, 17, |x, y| {
        image::Rgb([(x * 11) as u8, (y * 15) as u8, ((x + y) * 5) as u8])
    });
    let whole = net.upscale_image(&img, 64, 0).unwrap();
    assert_eq!(whole.dimensions(), (92, 68));
    // The receptive field reaches num_conv + 2 = 4 pixels: that much context is exact.
    let tiled = net.upscale_image(&img, 7, 4).unwrap();
    assert_eq!(whole, tiled);
    // Without context the tile seams differ, so the check above can fail.
    let seams = net.upscale_image(&img, 7, 0).unwrap();
    assert_ne!(whole, seams);
    // The 8-bit picture is the network's output, clamped and rounded.
    let x = Tensor::from_vec(
        img.as_raw()
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect::<Vec<_>>(),
        (17, 23, 3),
        &Device::Cpu,
    )
    .unwrap()
    .permute((2, 0, 1))
    .unwrap()
    .unsqueeze(0)
    .unwrap()
    .contiguous()
    .unwrap();
    let y = net.forward(&x).unwrap().clamp(0f32, 1f32).unwrap();
    let v = y.to_dtype(DType::F32).unwrap().i_at(0, 2, 5, 9);
    assert_eq!(whole.get_pixel(9, 5)[2], (v * 255.0).round() as u8);
}

trait At {
    fn i_at(&self, b: usize, c: usize, y: usize, x: usize) -> f32;
}

impl At for Tensor {
    fn i_at(&self, b: usize, c: usize, y: usize, x: usize) -> f32 {
        self.get(b)
            .and_then(|t| t.get(c))
            .and_then(|t| t.get(y))
            .and_then(|t| t.get(x))
            .and_then(|t| t.to_scalar::<f32>())
            .unwrap()
    }
}

#[test]
fn loading_errors_name_the_file_and_the_fix() {
    let empty = tempfile::tempdir().unwrap();
    let e = SrVggNetCompact::load_dir(empty.path(), &ctx(), 64).unwrap_err();
    assert!(matches!(e, UpscaleError::NoWeights { .. }), "{e}");
    assert!(e.to_string().contains("model.safetensors"), "{e}");

    // Weights of the tiny net read as the full-size default (no config.json).
    let dir = tiny_dir();
    std::fs::remove_file(dir.path().join("config.json")).unwrap();
    let e = SrVggNetCompact::load_dir(dir.path(), &ctx(), 64).unwrap_err();
    assert!(
        matches!(e, UpscaleError::Weights { num_feat: 64, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("config.json"), "{e}");

    std::fs::write(dir.path().join("config.json"), r#"{"upscale": 0}"#).unwrap();
    let e = SrVggNetCompact::load_dir(dir.path(), &ctx(), 64).unwrap_err();
    assert!(e.to_string().contains("`upscale` is 0"), "{e}");
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The weights as Real-ESRGAN releases them (`torch.save({"params": state_dict})`, written
/// by `upscaler_goldens.py` with torch) load without Python, with the shape read from the
/// tensors, and are the same network as the safetensors folder.
#[test]
fn a_pth_as_released_is_the_same_network_without_python() {
    let pth = fixture("upscaler-tiny.pth");
    let (golden, _) = golden();
    let dir = tiny_dir();
    let from_dir = SrVggNetCompact::load_dir(dir.path(), &ctx(), 64).unwrap();
    let from_pth = SrVggNetCompact::load_pth(&pth, &ctx(), 64).unwrap();
    assert_eq!(from_pth.config(), from_dir.config());
    for case in ["case0", "case1"] {
        let x = &golden[&format!("{case}.input")];
        let got = from_pth.forward(x).unwrap();
        let err = max_abs(&got, &golden[&format!("{case}.output")]);
        assert!(err < 1e-4, "{case}: max |diff| {err}");
        assert_eq!(max_abs(&got, &from_dir.forward(x).unwrap()), 0.0);
    }

    // A folder holding only the downloaded file is an upscaler folder.
    let only = tempfile::tempdir().unwrap();
    std::fs::copy(&pth, only.path().join("realesr-general-x4v3.pth")).unwrap();
    let net = SrVggNetCompact::load_dir(only.path(), &ctx(), 64).unwrap();
    assert_eq!(net.config(), from_dir.config());
    // Two are one too many to guess between.
    std::fs::copy(&pth, only.path().join("other.pth")).unwrap();
    let e = SrVggNetCompact::load_dir(only.path(), &ctx(), 64).unwrap_err();
    assert!(
        matches!(e, UpscaleError::SeveralPth { count: 2, .. }),
        "{e}"
    );
}

/// A pickle that calls anything but the tensor rebuilders is refused by name, unrun; a state
/// dict of another network says it is not a compact upscaler.
#[test]
fn a_hostile_or_foreign_pth_is_refused() {
    let e = SrVggNetCompact::load_pth(&fixture("hostile.bin"), &ctx(), 64).unwrap_err();
    assert!(
        matches!(
            e,
            UpscaleError::Pickle(
                reportfig_engine::translate::pickle::PickleError::RefusedGlobal { .. }
            )
        ),
        "{e}"
    );
    let marian = fixture("marian-tiny-bin/pytorch_model.bin");
    let e = SrVggNetCompact::load_pth(&marian, &ctx(), 64).unwrap_err();
    assert!(matches!(e, UpscaleError::NotCompact { .. }), "{e}");
    assert!(e.to_string().contains("SRVGGNetCompact"), "{e}");
}
