//! A model's family (which style overrides and page sizes apply) comes from its own configs.

use reportfig::model::source::{resolve, HubOptions, ModelSource};
use reportfig::settings::detect_family;
use reportfig_engine::family::ModelFamily;
use reportfig_testkit::{write_tiny_model, TinyFamily};

#[test]
fn each_tiny_family_is_recognised_from_its_configs() {
    let tmp = tempfile::tempdir().unwrap();
    for (tiny, want) in [
        (TinyFamily::Sd15, ModelFamily::Sd15),
        (TinyFamily::Sd21, ModelFamily::Sd21),
        (TinyFamily::Turbo, ModelFamily::Turbo),
        (TinyFamily::Sdxl, ModelFamily::Sdxl),
    ] {
        let dir = tmp.path().join(tiny.name());
        write_tiny_model(&dir, tiny).unwrap();
        let src = ModelSource::parse(dir.to_str().unwrap()).unwrap();
        let files = resolve(&src, &HubOptions::new(tmp.path().join("hub")), &mut |_| {}).unwrap();
        assert_eq!(detect_family(&files).unwrap(), want, "{}", tiny.name());
    }
}
