//! Writing finished images: PNG bytes with the metadata needed to make them again, atomic
//! writes that never leave half a file behind, and file names derived only from the request.
//!
//! Two `iTXt` chunks go into every generated PNG:
//! - `parameters`: the AUTOMATIC1111 "infotext" layout (prompt line, `Negative prompt:` line,
//!   then `Steps: …, Sampler: …, CFG scale: …, Seed: …, Size: WxH, Model: …`), so the image
//!   viewers and web UIs people already use show how it was made;
//! - `reportfig`: the full [`GenerationRequest`] as JSON with a format version, which is what
//!   `batch --resume` and manifest rebuilds read back.
//!
//! Encoding is deterministic: no timestamps, fixed chunk order, fixed compression settings, so
//! the same image and request always give the same bytes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use image::RgbImage;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::i18n::Message;
use reportfig_engine::request::GenerationRequest;

/// `iTXt` keyword of the A1111-style infotext.
pub const PARAMETERS_KEYWORD: &str = "parameters";
/// `iTXt` keyword of the full request as JSON.
pub const REPORTFIG_KEYWORD: &str = "reportfig";
/// Version of the JSON layout in the `reportfig` chunk. Raise it when a field changes meaning;
/// readers refuse versions newer than they know instead of guessing.
pub const METADATA_FORMAT_VERSION: u32 = 1;

/// Longest slug `default_file_name` uses, so names stay well under path limits on Windows
/// (260 characters for the whole path by default) even inside deep report folders.
pub const DEFAULT_SLUG_LEN: usize = 60;

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{} already exists; pass --force to replace it or choose another name with -o", .path.display())]
    AlreadyExists { path: PathBuf },

    #[error("{} is a folder, not a file; give a file name such as {} with -o", .path.display(), .path.join("figure.png").display())]
    IsDirectory { path: PathBuf },

    #[error("the folder {} does not exist; create it first or choose another place with -o", .dir.display())]
    MissingFolder { dir: PathBuf },

    #[error("{} is a file, not a folder, so nothing can be written inside it; choose another place with -o", .dir.display())]
    ParentNotFolder { dir: PathBuf },

    #[error("cannot write in the folder {}: {source}; check that you may write there, or choose another folder with -o", .dir.display())]
    UnwritableFolder { dir: PathBuf, source: io::Error },

    #[error("writing {} failed: {source}; the previous file (if any) was left as it was", .path.display())]
    Write { path: PathBuf, source: io::Error },

    #[error("could not encode the image as PNG: {message}")]
    Encode { message: String },

    #[error("the image is empty ({width}x{height}); nothing to write")]
    EmptyImage { width: u32, height: u32 },

    #[error("text chunk keyword {keyword:?} is not allowed in a PNG: it must be 1 to 79 Latin-1 characters without leading or trailing spaces")]
    BadKeyword { keyword: String },

    #[error("cannot read {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{} is not a readable PNG file ({message}); regenerate it or remove it", .path.display())]
    NotPng { path: PathBuf, message: String },

    #[error("the reportfig metadata in {} is damaged ({message}); regenerate the image or remove it", .path.display())]
    BadMetadata { path: PathBuf, message: String },

    #[error("{} was written by a newer reportfig (metadata format {found}, this version reads up to {supported}); update reportfig", .path.display())]
    NewerFormat {
        path: PathBuf,
        found: u64,
        supported: u32,
    },
}

/// One `iTXt` chunk to store in a PNG: a keyword (Latin-1, 1–79 bytes) and UTF-8 text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextChunk {
    pub keyword: String,
    pub text: String,
}

impl TextChunk {
    pub fn new(keyword: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            keyword: keyword.into(),
            text: text.into(),
        }
    }
}

/// What the `reportfig` chunk holds: the request with the format version first, flat so a
/// person (or `jq .seed`) can read it directly.
#[derive(Serialize, Deserialize)]
struct StoredRequest {
    format_version: u32,
    #[serde(flatten)]
    request: GenerationRequest,
    /// How a title was typeset on this picture (`--title`); absent on untitled pictures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<crate::title::TitleRecord>,
    /// `--dpi`/`--print`: absent when neither was given, so older files read the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    print: Option<PrintRecord>,
}

/// How a generated image was finished for print: the DPI written to `pHYs`, the page it
/// fills (`a4`, `a5`, `slide`) and what enlarged it (`lanczos3` or the upscaler's name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrintRecord {
    pub dpi: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upscaled_by: Option<String>,
}

/// Pixels per metre for `dpi` dots per inch, as PNG's `pHYs` chunk stores them
/// (300 dpi is 11811).
pub fn dpi_to_ppm(dpi: u32) -> u32 {
    (f64::from(dpi) / 0.0254).round() as u32
}

// ---------------------------------------------------------------------------------------------
// A1111 infotext

/// A1111 quotes a value only when it holds `,`, `:` or a newline, as a JSON string without
/// ASCII escaping; its reader undoes exactly that. serde_json escapes the same characters as
/// Python's `json.dumps(ensure_ascii=False)`.
fn a1111_quote(value: &str) -> String {
    if value.contains([',', ':', '\n']) {
        serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
    } else {
        value.to_string()
    }
}

