//! Styles from other tools into our TOML: A1111's `styles.csv` (`name,prompt,negative_prompt`)
//! and the JSON lists of Fooocus (`sdxl_styles_*.json`) and InvokeAI style presets. Both use
//! `{prompt}` the way we do, so prompts are copied unchanged.

use std::path::{Path, PathBuf};

use super::parse::to_kebab;

/// The file formats `styles import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// A1111 / Forge `styles.csv`.
    A1111Csv,
    /// Fooocus or InvokeAI: a JSON list of objects with `name`, `prompt`, `negative_prompt`.
    StyleJson,
}

/// One converted style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedStyle {
    /// Kebab-case name, also the file stem.
    pub name: String,
    /// The name as the source file wrote it.
    pub original_name: String,
    /// The TOML text of our style file.
    pub toml: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: line {line}: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: line {line}: not a style list: {message}; expected a JSON list such as [{{\"name\": \"...\", \"prompt\": \"... {{prompt}} ...\", \"negative_prompt\": \"...\"}}]")]
    Json {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: the CSV has no `name` and `prompt` columns (found: {found}); A1111's styles.csv starts with the line name,prompt,negative_prompt")]
    CsvHeader { file: String, found: String },
    #[error("{file}: style {entry}: `{field}` is {found}, not text")]
    BadField {
        file: String,
        /// 1-based position in the list.
        entry: usize,
        field: &'static str,
        found: &'static str,
    },
    #[error("{file} has no styles to import")]
    Empty { file: String },
    #[error("cannot tell the format of {file}; name it .csv (A1111 styles.csv) or .json (Fooocus / InvokeAI styles)")]
    UnknownFormat { file: String },
    #[error("{} already exist{}; pass --force to replace {}, or import into another folder", list_paths(paths), if paths.len() == 1 { "s" } else { "" }, if paths.len() == 1 { "it" } else { "them" })]
    Exists { paths: Vec<PathBuf> },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The format from the file name, or from the first character when the extension says nothing.
pub fn detect_format(file: &str, text: &str) -> Option<ImportFormat> {
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        return Some(ImportFormat::A1111Csv);
    }
    if lower.ends_with(".json") {
        return Some(ImportFormat::StyleJson);
    }
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('[') | Some('{') => Some(ImportFormat::StyleJson),
        Some(_) if text.lines().next().is_some_and(|l| l.contains("name")) => {
            Some(ImportFormat::A1111Csv)
        }
        _ => None,
    }
}

struct Raw {
    name: String,
    prompt: String,
    negative: String,
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn to_toml(name: &str, raw: &Raw, source: &str) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "# Imported from {source} by `reportfig styles import`.\n"
    ));
    t.push_str(&format!("name = {}\n", toml_str(name)));
    t.push_str(&format!(
        "# Add a Korean title for `styles list`: title = {{ en = ..., ko = \"...\" }}\ntitle = {{ en = {} }}\n",
        toml_str(raw.name.trim())
    ));
    t.push_str("category = \"imported\"\n");
    t.push_str(&format!(
        "description = {}\n",
        toml_str(&format!("Imported from {source}."))
    ));
    // A style with only a negative prompt (common in A1111's styles.csv) leaves the caption
    // as it is; an empty prompt would not load as a style.
    let prompt = match raw.prompt.trim() {
        "" => "{prompt}",
        p => p,
    };
    t.push_str(&format!("prompt = {}\n", toml_str(prompt)));
    t.push_str(&format!(
        "negative_prompt = {}\n",
        toml_str(raw.negative.trim())
    ));
    t
}

fn parse_csv(text: &str, file: &str) -> Result<Vec<Raw>, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| ImportError::Csv {
        file: file.to_string(),
        line: e.position().map(|p| p.line()).unwrap_or(0),
        message: e.to_string(),
    };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(name_col), Some(prompt_col)) = (col("name"), col("prompt")) else {
        return Err(ImportError::CsvHeader {
            file: file.to_string(),
            found: headers.iter().collect::<Vec<_>>().join(","),
        });
    };
    let neg_col = col("negative_prompt");
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").to_string();
        out.push(Raw {
            name: get(Some(name_col)),
            prompt: get(Some(prompt_col)),
            negative: get(neg_col),
        });
    }
    Ok(out)
}

/// A JSON value's kind in words, for messages.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "true or false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

