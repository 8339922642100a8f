//! The licence a model's card declares, so a model named by repo or folder gets the same
//! non-commercial notice as a preset.
//!
//! A Hugging Face model card (`README.md`) starts with YAML front matter between `---` lines
//! whose `license:` field holds the hub's licence id. Only that one field is read, so a line
//! scan is enough; a YAML parser would be a dependency for one key.

use std::path::Path;

/// The `license:` of the card's front matter (`license_name:` when it is `other`, as the hub
/// writes custom licences), or `None` without front matter or field.
pub fn declared_licence(card: &str) -> Option<String> {
    let mut lines = card.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let mut licence = None;
    let mut name = None;
    for line in lines {
        if line.trim_end() == "---" {
            break;
        }
        let value = |key: &str| {
            line.strip_prefix(key)
                .map(|v| v.trim().trim_matches(['"', '\'']).to_ascii_lowercase())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = value("license:") {
            licence = Some(v);
        } else if let Some(v) = value("license_name:") {
            name = Some(v);
        }
    }
    match (licence, name) {
        (Some(l), Some(n)) if l == "other" => Some(n),
        (l, _) => l,
    }
}

/// Whether a licence id forbids commercial use: Creative Commons NC, Stability AI's
/// non-commercial licences, FLUX.1 [dev]'s, and custom ids that say so.
pub fn is_non_commercial(id: &str) -> bool {
    let id = id.to_ascii_lowercase();
    ["cc-by-nc", "sai-nc", "flux-1-dev"]
        .iter()
        .any(|p| id.starts_with(p))
        || id.contains("non-commercial")
        || id.contains("noncommercial")
}

/// The non-commercial licence the card in `root` declares, if any.
pub fn non_commercial_licence(root: &Path) -> Option<String> {
    let card = std::fs::read_to_string(root.join(super::source::MODEL_CARD)).ok()?;
    declared_licence(&card).filter(|l| is_non_commercial(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_front_matter_licence() {
        let card = "---\npipeline_tag: text-to-image\nlicense: cc-by-nc-4.0\ntags:\n- x\n---\n# Model\nlicense: mit\n";
        assert_eq!(declared_licence(card).as_deref(), Some("cc-by-nc-4.0"));
        let other = "---\nlicense: other\nlicense_name: flux-1-dev-non-commercial-license\n---\n";
        assert_eq!(
            declared_licence(other).as_deref(),
            Some("flux-1-dev-non-commercial-license")
        );
        assert_eq!(declared_licence("# no front matter\nlicense: x"), None);
        assert_eq!(
            declared_licence("---\nlicense: \"OpenRAIL++\"\n---"),
            Some("openrail++".into())
        );
    }

    #[test]
    fn knows_which_licences_are_non_commercial() {
        for nc in [
            "cc-by-nc-4.0",
            "cc-by-nc-sa-4.0",
            "sai-nc-community",
            "flux-1-dev-non-commercial-license",
            "my-non-commercial-licence",
        ] {
            assert!(is_non_commercial(nc), "{nc}");
        }
        for ok in [
            "creativeml-openrail-m",
            "openrail++",
            "mit",
            "apache-2.0",
            "cc-by-4.0",
        ] {
            assert!(!is_non_commercial(ok), "{ok}");
        }
    }
}