/// Python's `str(float)`, which is what A1111 writes for the CFG scale (`7.0`, `7.5`).
fn python_float(value: f64) -> String {
    if value.is_finite() && value == value.trunc() && value.abs() < 1e16 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// The A1111 infotext for a request: prompt, optional `Negative prompt:` line, and the
/// settings line. A1111 omits an empty negative prompt, so `Some("")` is omitted too (the
/// `reportfig` chunk keeps the difference).
pub fn a1111_parameters(request: &GenerationRequest) -> String {
    let mut fields: Vec<(&str, String)> = vec![("Steps", request.steps.to_string())];
    if let Some(sampler) = request.sampler {
        fields.push(("Sampler", sampler.a1111_name().to_string()));
    }
    fields.push(("CFG scale", python_float(request.guidance)));
    fields.push(("Seed", request.seed.to_string()));
    fields.push(("Size", format!("{}x{}", request.width, request.height)));
    fields.push(("Model", request.model.clone()));
    if !request.loras.is_empty() {
        // A1111's own field: each LoRA's name and the start of its file's SHA-256.
        let hashes: Vec<String> = request
            .loras
            .iter()
            .map(|l| format!("{}: {}", l.name, &l.sha256[..l.sha256.len().min(12)]))
            .collect();
        fields.push(("Lora hashes", hashes.join(", ")));
    }
    let settings = fields
        .iter()
        .map(|(key, value)| format!("{key}: {}", a1111_quote(value)))
        .collect::<Vec<_>>()
        .join(", ");

    let mut text = request.prompt.clone();
    // A1111 names LoRAs in the prompt, `<lora:name:weight>`, so pasting it back applies them.
    for l in &request.loras {
        text.push_str(&format!(" <lora:{}:{}>", l.name, l.weight));
    }
    match request.negative_prompt.as_deref() {
        Some(negative) if !negative.is_empty() => {
            text.push_str("\nNegative prompt: ");
            text.push_str(negative);
        }
        _ => {}
    }
    text.push('\n');
    text.push_str(&settings);
    // A1111 strips the whole text; do the same so a prompt-less request reads back alike.
    text.trim().to_string()
}

/// The two chunks every generated image carries: `parameters` (A1111) and `reportfig` (JSON).
pub fn request_chunks(request: &GenerationRequest) -> Vec<TextChunk> {
    stored_chunks(request, None, None)
}

/// The chunks of a titled picture: the request, and in the `reportfig` JSON how the title was
/// set (`title`: text, subtitle, layout, box, untitled file) and the print record of the
/// picture it was set on.
pub fn titled_chunks(
    request: &GenerationRequest,
    title: Option<&crate::title::TitleRecord>,
    print: Option<&PrintRecord>,
) -> Vec<TextChunk> {
    stored_chunks(request, title, print)
}

/// [`request_chunks`] with the print record in the JSON when there is one.
pub fn print_chunks(request: &GenerationRequest, print: Option<&PrintRecord>) -> Vec<TextChunk> {
    stored_chunks(request, None, print)
}

fn stored_chunks(
    request: &GenerationRequest,
    title: Option<&crate::title::TitleRecord>,
    print: Option<&PrintRecord>,
) -> Vec<TextChunk> {
    let stored = StoredRequest {
        format_version: METADATA_FORMAT_VERSION,
        request: request.clone(),
        title: title.cloned(),
        print: print.cloned(),
    };
    // Serialising plain strings and numbers cannot fail; NaN guidance becomes null, which the
    // reader then reports as damaged rather than silently inventing a value.
    let json = serde_json::to_string(&stored).unwrap_or_else(|_| "{}".to_string());
    vec![
        TextChunk::new(PARAMETERS_KEYWORD, a1111_parameters(request)),
        TextChunk::new(REPORTFIG_KEYWORD, json),
    ]
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn check_keyword(keyword: &str) -> Result<(), OutputError> {
    let ok = !keyword.is_empty()
        && keyword.chars().count() <= 79
        && keyword.chars().all(|c| (c as u32) <= 0xff && c != '\0')
        && !keyword.starts_with(' ')
        && !keyword.ends_with(' ')
        && !keyword.contains("  ");
    if ok {
        Ok(())
    } else {
        Err(OutputError::BadKeyword {
            keyword: keyword.to_string(),
        })
    }
}

/// PNG bytes of an 8-bit RGB image with the given `iTXt` chunks (uncompressed, in order,
/// before the image data so readers find them without decoding pixels). Deterministic.
pub fn encode_png(image: &RgbImage, chunks: &[TextChunk]) -> Result<Vec<u8>, OutputError> {
    encode_png_at(image, chunks, None)
}

/// [`encode_png`] with the physical resolution in a `pHYs` chunk when `dpi` is given (in
/// pixels per metre, the unit PNG has); without it the bytes are those of [`encode_png`].
pub fn encode_png_at(
    image: &RgbImage,
    chunks: &[TextChunk],
    dpi: Option<u32>,
) -> Result<Vec<u8>, OutputError> {
    let (width, height) = image.dimensions();
    if width == 0 || height == 0 {
        return Err(OutputError::EmptyImage { width, height });
    }
    for chunk in chunks {
        check_keyword(&chunk.keyword)?;
    }
    let encode_err = |e: png::EncodingError| OutputError::Encode {
        message: e.to_string(),
    };
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Pinned rather than left to the crate's default, so output bytes only change when
        // we decide they should.
        encoder.set_compression(png::Compression::Balanced);
        encoder.set_filter(png::Filter::Adaptive);
        if let Some(dpi) = dpi {
            let ppm = dpi_to_ppm(dpi);
            encoder.set_pixel_dims(Some(png::PixelDimensions {
                xppu: ppm,
                yppu: ppm,
                unit: png::Unit::Meter,
            }));
        }
        for chunk in chunks {
            encoder
                .add_itxt_chunk(chunk.keyword.clone(), chunk.text.clone())
                .map_err(encode_err)?;
        }
        let mut writer = encoder.write_header().map_err(encode_err)?;
        writer
            .write_image_data(image.as_raw())
            .map_err(encode_err)?;
        writer.finish().map_err(encode_err)?;
    }
    Ok(bytes)
}

/// PNG bytes of a generated image with its `parameters` and `reportfig` chunks.
pub fn encode_generated(
    image: &RgbImage,
    request: &GenerationRequest,
) -> Result<Vec<u8>, OutputError> {
    encode_png(image, &request_chunks(request))
}

/// Encode and atomically write a generated image to `path`. Returns the bytes written, so
/// callers can hash them for the manifest without reading the file again.
pub fn save_generated(
    path: &Path,
    image: &RgbImage,
    request: &GenerationRequest,
    overwrite: bool,
) -> Result<Vec<u8>, OutputError> {
    let bytes = encode_generated(image, request)?;
    write_atomic(path, &bytes, overwrite)?;
    Ok(bytes)
}

/// [`save_generated`] for an image finished for print: `pHYs` from the record's DPI and the
/// record in the `reportfig` JSON. With `None` the bytes are exactly [`save_generated`]'s.
pub fn save_finished(
    path: &Path,
    image: &RgbImage,
    request: &GenerationRequest,
    print: Option<&PrintRecord>,
    overwrite: bool,
) -> Result<Vec<u8>, OutputError> {
    let bytes = encode_png_at(image, &print_chunks(request, print), print.map(|p| p.dpi))?;
    write_atomic(path, &bytes, overwrite)?;
    Ok(bytes)
}

/// The print record in a file's `reportfig` chunk, if it has one.
pub fn read_print_record(path: &Path) -> Result<Option<PrintRecord>, OutputError> {
    let Some(text) = read_text_chunk(path, REPORTFIG_KEYWORD)? else {
        return Ok(None);
    };
    parse_metadata(&text, path)?;
    let stored: StoredRequest =
        serde_json::from_str(&text).map_err(|e| OutputError::BadMetadata {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(stored.print)
}

/// Encode and atomically write an image with arbitrary `iTXt` chunks (contact sheets).
pub fn save_png(
    path: &Path,
    image: &RgbImage,
    chunks: &[TextChunk],
    overwrite: bool,
) -> Result<Vec<u8>, OutputError> {
    let bytes = encode_png(image, chunks)?;
    write_atomic(path, &bytes, overwrite)?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------
// Atomic writes

/// Why a write failed, in the terms a user can act on: the catalogue says each in the user's
/// language (`$why` of `output-write-failed` and `batch-write-failed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteProblem {
    /// No space left, a quota, or a file-size limit (`ulimit -f`, a FAT stick's 4 GB).
    Full,
    /// The folder is not there any more: deleted, or a network drive or stick disconnected.
    Gone,
    /// Not allowed to write there (permissions, a read-only share or file system).
    Denied,
    /// Any other refusal of the system, told by its kind ([`OsReason`]).
    Os(crate::os_reason::OsReason),
    /// The folder's place is taken by a file of that name.
    ParentIsFile(PathBuf),
    /// A folder stands where the file should go.
    FolderInTheWay,
    /// Anything else, in the words of what failed (the document writer).
    Other(String),
}

impl WriteProblem {
    pub fn of(e: &io::Error) -> Self {
        use io::ErrorKind as K;
        match e.kind() {
            K::StorageFull | K::FileTooLarge | K::QuotaExceeded => return Self::Full,
            K::NotFound | K::StaleNetworkFileHandle | K::NotConnected => return Self::Gone,
            K::PermissionDenied | K::ReadOnlyFilesystem => return Self::Denied,
            _ => {}
        }
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ENXIO) || e.raw_os_error() == Some(libc::ENODEV) {
            return Self::Gone;
        }
        Self::Os(crate::os_reason::OsReason::of(e))
    }

    /// The selector of the catalogue's `$why`.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Gone => "gone",
            Self::Denied => "denied",
            Self::Os(_) | Self::ParentIsFile(_) | Self::FolderInTheWay | Self::Other(_) => "other",
        }
    }

    /// The words for the `other` kinds (the catalogue's `$detail`); empty for the rest,
    /// which the catalogue words itself.
    pub fn detail(&self) -> Message {
        match self {
            Self::Os(r) => r.message(),
            Self::ParentIsFile(dir) => {
                crate::msg!("write-parent-is-file", dir = dir.display().to_string())
            }
            Self::FolderInTheWay => crate::msg!("write-folder-in-the-way"),
            Self::Other(text) => crate::msg!("untranslated", text = text.as_str()),
            Self::Full | Self::Gone | Self::Denied => crate::msg!("untranslated", text = ""),
        }
    }
}