fn parse_json(text: &str, file: &str) -> Result<Vec<Raw>, ImportError> {
    let value: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| ImportError::Json {
            file: file.to_string(),
            line: e.line(),
            message: e.to_string(),
        })?;
    // InvokeAI exports may wrap the list; Fooocus files are a bare list.
    let list = match &value {
        serde_json::Value::Array(a) => a.clone(),
        serde_json::Value::Object(o) => match o.get("styles").or_else(|| o.get("style_presets")) {
            Some(serde_json::Value::Array(a)) => a.clone(),
            _ => vec![value.clone()],
        },
        _ => {
            return Err(ImportError::Json {
                file: file.to_string(),
                line: 1,
                message: "the file holds a single value".into(),
            })
        }
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let Some(o) = item.as_object() else { continue };
        // A field that is there but not text (`"prompt": 42`) is a mistake to show, not a
        // style to drop without a word.
        let text_of = |o: &serde_json::Map<String, serde_json::Value>,
                       keys: &[&'static str]|
         -> Result<String, ImportError> {
            for &key in keys {
                match o.get(key) {
                    None | Some(serde_json::Value::Null) => continue,
                    Some(serde_json::Value::String(s)) => return Ok(s.clone()),
                    Some(other) => {
                        return Err(ImportError::BadField {
                            file: file.to_string(),
                            entry: i + 1,
                            field: key,
                            found: json_kind(other),
                        })
                    }
                }
            }
            Ok(String::new())
        };
        // InvokeAI keeps the prompts under `preset_data` with `positive_prompt`.
        let data = o
            .get("preset_data")
            .and_then(|d| d.as_object())
            .unwrap_or(o);
        out.push(Raw {
            name: text_of(o, &["name"])?,
            prompt: text_of(data, &["prompt", "positive_prompt"])?,
            negative: text_of(data, &["negative_prompt"])?,
        });
    }
    Ok(out)
}

/// Converts the text of an import file. `file` names it in messages and in the generated
/// files' comments. Rows without a name or without any prompt (A1111's `None` row) are skipped.
pub fn import_text(
    text: &str,
    format: ImportFormat,
    file: &str,
) -> Result<Vec<ImportedStyle>, ImportError> {
    let raws = match format {
        ImportFormat::A1111Csv => parse_csv(text, file)?,
        ImportFormat::StyleJson => parse_json(text, file)?,
    };
    let source = match format {
        ImportFormat::A1111Csv => format!("{file} (A1111 styles.csv)"),
        ImportFormat::StyleJson => format!("{file} (Fooocus/InvokeAI JSON)"),
    };
    let mut out: Vec<ImportedStyle> = Vec::new();
    for (i, raw) in raws.iter().enumerate() {
        if raw.name.trim().is_empty()
            || (raw.prompt.trim().is_empty() && raw.negative.trim().is_empty())
        {
            continue;
        }
        let mut base = to_kebab(&raw.name);
        if base.is_empty() {
            // Names in other scripts (Korean, say) have no kebab form; keep them in the title.
            base = format!("imported-{}", i + 1);
        }
        let mut name = base.clone();
        let mut n = 2;
        while out.iter().any(|s| s.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        out.push(ImportedStyle {
            toml: to_toml(&name, raw, &source),
            name,
            original_name: raw.name.clone(),
        });
    }
    if out.is_empty() {
        return Err(ImportError::Empty {
            file: file.to_string(),
        });
    }
    Ok(out)
}

/// Reads and converts an import file, detecting its format.
pub fn import_file(path: &Path) -> Result<Vec<ImportedStyle>, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    let format = detect_format(&file, &text)
        .ok_or_else(|| ImportError::UnknownFormat { file: file.clone() })?;
    import_text(&text, format, &file)
}

/// Writes each style to `dir/<name>.toml`, creating `dir`. Without `overwrite`, nothing is
/// written when any target exists, so a second import never half-replaces a folder.
pub fn write_imported(
    styles: &[ImportedStyle],
    dir: &Path,
    overwrite: bool,
) -> Result<Vec<PathBuf>, ImportError> {
    let paths: Vec<PathBuf> = styles
        .iter()
        .map(|s| dir.join(format!("{}.toml", s.name)))
        .collect();
    if !overwrite {
        let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
        if !existing.is_empty() {
            return Err(ImportError::Exists { paths: existing });
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| ImportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    for (s, p) in styles.iter().zip(&paths) {
        std::fs::write(p, &s.toml).map_err(|source| ImportError::Write {
            path: p.clone(),
            source,
        })?;
    }
    Ok(paths)
}
