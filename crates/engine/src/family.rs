//! Model families: the few kinds of Stable Diffusion models whose prompts, sizes and step
//! counts differ enough that styles and page presets are written per family.
//!
//! The pipeline decides the family from the model's own configs (text encoder count, UNet
//! sample size, scheduler spacing); everything downstream only sees this enum.

use std::fmt;
use std::str::FromStr;

/// A family of models that share a native resolution, a tokenizer window and prompt habits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ModelFamily {
    /// SD 1.x (512², CLIP ViT-L/14).
    Sd15,
    /// SD 2.x 768-v (768², OpenCLIP ViT-H).
    Sd21,
    /// SDXL base (1024² buckets, two text encoders).
    Sdxl,
    /// SD-Turbo: SD 2.1 distilled for 1–4 steps without classifier-free guidance (512²).
    #[serde(rename = "sd-turbo")]
    Turbo,
    /// SDXL-Turbo: SDXL distilled the same way, trained at 512².
    SdxlTurbo,
}

impl ModelFamily {
    pub const ALL: [ModelFamily; 5] = [
        Self::Sd15,
        Self::Sd21,
        Self::Sdxl,
        Self::Turbo,
        Self::SdxlTurbo,
    ];

    /// The short name used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sd15 => "sd15",
            Self::Sd21 => "sd21",
            Self::Sdxl => "sdxl",
            Self::Turbo => "sd-turbo",
            Self::SdxlTurbo => "sdxl-turbo",
        }
    }

    /// A human name for tables and messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Sd15 => "SD 1.5",
            Self::Sd21 => "SD 2.1",
            Self::Sdxl => "SDXL",
            Self::Turbo => "SD-Turbo",
            Self::SdxlTurbo => "SDXL-Turbo",
        }
    }

    /// The style-file override tables that apply, in the order they are applied (later ones
    /// win). SDXL-Turbo takes `[sdxl]` first, because its text encoders are SDXL's and the
    /// same keywords work, then `[turbo]`, because its step count and guidance are a turbo
    /// model's and its negative prompt is ignored.
    pub fn override_keys(self) -> &'static [&'static str] {
        match self {
            Self::Sd15 => &["sd15"],
            Self::Sd21 => &["sd21"],
            Self::Sdxl => &["sdxl"],
            Self::Turbo => &["turbo"],
            Self::SdxlTurbo => &["sdxl", "turbo"],
        }
    }

    /// The main override table of this family (the last of [`Self::override_keys`]).
    pub fn overrides_key(self) -> &'static str {
        let keys = self.override_keys();
        keys[keys.len() - 1]
    }

    /// The side of the square the family was trained on, in pixels.
    pub fn native_side(self) -> u32 {
        match self {
            Self::Sd15 | Self::Turbo | Self::SdxlTurbo => 512,
            Self::Sd21 => 768,
            Self::Sdxl => 1024,
        }
    }

    /// Distilled models run without classifier-free guidance, so negative prompts do nothing.
    pub fn is_distilled(self) -> bool {
        matches!(self, Self::Turbo | Self::SdxlTurbo)
    }

    /// Content tokens the text encoder sees: CLIP's 77 positions minus start and end tokens.
    pub fn token_window(self) -> usize {
        75
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A family name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown model family `{0}`; use one of sd15, sd21, sdxl, sd-turbo, sdxl-turbo")]
pub struct UnknownFamily(pub String);

impl FromStr for ModelFamily {
    type Err = UnknownFamily;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
            .collect();
        match norm.as_str() {
            "sd15" | "sd1" | "sd1x" | "sdv15" => Ok(Self::Sd15),
            "sd21" | "sd2" | "sd2x" | "sdv21" => Ok(Self::Sd21),
            "sdxl" | "sdxlbase" => Ok(Self::Sdxl),
            "turbo" | "sdturbo" => Ok(Self::Turbo),
            "sdxlturbo" => Ok(Self::SdxlTurbo),
            _ => Err(UnknownFamily(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in ModelFamily::ALL {
            assert_eq!(f.name().parse::<ModelFamily>().unwrap(), f);
        }
        assert_eq!("SD 1.5".parse::<ModelFamily>().unwrap(), ModelFamily::Sd15);
        assert!("sd3".parse::<ModelFamily>().is_err());
    }

    #[test]
    fn sdxl_turbo_applies_sdxl_then_turbo() {
        assert_eq!(ModelFamily::SdxlTurbo.override_keys(), &["sdxl", "turbo"]);
        assert_eq!(ModelFamily::SdxlTurbo.overrides_key(), "turbo");
    }
}