impl std::fmt::Display for WriteProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full => f.write_str("the disk is full or a file-size limit was reached"),
            Self::Gone => f.write_str("the folder is no longer there"),
            Self::Denied => f.write_str("permission was refused"),
            other => f.write_str(&other.detail().render(crate::i18n::Lang::En)),
        }
    }
}

impl OutputError {
    /// The folder and the cause when writing into an existing folder failed part-way (the
    /// disk filled up, the folder vanished): the run cannot go on writing there.
    pub fn folder_problem(&self) -> Option<(PathBuf, WriteProblem)> {
        match self {
            Self::Write { path, source } => Some((parent_dir(path), WriteProblem::of(source))),
            Self::UnwritableFolder { dir, source } => Some((dir.clone(), WriteProblem::of(source))),
            Self::MissingFolder { dir } => Some((dir.clone(), WriteProblem::Gone)),
            _ => None,
        }
    }
}

/// Write `bytes` to `path` atomically: see [`write_atomic_with`].
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), OutputError> {
    write_atomic_with(path, overwrite, |file| file.write_all(bytes))
}

/// How old a temporary file of ours must be before it counts as left behind: a live write
/// (another shard's, on a slow network drive) lasts seconds, so ten minutes cannot catch one.
pub const STALE_TEMPORARY_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes temporary files [`write_atomic_with`] left in `dir` when a process was killed
/// mid-write (`.NAME.XXXXXX.tmp`) and that are older than `older_than`; returns what it
/// removed. Only names of exactly that shape are touched, never anything else in the folder.
pub fn remove_stale_temporaries(dir: &Path, older_than: std::time::Duration) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = std::time::SystemTime::now();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_our_temporary_name(name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if meta.is_file() && age >= older_than && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed.sort();
    removed
}

/// `.NAME.XXXXXX.tmp`, as `write_atomic_with` names its temporary files (tempfile's six
/// random alphanumerics).
fn is_our_temporary_name(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((target, random)) = inner.rsplit_once('.') else {
        return false;
    };
    !target.is_empty() && random.len() == 6 && random.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Write a file so that readers only ever see the old file or the complete new one: `fill`
/// writes into a temporary file in the same folder, which is flushed to disk and then renamed
/// over `path`. If `fill` fails, or anything after it, the temporary file is removed and an
/// existing `path` is untouched. An existing `path` is only replaced when `overwrite` is true.
pub fn write_atomic_with<F>(path: &Path, overwrite: bool, fill: F) -> Result<(), OutputError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let dir = parent_dir(path);
    if path.is_dir() {
        return Err(OutputError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(OutputError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::ParentNotFolder { dir });
    }
    if !dir.is_dir() {
        return Err(OutputError::MissingFolder { dir });
    }

    // The leading dot hides the partial file from casual listings; the name says whose it is
    // if a crash (power loss, kill -9) ever leaves one behind.
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|source| OutputError::UnwritableFolder {
            dir: dir.clone(),
            source,
        })?;

    let write_err = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    {
        let mut buffered = BufWriter::new(temp.as_file());
        fill(&mut buffered).map_err(write_err)?;
        buffered.flush().map_err(write_err)?;
    }
    // tempfile makes files only their owner may read; a finished figure, manifest or gallery
    // must be as readable as any file the user saves (colleagues on a shared drive, a web
    // server showing index.html). A file being replaced keeps the permissions it had: a
    // user who made a figure private (or read-only) must not find it readable by all after
    // `--force`.
    #[cfg(unix)]
    temp.as_file()
        .set_permissions(replaced_file_permissions(path, overwrite))
        .map_err(write_err)?;
    temp.as_file().sync_all().map_err(write_err)?;

    let persisted = if overwrite {
        temp.persist(path)
    } else {
        // No-clobber rename closes the gap between the existence check above and now, e.g.
        // two shards racing for the same name.
        temp.persist_noclobber(path)
    };
    match persisted {
        Ok(_) => {}
        Err(e) if !overwrite && e.error.kind() == io::ErrorKind::AlreadyExists => {
            return Err(OutputError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        Err(_) if path.is_dir() => {
            return Err(OutputError::IsDirectory {
                path: path.to_path_buf(),
            });
        }
        // Dropping the returned temp file (inside `e`) deletes it.
        Err(e) => return Err(write_err(e.error)),
    }
    sync_dir(&dir);
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Make the rename itself durable. Best effort: not every platform or filesystem can sync a
/// directory, and the file's own data is already on disk.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

// ---------------------------------------------------------------------------------------------
// Reading back

/// All text chunks of a PNG (tEXt, zTXt, iTXt) as (keyword, text), in the order tEXt, zTXt,
/// iTXt. Chunks after the image data are found too.
pub fn read_text_chunks(path: &Path) -> Result<Vec<(String, String)>, OutputError> {
    let file = File::open(path).map_err(|source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let not_png = |e: png::DecodingError| OutputError::NotPng {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let decoder = png::Decoder::new(io::BufReader::new(file));
    let mut reader = decoder.read_info().map_err(not_png)?;
    let mut chunks = collect_text(reader.info(), path)?;
    if chunks.is_empty() {
        // Some writers put text after IDAT; reading on costs a decode, so only when needed.
        reader.finish().map_err(not_png)?;
        chunks = collect_text(reader.info(), path)?;
    }
    Ok(chunks)
}

fn collect_text(info: &png::Info, path: &Path) -> Result<Vec<(String, String)>, OutputError> {
    let bad = |e: png::DecodingError| OutputError::NotPng {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut out = Vec::new();
    for chunk in &info.uncompressed_latin1_text {
        out.push((chunk.keyword.clone(), chunk.text.clone()));
    }
    for chunk in &info.compressed_latin1_text {
        out.push((chunk.keyword.clone(), chunk.get_text().map_err(bad)?));
    }
    for chunk in &info.utf8_text {
        out.push((chunk.keyword.clone(), chunk.get_text().map_err(bad)?));
    }
    Ok(out)
}

/// The text of the first chunk with this keyword, if any.
pub fn read_text_chunk(path: &Path, keyword: &str) -> Result<Option<String>, OutputError> {
    Ok(read_text_chunks(path)?
        .into_iter()
        .find(|(k, _)| k == keyword)
        .map(|(_, text)| text))
}

/// The A1111 infotext (`parameters` chunk), from our files or any A1111-compatible tool.
pub fn read_parameters(path: &Path) -> Result<Option<String>, OutputError> {
    read_text_chunk(path, PARAMETERS_KEYWORD)
}

/// The request a PNG was made from, or `None` when it has no `reportfig` chunk (an image from
/// another tool). A damaged or too-new chunk is an error, never silently ignored: batch resume
/// would otherwise redo or skip the wrong work.
pub fn read_metadata(path: &Path) -> Result<Option<GenerationRequest>, OutputError> {
    match read_text_chunk(path, REPORTFIG_KEYWORD)? {
        None => Ok(None),
        Some(text) => parse_metadata(&text, path).map(Some),
    }
}

/// The request and the title record of a PNG, `None` without a `reportfig` chunk.
pub fn read_titled_metadata(
    path: &Path,
) -> Result<Option<(GenerationRequest, Option<crate::title::TitleRecord>)>, OutputError> {
    match read_text_chunk(path, REPORTFIG_KEYWORD)? {
        None => Ok(None),
        Some(text) => {
            let stored = parse_stored(&text, path)?;
            Ok(Some((stored.request, stored.title)))
        }
    }
}

/// Parse the JSON of a `reportfig` chunk; `path` only names the file in errors.
pub fn parse_metadata(text: &str, path: &Path) -> Result<GenerationRequest, OutputError> {
    parse_stored(text, path).map(|s| s.request)
}

fn parse_stored(text: &str, path: &Path) -> Result<StoredRequest, OutputError> {
    let bad = |message: String| OutputError::BadMetadata {
        path: path.to_path_buf(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| bad("no format_version field".to_string()))?;
    if version > u64::from(METADATA_FORMAT_VERSION) {
        return Err(OutputError::NewerFormat {
            path: path.to_path_buf(),
            found: version,
            supported: METADATA_FORMAT_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// File names

/// How file names write Korean words.
///
/// `Korean` (the default) keeps Hangul as typed: Korean staff name their documents in Korean
/// (`2026년 교통계획(안).hwp`), Windows (NTFS stores names in UTF-16), HWP, Word and Explorer
/// handle such names, and a Korean name is what they search for. `Roman` writes Revised
/// Romanization for places that still break on non-ASCII names: old ZIP tools that re-encode
/// names in CP949, some web upload forms, scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Naming {
    #[default]
    Korean,
    Roman,
}

impl Naming {
    pub const ALL: [Naming; 2] = [Naming::Korean, Naming::Roman];

    /// The value `--names` takes.
    pub fn name(self) -> &'static str {
        match self {
            Naming::Korean => "korean",
            Naming::Roman => "roman",
        }
    }
}

impl std::fmt::Display for Naming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Naming {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "korean" | "ko" | "hangul" | "한글" => Ok(Naming::Korean),
            "roman" | "romanized" | "romanised" | "ascii" | "로마자" => Ok(Naming::Roman),
            other => Err(format!(
                "unknown --names value \"{other}\"; use korean or roman"
            )),
        }
    }
}

/// The file name `generate` uses when no `-o` is given: the caption's slug and the seed, e.g.
/// `smart-traffic-signals-at-a-busy-city-intersection-42.png` or `노인복지관-개관식-7.png`.
/// Depends only on its inputs.
pub fn default_file_name(caption: &str, seed: u64, naming: Naming) -> String {
    format!(
        "{}-{seed}.png",
        name_slug(caption, DEFAULT_SLUG_LEN, naming)
    )
}

/// Names Windows refuses as file names (with any extension), compared in lower case.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Whether Windows refuses `name` as a file name: a reserved device name before the first
/// dot, whatever follows (`CON.png`, `nul.tar.png`, `Com1 .png` all open the device there).
pub fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    WINDOWS_RESERVED.contains(&stem.to_ascii_lowercase().as_str())
}

/// Smallest `max_len` honoured: room for a hash-based name.
const MIN_SLUG_LEN: usize = 8;

/// Most bytes a slug may take in UTF-8. Linux and macOS file systems allow 255 bytes per name
/// and a Hangul syllable takes 3, so a slug of `max_len` syllables could pass that once a
/// prefix and `.png` are added; Windows counts UTF-16 units instead (one per syllable), which
/// `max_len` in characters already bounds.
pub const MAX_SLUG_BYTES: usize = 180;

/// [`name_slug`] with romanised Hangul: the ASCII-only names of earlier versions.
pub fn slug(text: &str, max_len: usize) -> String {
    name_slug(text, max_len, Naming::Roman)
}

/// A file-name-safe slug of `text`: words joined by single hyphens, lower-case ASCII letters
/// and digits, and with [`Naming::Korean`] Hangul syllables as written (conjoining jamo, as
/// macOS stores them, composed first); at most `max_len` characters (values below 8 are
/// raised to 8) and [`MAX_SLUG_BYTES`] bytes; never empty, never a Windows reserved name,
/// never a character Windows forbids (`<>:"/\|?*`, controls) nor a trailing dot or space.
///
/// A long text is cut after its last whole word that fits, never inside a word; only a first
/// word longer than the whole limit is cut, and then between syllables. With
/// [`Naming::Roman`] Hangul is romanised (Revised Romanization). Common accented Latin letters
/// lose their accents; letters of other scripts are dropped and an 8-hex-digit hash of the
/// text is appended so different captions still get different names. Text with nothing
/// usable becomes `figure` (or `figure-<hash>` if it was not blank).
pub fn name_slug(text: &str, max_len: usize, naming: Naming) -> String {
    let max_len = max_len.max(MIN_SLUG_LEN);
    let composed = compose_jamo(text);
    let (words, dropped_letters) = words_of(&composed, naming);
    let needs_hash = dropped_letters || (words.is_empty() && !text.trim().is_empty());
    let mut out = if needs_hash {
        let hash = short_hash(text.trim());
        let room = max_len.saturating_sub(hash.len() + 1);
        let head = if words.is_empty() {
            "figure".to_string()
        } else {
            fit_words(&words, room)
        };
        if head.is_empty() {
            hash
        } else {
            format!("{head}-{hash}")
        }
    } else if words.is_empty() {
        "figure".to_string()
    } else {
        fit_words(&words, max_len)
    };
    if WINDOWS_RESERVED.contains(&out.to_ascii_lowercase().as_str()) {
        out.push_str("-fig");
    }
    out
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// A word of a slug as the pieces it may be cut between: letters, or Hangul syllables (in
/// Roman, a syllable's romanisation).
type Word = Vec<String>;

/// Whether `s` fits a slug limit of `max_chars` characters.
fn fits(s: &str, max_chars: usize) -> bool {
    s.chars().count() <= max_chars && s.len() <= MAX_SLUG_BYTES
}

/// The longest hyphen-joined run of whole words from the start that fits; when even the first
/// word is too long, as many of its pieces as fit.
fn fit_words(words: &[Word], max_chars: usize) -> String {
    let mut out = String::new();
    for word in words {
        let joined = word.concat();
        let candidate = if out.is_empty() {
            joined
        } else {
            format!("{out}-{joined}")
        };
        if fits(&candidate, max_chars) {
            out = candidate;
        } else {
            break;
        }
    }
    if out.is_empty() {
        if let Some(first) = words.first() {
            for piece in first {
                let candidate = format!("{out}{piece}");
                if !fits(&candidate, max_chars) {
                    break;
                }
                out = candidate;
            }
        }
    }
    out
}

/// Conjoining jamo (leading consonant, vowel, optional trailing consonant) composed into
/// precomposed syllables, so text copied from macOS (which stores names decomposed) gives the
/// same name as text typed on Windows.
fn compose_jamo(text: &str) -> String {
    const L: std::ops::RangeInclusive<u32> = 0x1100..=0x1112;
    const V: std::ops::RangeInclusive<u32> = 0x1161..=0x1175;
    const T: std::ops::RangeInclusive<u32> = 0x11A8..=0x11C2;
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i] as u32;
        let next = chars.get(i + 1).map(|&c| c as u32);
        if let (true, Some(v)) = (L.contains(&c), next.filter(|n| V.contains(n))) {
            let mut code = HANGUL_BASE + ((c - 0x1100) * 21 + (v - 0x1161)) * 28;
            i += 2;
            if let Some(t) = chars.get(i).map(|&c| c as u32).filter(|t| T.contains(t)) {
                code += t - 0x11A7;
                i += 1;
            }
            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The words of `text` for a file name, and whether letters or digits had to be dropped
/// because they cannot be written in this naming. A word is a run of ASCII letters and
/// digits, Hangul syllables and accent-folded Latin letters; apostrophes join
/// ("city's" -> "citys"), everything else separates.
fn words_of(text: &str, naming: Naming) -> (Vec<Word>, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut words: Vec<Word> = Vec::new();
    let mut current: Word = Vec::new();
    let mut dropped = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase().to_string());
            i += 1;
        } else if is_hangul_syllable(c) {
            let start = i;
            while i < chars.len() && is_hangul_syllable(chars[i]) {
                i += 1;
            }
            match naming {
                Naming::Korean => current.extend(chars[start..i].iter().map(|c| c.to_string())),
                Naming::Roman => current.extend(romanize_pieces(&chars[start..i])),
            }
        } else if let Some(folded) = fold_latin(c) {
            current.push(folded.to_string());
            i += 1;
        } else {
            if c != '\'' && c != '\u{2019}' && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            if c.is_alphanumeric() {
                dropped = true;
            }
            i += 1;
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    (words, dropped)
}

/// Accented Latin letters common in European words, without their accents.
fn fold_latin(c: char) -> Option<&'static str> {
    let folded = match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ß' => "ss",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    };
    Some(folded)
}

// ---------------------------------------------------------------------------------------------
// Revised Romanization of Korean
//
// A precomposed Hangul syllable is U+AC00 + (lead * 21 + vowel) * 28 + tail. Romanisation maps
// each part; a tail consonant followed by a silent ㅇ lead is carried over to the next
// syllable (한국어 -> hangugeo), and ㄹ+ㄹ is written ll. The finer sound-change rules of the
// standard (nasalisation etc.) are left out: names only need to be readable and stable.

const HANGUL_BASE: u32 = 0xAC00;
const HANGUL_LAST: u32 = 0xD7A3;

const LEADS: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
    "h",
];
const VOWELS: [&str; 21] = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];
/// Tail consonants as pronounced at the end of a word or before another consonant.
const TAILS: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];
/// Tail consonants when the next syllable starts with a silent ㅇ and takes the sound over.
const TAILS_BEFORE_VOWEL: [&str; 28] = [
    "", "g", "kk", "gs", "n", "nj", "nh", "d", "r", "lg", "lm", "lb", "ls", "lt", "lp", "lh", "m",
    "b", "bs", "s", "ss", "ng", "j", "ch", "k", "t", "p", "h",
];
const LEAD_SILENT: usize = 11;
const LEAD_RIEUL: usize = 5;
const TAIL_RIEUL: usize = 8;

fn is_hangul_syllable(c: char) -> bool {
    (HANGUL_BASE..=HANGUL_LAST).contains(&(c as u32))
}

fn decompose(c: char) -> (usize, usize, usize) {
    let index = (c as u32 - HANGUL_BASE) as usize;
    (index / (21 * 28), (index / 28) % 21, index % 28)
}

/// The romanisation of a run of syllables, one piece per syllable (a tail that moves to the
/// next syllable's silent ㅇ stays with the syllable it belongs to in Hangul).
fn romanize_pieces(syllables: &[char]) -> Vec<String> {
    let parts: Vec<(usize, usize, usize)> = syllables.iter().map(|&c| decompose(c)).collect();
    let mut out = Vec::with_capacity(parts.len());
    for (i, &(lead, vowel, tail)) in parts.iter().enumerate() {
        let prev_tail = if i > 0 { parts[i - 1].2 } else { 0 };
        let next_lead = parts.get(i + 1).map(|p| p.0);
        let lead_str = if lead == LEAD_RIEUL && prev_tail == TAIL_RIEUL {
            "l"
        } else {
            LEADS[lead]
        };
        let tail_str = if next_lead == Some(LEAD_SILENT) {
            TAILS_BEFORE_VOWEL[tail]
        } else {
            TAILS[tail]
        };
        out.push(format!("{lead_str}{}{tail_str}", VOWELS[vowel]));
    }
    out
}

fn romanize_syllables(syllables: &[char]) -> String {
    romanize_pieces(syllables).concat()
}

/// Revised Romanization of the Hangul syllables in `text`; other characters are kept.
pub fn romanize_hangul(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if is_hangul_syllable(chars[i]) {
            let start = i;
            while i < chars.len() && is_hangul_syllable(chars[i]) {
                i += 1;
            }
            out.push_str(&romanize_syllables(&chars[start..i]));
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Makes a write past a file-size limit (`ulimit -f` on a shared server) fail with "File too
/// large" like a full disk, so the run stops with its message and removes its temporary file,
/// instead of the process being killed by `SIGXFSZ` with a core dump and a half-written
/// temporary left behind. For the binary to call once at start, before any thread.
#[cfg(unix)]
pub fn fail_writes_past_file_size_limit() {
    // SAFETY: setting a signal's disposition to "ignore" installs no handler code, so nothing
    // can run at an unsafe moment; it is done once, at start, before other threads exist.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The permissions the file written to `path` gets: those of the regular file it replaces,
/// else those of an ordinary new file ([`new_file_permissions`]). A link in its place is
/// not followed: the rename replaces the link, and a file elsewhere says nothing here.
#[cfg(unix)]
fn replaced_file_permissions(path: &Path, overwrite: bool) -> std::fs::Permissions {
    match std::fs::symlink_metadata(path) {
        Ok(old) if overwrite && old.is_file() => old.permissions(),
        _ => new_file_permissions(),
    }
}

/// The permissions an ordinary new file gets here: read and write for everyone, minus the
/// process's umask (so usually `rw-r--r--`, or group-writable where the umask says so).
#[cfg(unix)]
pub fn new_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only swaps the process's file-creation mask; it is put back at once. No
    // other thread creates files while a figure is being written.
    let mask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    std::fs::Permissions::from_mode(0o666 & !(mask as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_temporaries_of_our_own_naming_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let names = [
            ".01-bus-stop.png.Ab3xZ9.tmp",   // ours, old: removed
            ".manifest.json.q1w2e3.tmp",     // ours, old: removed
            ".02-park.png.Zz9Yy8.tmp",       // ours, fresh (a live write): kept
            "notes.tmp",                     // the user's: kept
            ".hidden.tmp",                   // no random part: kept
            ".01-bus-stop.png.toolong7.tmp", // not tempfile's six characters: kept
            "01-bus-stop.png",               // a figure: kept
        ];
        for n in names {
            std::fs::write(d.join(n), b"x").unwrap();
        }
        for n in [names[0], names[1], names[3], names[4], names[5], names[6]] {
            let f = std::fs::File::options()
                .write(true)
                .open(d.join(n))
                .unwrap();
            f.set_modified(old).unwrap();
        }
        let removed = remove_stale_temporaries(d, STALE_TEMPORARY_AGE);
        let removed: Vec<_> = removed
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(removed, vec![names[0], names[1]]);
        for n in &names[2..] {
            assert!(d.join(n).exists(), "{n}");
        }
        // A folder that does not exist is no error: there is nothing to clean.
        assert!(remove_stale_temporaries(&d.join("none"), STALE_TEMPORARY_AGE).is_empty());
    }

    #[test]
    fn the_atomic_writer_names_its_temporaries_as_the_cleaner_expects() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("03-city-hall.png");
        let mut seen = None;
        write_atomic_with(&target, false, |_| {
            seen = std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.ends_with(".tmp"));
            Ok(())
        })
        .unwrap();
        let name = seen.expect("a temporary file during the write");
        assert!(is_our_temporary_name(&name), "{name}");
    }

    #[test]
    fn romanization_examples() {
        assert_eq!(romanize_hangul("서울"), "seoul");
        assert_eq!(romanize_hangul("한국어"), "hangugeo");
        assert_eq!(romanize_hangul("노인복지관"), "noinbokjigwan");
        assert_eq!(romanize_hangul("교통 신호"), "gyotong sinho");
        assert_eq!(romanize_hangul("부산"), "busan");
        assert_eq!(romanize_hangul("울릉도"), "ulleungdo");
        assert_eq!(romanize_hangul("개회식"), "gaehoesik");
    }

    fn windows_safe(name: &str) {
        assert!(!name.is_empty());
        assert!(
            !name
                .chars()
                .any(|c| c.is_control() || "<>:\"/\\|?*".contains(c)),
            "{name}"
        );
        assert!(!name.ends_with('.') && !name.ends_with(' '), "{name}");
        let stem = name.split('.').next().unwrap().to_ascii_lowercase();
        assert!(!WINDOWS_RESERVED.contains(&stem.as_str()), "{name}");
    }

    #[test]
    fn korean_names_keep_hangul_words() {
        let k = |t: &str| name_slug(t, 48, Naming::Korean);
        assert_eq!(k("버스 전용차로 확대"), "버스-전용차로-확대");
        assert_eq!(
            k("2026년 AI 행정: 시민·공무원"),
            "2026년-ai-행정-시민-공무원"
        );
        assert_eq!(k("City's 공원 (안)"), "citys-공원-안");
        // Decomposed jamo (as macOS stores names) give the same name as typed text.
        assert_eq!(k("\u{1100}\u{1161}\u{11A8} 공원"), "각-공원");
        // Roman is the ASCII spelling of the same words.
        assert_eq!(
            name_slug("버스 전용차로 확대", 48, Naming::Roman),
            "beoseu-jeonyongcharo-hwakdae"
        );
        for t in ["CON", "nul.txt", "a/b\\c:d*e?f\"g<h>i|j", "끝.", "  ", "🚌"] {
            for n in Naming::ALL {
                windows_safe(&name_slug(t, 48, n));
            }
        }
    }

    #[test]
    fn names_are_cut_between_words_in_both_modes() {
        let caption = "노인복지관 개관식과 지역 주민 자원봉사 활동 현장 스케치";
        for (naming, limit) in [(Naming::Korean, 12), (Naming::Roman, 30)] {
            let full = name_slug(caption, 200, naming);
            let cut = name_slug(caption, limit, naming);
            assert!(cut.chars().count() <= limit, "{cut}");
            assert!(full.starts_with(&cut), "{cut} / {full}");
            // The cut ends where a word ends.
            let next = full[cut.len()..].chars().next();
            assert_eq!(
                next,
                Some('-'),
                "{naming}: {cut} cut inside a word of {full}"
            );
        }
        // A first word longer than the whole limit is cut between syllables.
        let one = "가나다라마바사아자차카타파하가나다";
        assert_eq!(name_slug(one, 10, Naming::Korean).chars().count(), 10);
        let roman = name_slug(one, 10, Naming::Roman);
        assert!(roman.len() <= 10 && "ganadaramabasaajachakatapahaganada".starts_with(&roman));
    }

    #[test]
    fn korean_names_respect_byte_and_character_limits() {
        let long = "가".repeat(300);
        let s = name_slug(&long, 200, Naming::Korean);
        assert!(s.len() <= MAX_SLUG_BYTES, "{} bytes", s.len());
        assert_eq!(s.chars().count(), MAX_SLUG_BYTES / 3);
        // A batch name (prefix, slug, .png) stays under 255 bytes and 255 UTF-16 units.
        let name = format!("0001-{s}.png");
        assert!(name.len() <= 255 && name.encode_utf16().count() <= 255);
    }

    #[test]
    fn naming_values() {
        assert_eq!("korean".parse::<Naming>().unwrap(), Naming::Korean);
        assert_eq!("ROMAN".parse::<Naming>().unwrap(), Naming::Roman);
        assert!("latin".parse::<Naming>().is_err());
        assert_eq!(Naming::default(), Naming::Korean);
        assert_eq!(
            default_file_name("노인복지관 개관식", 7, Naming::Korean),
            "노인복지관-개관식-7.png"
        );
    }

    #[test]
    fn python_float_matches_str() {
        assert_eq!(python_float(7.0), "7.0");
        assert_eq!(python_float(7.5), "7.5");
        assert_eq!(python_float(0.0), "0.0");
        assert_eq!(python_float(1.25), "1.25");
    }

    #[test]
    fn quote_only_when_needed() {
        assert_eq!(a1111_quote("sd-turbo"), "sd-turbo");
        assert_eq!(a1111_quote("a, b"), "\"a, b\"");
        assert_eq!(a1111_quote("C:\\m\"x"), "\"C:\\\\m\\\"x\"");
    }
}
