//! A PyTorch `pytorch_model.bin` reader that executes nothing: a restricted unpickler that
//! understands the opcodes and the handful of globals a `state_dict()` is made of, and
//! refuses everything else by name.
//!
//! Why our own rather than `candle_core::pickle`: candle's reader cannot run code either, but
//! it turns any global it meets into an inert object and carries on, so a hostile file reads
//! as "no tensors" or a shape error. Here a global outside the allow-list stops the read at
//! once with [`PickleError::RefusedGlobal`], which says what the file tried to call.
//!
//! Both layouts `torch.save` writes are read: the zip archive (PyTorch ≥ 1.6: `*/data.pkl`
//! plus one `*/data/<key>` entry per storage) and the legacy stream (a run of pickles
//! followed by the raw storages) that the original opus-mt conversions were saved in.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use safetensors::Dtype;

/// Why a `.bin` file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PickleError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} refers to `{global}`, which a PyTorch state dict never contains; the file was \
         refused without running anything (it may be malicious; use the repo's \
         model.safetensors instead)"
    )]
    RefusedGlobal { path: PathBuf, global: String },
    #[error(
        "{path} uses pickle opcode 0x{opcode:02x} at byte {at}, which a PyTorch state dict \
         never needs; the file was refused without running anything"
    )]
    RefusedOpcode {
        path: PathBuf,
        opcode: u8,
        at: usize,
    },
    #[error("{path} is not a PyTorch checkpoint: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("{path}: cannot write the converted weights to {out}: {reason}")]
    Write {
        path: PathBuf,
        out: PathBuf,
        reason: String,
    },
}

/// One tensor of a state dict, copied out of its storage into row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTensor {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

impl safetensors::View for &RawTensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// A state dict in file order. Names that are views of the very same values as an earlier
/// name (tied weights: `lm_head.weight` and `model.shared.weight` share one storage) are
/// listed in `aliases` instead, keyed by the name they repeat.
#[derive(Debug, Default)]
pub struct StateDict {
    pub tensors: Vec<(String, RawTensor)>,
    pub aliases: Vec<(String, String)>,
}

impl StateDict {
    pub fn get(&self, name: &str) -> Option<&RawTensor> {
        let name = self
            .aliases
            .iter()
            .find(|(a, _)| a == name)
            .map_or(name, |(_, of)| of.as_str());
        self.tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

/// Reads a `torch.save`d state dict without executing anything.
pub fn read_state_dict(path: &Path) -> Result<StateDict, PickleError> {
    read_state_dict_under(path, &[])
}

/// [`read_state_dict`] for a checkpoint that keeps its state dict under a key of a top-level
/// dict, as training code saves one: the first of `keys` that the file has is read
/// (Real-ESRGAN's `.pth`: `{"params_ema": …}` or `{"params": …}`); a flat state dict is read
/// as it is. Only that dict's tensors are copied out.
pub fn read_state_dict_under(path: &Path, keys: &[&str]) -> Result<StateDict, PickleError> {
    let bytes = std::fs::read(path).map_err(|source| PickleError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let cx = Cx { path, keys };
    if bytes.starts_with(b"PK\x03\x04") {
        read_zip(&cx, &bytes)
    } else {
        read_legacy(&cx, &bytes)
    }
}

/// Converts a `.bin` state dict to a safetensors file at `out`, written to a temporary file
/// beside it and renamed, so a crash never leaves a half-written file under that name.
/// `metadata` is stored in the file's header.
pub fn convert_to_safetensors(
    bin: &Path,
    out: &Path,
    metadata: HashMap<String, String>,
) -> Result<StateDict, PickleError> {
    let dict = read_state_dict(bin)?;
    let fail = |reason: String| PickleError::Write {
        path: bin.to_path_buf(),
        out: out.to_path_buf(),
        reason,
    };
    let dir = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    // A name of this process's own beside the target, so two processes converting at once
    // never write into the same file; the rename is atomic on one file system.
    let tmp = dir.join(format!(
        ".{}.{}.partial",
        out.file_name()
            .map_or("converted".into(), |n| n.to_string_lossy()),
        std::process::id()
    ));
    let views = dict.tensors.iter().map(|(n, t)| (n.as_str(), t));
    let written = safetensors::serialize_to_file(views, Some(metadata), &tmp)
        .map_err(|e| fail(e.to_string()))
        .and_then(|()| std::fs::rename(&tmp, out).map_err(|e| fail(e.to_string())));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    Ok(dict)
}

struct Cx<'a> {
    path: &'a Path,
    /// Keys of a top-level dict that may hold the state dict ([`read_state_dict_under`]).
    keys: &'a [&'a str],
}

impl Cx<'_> {
    /// The state dict inside `root`: the value of the first of `keys` it has, else `root`.
    fn state_dict_of(&self, root: Value) -> Result<Value, PickleError> {
        let Value::Dict(items) = root else {
            return Ok(root);
        };
        for key in self.keys {
            let found = items
                .iter()
                .find(|(k, _)| matches!(k, Value::Str(s) if s == key));
            if let Some((_, v)) = found {
                return match v {
                    Value::Dict(_) => Ok(v.clone()),
                    _ => Err(self.malformed(format!("\"{key}\" does not hold a state dict"))),
                };
            }
        }
        Ok(Value::Dict(items))
    }

    fn malformed(&self, reason: impl Into<String>) -> PickleError {
        PickleError::Malformed {
            path: self.path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

fn read_zip(cx: &Cx, bytes: &[u8]) -> Result<StateDict, PickleError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| cx.malformed(format!("unreadable zip archive: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| cx.malformed(format!("unreadable zip archive: {e}")))?;
    let pkl = names
        .iter()
        .find(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
        .ok_or_else(|| cx.malformed("the archive has no data.pkl"))?
        .clone();
    let prefix = &pkl[..pkl.len() - "data.pkl".len()];
    let mut entry = |name: &str| -> Result<Vec<u8>, PickleError> {
        let mut f = zip
            .by_name(name)
            .map_err(|e| cx.malformed(format!("{name}: {e}")))?;
        let mut v = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut v)
            .map_err(|e| cx.malformed(format!("{name}: {e}")))?;
        Ok(v)
    };
    if names.iter().any(|n| *n == format!("{prefix}byteorder")) {
        let order = entry(&format!("{prefix}byteorder"))?;
        if order != b"little" {
            return Err(cx.malformed("the tensors are stored big-endian"));
        }
    }
    let pickle = entry(&pkl)?;
    let mut pos = 0;
    let root = Unpickler::new(cx, Pids::Zip).run(&pickle, &mut pos)?;
    let root = cx.state_dict_of(root)?;
    let mut storages = HashMap::new();
    for key in storage_keys(&root) {
        let data = entry(&format!("{prefix}data/{key}"))?;
        storages.insert(key, data);
    }
    build_state_dict(cx, root, &storages)
}

fn read_legacy(cx: &Cx, bytes: &[u8]) -> Result<StateDict, PickleError> {
    let mut pos = 0;
    let magic = Unpickler::new(cx, Pids::None).run(bytes, &mut pos)?;
    // torch.serialization.MAGIC_NUMBER
    if magic != Value::Int(0x1950a86a20f9469cfc6c_i128) {
        return Err(cx.malformed(
            "it is neither a zip archive nor a legacy torch.save stream (wrong magic number)",
        ));
    }
    let protocol = Unpickler::new(cx, Pids::None).run(bytes, &mut pos)?;
    if protocol != Value::Int(1001) {
        return Err(cx.malformed(format!("unknown legacy protocol {protocol:?}")));
    }
    let sys_info = Unpickler::new(cx, Pids::None).run(bytes, &mut pos)?;
    if let Value::Dict(items) = &sys_info {
        let little = items
            .iter()
            .find(|(k, _)| *k == Value::Str("little_endian".into()));
        if matches!(little, Some((_, Value::Bool(false)))) {
            return Err(cx.malformed("the tensors are stored big-endian"));
        }
    }
    let root = Unpickler::new(cx, Pids::Legacy).run(bytes, &mut pos)?;
    let keys = Unpickler::new(cx, Pids::None).run(bytes, &mut pos)?;
    // Every storage follows the pickles, used or not; only the chosen dict's are kept.
    let all_sizes = storage_element_sizes_deep(&root);
    let root = cx.state_dict_of(root)?;
    let Value::List(keys) = keys else {
        return Err(cx.malformed("the storage key list is missing"));
    };
    let sizes = storage_element_sizes(&root);
    let mut storages = HashMap::new();
    for key in keys {
        let Value::Str(key) = key else {
            return Err(cx.malformed("a storage key is not a string"));
        };
        let count = take(cx, bytes, &mut pos, 8)?;
        let count = u64::from_le_bytes(count.try_into().expect("8 bytes")) as usize;
        let elem = *all_sizes
            .get(&key)
            .ok_or_else(|| cx.malformed(format!("storage {key} is not used by any tensor")))?;
        let len = count
            .checked_mul(elem)
            .ok_or_else(|| cx.malformed("a storage size overflows"))?;
        let data = take(cx, bytes, &mut pos, len)?;
        if sizes.contains_key(&key) {
            storages.insert(key, data.to_vec());
        }
    }
    build_state_dict(cx, root, &storages)
}

fn take<'a>(cx: &Cx, bytes: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], PickleError> {
    let end = pos
        .checked_add(n)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| cx.malformed("the file ends early"))?;
    let s = &bytes[*pos..end];
    *pos = end;
    Ok(s)
}

/// Bytes per element (every storage type a state dict uses is whole bytes wide).
fn elem_size(d: Dtype) -> usize {
    d.bitsize().div_ceil(8)
}

/// The storage element types a state dict's persistent ids name.
fn storage_dtype(name: &str) -> Option<Dtype> {
    Some(match name {
        "FloatStorage" => Dtype::F32,
        "HalfStorage" => Dtype::F16,
        "BFloat16Storage" => Dtype::BF16,
        "DoubleStorage" => Dtype::F64,
        "LongStorage" => Dtype::I64,
        "IntStorage" => Dtype::I32,
        "ShortStorage" => Dtype::I16,
        "CharStorage" => Dtype::I8,
        "ByteStorage" => Dtype::U8,
        "BoolStorage" => Dtype::BOOL,
        _ => return None,
    })
}

/// The callables a state dict is rebuilt with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Callable {
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
    OrderedDict,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Callable(Callable),
    StorageType(Dtype),
    Storage(StorageRef),
    Tensor(TensorRef),
    Mark,
}

#[derive(Debug, Clone, PartialEq)]
struct StorageRef {
    key: String,
    dtype: Dtype,
    /// Element offset of a legacy storage view into its root storage.
    offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct TensorRef {
    storage: StorageRef,
    offset: usize,
    shape: Vec<usize>,
    stride: Vec<usize>,
}

/// How `BINPERSID` ids look in each layout.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pids {
    /// A pickle that must not refer to storages (the legacy header pickles).
    None,
    /// `('storage', storage_type, key, location, numel)`
    Zip,
    /// `('storage', storage_type, root_key, location, numel, view_metadata)`
    Legacy,
}

struct Unpickler<'a> {
    cx: &'a Cx<'a>,
    pids: Pids,
    stack: Vec<Value>,
    memo: HashMap<u32, Value>,
}

impl<'a> Unpickler<'a> {
    fn new(cx: &'a Cx<'a>, pids: Pids) -> Self {
        Self {
            cx,
            pids,
            stack: Vec::new(),
            memo: HashMap::new(),
        }
    }

    fn bad(&self, reason: impl Into<String>) -> PickleError {
        self.cx.malformed(reason)
    }

    fn pop(&mut self) -> Result<Value, PickleError> {
        self.stack
            .pop()
            .ok_or_else(|| self.bad("the pickle pops an empty stack"))
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, PickleError> {
        let at = self
            .stack
            .iter()
            .rposition(|v| *v == Value::Mark)
            .ok_or_else(|| self.bad("the pickle has no mark to pop to"))?;
        let items = self.stack.split_off(at + 1);
        self.stack.pop();
        Ok(items)
    }

    fn global(&self, module: &str, name: &str) -> Result<Value, PickleError> {
        let v = match (module, name) {
            ("torch._utils", "_rebuild_tensor_v2") => Value::Callable(Callable::RebuildTensorV2),
            ("torch._utils", "_rebuild_tensor") => Value::Callable(Callable::RebuildTensor),
            ("torch._utils", "_rebuild_parameter") => Value::Callable(Callable::RebuildParameter),
            ("collections", "OrderedDict") => Value::Callable(Callable::OrderedDict),
            ("torch", s) if storage_dtype(s).is_some() => {
                Value::StorageType(storage_dtype(s).expect("checked"))
            }
            _ => {
                return Err(PickleError::RefusedGlobal {
                    path: self.cx.path.to_path_buf(),
                    global: format!("{module}.{name}"),
                })
            }
        };
        Ok(v)
    }

    /// Runs one pickle from `data[*pos..]` up to its STOP, leaving `pos` after it.
    fn run(mut self, data: &[u8], pos: &mut usize) -> Result<Value, PickleError> {
        let cx = self.cx;
        loop {
            let at = *pos;
            let op = take(cx, data, pos, 1)?[0];
            macro_rules! n {
                ($k:expr) => {
                    take(cx, data, pos, $k)
                };
            }
            match op {
                0x80 => {
                    n!(1)?;
                }
                0x95 => {
                    n!(8)?;
                }
                b'.' => return self.pop(),
                b'}' => self.stack.push(Value::Dict(Vec::new())),
                b']' => self.stack.push(Value::List(Vec::new())),
                b')' => self.stack.push(Value::Tuple(Vec::new())),
                b'(' => self.stack.push(Value::Mark),
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'K' => {
                    let v = n!(1)?[0];
                    self.stack.push(Value::Int(v.into()))
                }
                b'M' => {
                    let v = u16::from_le_bytes(n!(2)?.try_into().expect("2 bytes"));
                    self.stack.push(Value::Int(v.into()))
                }
                b'J' => {
                    let v = i32::from_le_bytes(n!(4)?.try_into().expect("4 bytes"));
                    self.stack.push(Value::Int(v.into()))
                }
                0x8a | 0x8b => {
                    let len = if op == 0x8a {
                        n!(1)?[0] as usize
                    } else {
                        u32::from_le_bytes(n!(4)?.try_into().expect("4 bytes")) as usize
                    };
                    if len > 16 {
                        return Err(self.bad("an integer is too large for a state dict"));
                    }
                    let b = n!(len)?;
                    let mut v: i128 = 0;
                    for (i, &byte) in b.iter().enumerate() {
                        v |= (byte as i128) << (8 * i);
                    }
                    if len > 0 && len < 16 && b[len - 1] & 0x80 != 0 {
                        v -= 1i128 << (8 * len);
                    }
                    self.stack.push(Value::Int(v))
                }
                b'G' => {
                    let v = f64::from_be_bytes(n!(8)?.try_into().expect("8 bytes"));
                    self.stack.push(Value::Float(v))
                }
                b'X' | 0x8c | 0x8d | b'T' | b'U' => {
                    let len = match op {
                        0x8c | b'U' => n!(1)?[0] as usize,
                        0x8d => u64::from_le_bytes(n!(8)?.try_into().expect("8 bytes")) as usize,
                        _ => u32::from_le_bytes(n!(4)?.try_into().expect("4 bytes")) as usize,
                    };
                    let s = n!(len)?;
                    let s = String::from_utf8(s.to_vec())
                        .map_err(|_| self.bad("a string is not UTF-8"))?;
                    self.stack.push(Value::Str(s))
                }
                b'B' | b'C' => {
                    let len = if op == b'C' {
                        n!(1)?[0] as usize
                    } else {
                        u32::from_le_bytes(n!(4)?.try_into().expect("4 bytes")) as usize
                    };
                    let b = n!(len)?.to_vec();
                    self.stack.push(Value::Bytes(b))
                }
                b'c' => {
                    let module = line(cx, data, pos)?;
                    let name = line(cx, data, pos)?;
                    let v = self.global(&module, &name)?;
                    self.stack.push(v)
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Value::Str(module), Value::Str(name)) = (module, name) else {
                        return Err(self.bad("STACK_GLOBAL without two strings"));
                    };
                    let v = self.global(&module, &name)?;
                    self.stack.push(v)
                }
                b'q' | b'r' | 0x94 => {
                    let id = match op {
                        b'q' => n!(1)?[0] as u32,
                        b'r' => u32::from_le_bytes(n!(4)?.try_into().expect("4 bytes")),
                        _ => self.memo.len() as u32,
                    };
                    let top = self
                        .stack
                        .last()
                        .ok_or_else(|| self.bad("memoizing an empty stack"))?
                        .clone();
                    self.memo.insert(id, top);
                }
                b'h' | b'j' => {
                    let id = if op == b'h' {
                        n!(1)?[0] as u32
                    } else {
                        u32::from_le_bytes(n!(4)?.try_into().expect("4 bytes"))
                    };
                    let v = self
                        .memo
                        .get(&id)
                        .ok_or_else(|| self.bad(format!("memo {id} is read before it is set")))?
                        .clone();
                    self.stack.push(v)
                }
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let top = self
                        .stack
                        .last()
                        .ok_or_else(|| self.bad("DUP on an empty stack"))?
                        .clone();
                    self.stack.push(top)
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.stack.push(Value::Tuple(items))
                }
                0x85..=0x87 => {
                    let k = (op - 0x84) as usize;
                    if self.stack.len() < k {
                        return Err(self.bad("a tuple needs more items than the stack has"));
                    }
                    let items = self.stack.split_off(self.stack.len() - k);
                    self.stack.push(Value::Tuple(items))
                }
                b'a' => {
                    let v = self.pop()?;
                    match self.stack.last_mut() {
                        Some(Value::List(l)) => l.push(v),
                        _ => return Err(self.bad("APPEND to something that is not a list")),
                    }
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    match self.stack.last_mut() {
                        Some(Value::List(l)) => l.extend(items),
                        _ => return Err(self.bad("APPENDS to something that is not a list")),
                    }
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    match self.stack.last_mut() {
                        Some(Value::Dict(d)) => d.push((k, v)),
                        _ => return Err(self.bad("SETITEM on something that is not a dict")),
                    }
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    if items.len() % 2 != 0 {
                        return Err(self.bad("SETITEMS with an odd number of items"));
                    }
                    let mut it = items.into_iter();
                    let mut pairs = Vec::new();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    match self.stack.last_mut() {
                        Some(Value::Dict(d)) => d.extend(pairs),
                        _ => return Err(self.bad("SETITEMS on something that is not a dict")),
                    }
                }
                b'b' => {
                    // An OrderedDict's instance state (`_metadata`: module versions); a state
                    // dict does not need it, and nothing else may be built.
                    let _state = self.pop()?;
                    if !matches!(self.stack.last(), Some(Value::Dict(_))) {
                        return Err(self.bad("BUILD on something that is not a dict"));
                    }
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let v = self.reduce(callable, args)?;
                    self.stack.push(v)
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let v = self.persistent(pid)?;
                    self.stack.push(v)
                }
                other => {
                    return Err(PickleError::RefusedOpcode {
                        path: cx.path.to_path_buf(),
                        opcode: other,
                        at,
                    })
                }
            }
        }
    }

    fn persistent(&self, pid: Value) -> Result<Value, PickleError> {
        let Value::Tuple(items) = pid else {
            return Err(self.bad("a persistent id is not a tuple"));
        };
        let is_storage = matches!(items.first(), Some(Value::Str(s)) if s == "storage");
        let want = match self.pids {
            Pids::None => return Err(self.bad("a header pickle refers to a storage")),
            Pids::Zip => 5,
            Pids::Legacy => 6,
        };
        if !is_storage || items.len() != want {
            return Err(self.bad(format!("unexpected persistent id {items:?}")));
        }
        let (Value::StorageType(dtype), Value::Str(key)) = (&items[1], &items[2]) else {
            return Err(self.bad(format!("unexpected persistent id {items:?}")));
        };
        let offset = match items.get(5) {
            None | Some(Value::None) => 0,
            Some(Value::Tuple(view)) => match view.as_slice() {
                [_, Value::Int(off), _] => {
                    usize::try_from(*off).map_err(|_| self.bad("a negative storage view offset"))?
                }
                _ => return Err(self.bad("unexpected storage view metadata")),
            },
            Some(_) => return Err(self.bad("unexpected storage view metadata")),
        };
        Ok(Value::Storage(StorageRef {
            key: key.clone(),
            dtype: *dtype,
            offset,
        }))
    }

    fn reduce(&self, callable: Value, args: Value) -> Result<Value, PickleError> {
        let Value::Tuple(args) = args else {
            return Err(self.bad("REDUCE arguments are not a tuple"));
        };
        let Value::Callable(c) = callable else {
            return Err(self.bad(format!("REDUCE calls {callable:?}, which is not callable")));
        };
        let dims = |v: &Value| -> Result<Vec<usize>, PickleError> {
            match v {
                Value::Tuple(xs) => xs
                    .iter()
                    .map(|x| match x {
                        Value::Int(i) => {
                            usize::try_from(*i).map_err(|_| self.bad("a negative dimension"))
                        }
                        _ => Err(self.bad("a dimension is not an integer")),
                    })
                    .collect(),
                _ => Err(self.bad("a tensor size is not a tuple")),
            }
        };
        match c {
            Callable::OrderedDict => match args.as_slice() {
                [] => Ok(Value::Dict(Vec::new())),
                [Value::List(pairs)] => pairs
                    .iter()
                    .map(|p| match p {
                        Value::Tuple(kv) if kv.len() == 2 => Ok((kv[0].clone(), kv[1].clone())),
                        _ => Err(self.bad("OrderedDict items are not pairs")),
                    })
                    .collect::<Result<_, _>>()
                    .map(Value::Dict),
                _ => Err(self.bad("unexpected OrderedDict arguments")),
            },
            Callable::RebuildTensorV2 | Callable::RebuildTensor => {
                let (storage, offset, size, stride) = match args.as_slice() {
                    [s, Value::Int(o), size, stride, ..] => (s, o, size, stride),
                    _ => return Err(self.bad("unexpected tensor rebuild arguments")),
                };
                let Value::Storage(storage) = storage else {
                    return Err(self.bad("a tensor is rebuilt from something not a storage"));
                };
                let offset =
                    usize::try_from(*offset).map_err(|_| self.bad("a negative tensor offset"))?;
                let (shape, stride) = (dims(size)?, dims(stride)?);
                if shape.len() != stride.len() {
                    return Err(self.bad("a tensor's size and stride differ in length"));
                }
                Ok(Value::Tensor(TensorRef {
                    storage: storage.clone(),
                    offset,
                    shape,
                    stride,
                }))
            }
            Callable::RebuildParameter => match args.into_iter().next() {
                Some(t @ Value::Tensor(_)) => Ok(t),
                _ => Err(self.bad("a parameter is rebuilt from something not a tensor")),
            },
        }
    }
}

/// A GLOBAL opcode's newline-terminated argument.
fn line(cx: &Cx, data: &[u8], pos: &mut usize) -> Result<String, PickleError> {
    let rest = &data[*pos..];
    let end = rest
        .iter()
        .take(256)
        .position(|&b| b == b'\n')
        .ok_or_else(|| cx.malformed("a GLOBAL name is not terminated"))?;
    *pos += end + 1;
    String::from_utf8(rest[..end].to_vec()).map_err(|_| cx.malformed("a GLOBAL name is not UTF-8"))
}

fn tensors_of(root: &Value) -> Vec<&TensorRef> {
    match root {
        Value::Dict(items) => items
            .iter()
            .filter_map(|(_, v)| match v {
                Value::Tensor(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn storage_keys(root: &Value) -> Vec<String> {
    let mut keys: Vec<String> = tensors_of(root)
        .iter()
        .map(|t| t.storage.key.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn storage_element_sizes(root: &Value) -> HashMap<String, usize> {
    tensors_of(root)
        .iter()
        .map(|t| (t.storage.key.clone(), elem_size(t.storage.dtype)))
        .collect()
}

/// [`storage_element_sizes`] of every tensor in `root` and the dicts inside it.
fn storage_element_sizes_deep(root: &Value) -> HashMap<String, usize> {
    let mut sizes = storage_element_sizes(root);
    if let Value::Dict(items) = root {
        for (_, v) in items {
            if matches!(v, Value::Dict(_)) {
                sizes.extend(storage_element_sizes_deep(v));
            }
        }
    }
    sizes
}

fn build_state_dict(
    cx: &Cx,
    root: Value,
    storages: &HashMap<String, Vec<u8>>,
) -> Result<StateDict, PickleError> {
    let Value::Dict(items) = root else {
        return Err(cx.malformed("its top level is not a state dict (a name → tensor mapping)"));
    };
    let mut dict = StateDict::default();
    let mut seen: Vec<(TensorRef, String)> = Vec::new();
    for (k, v) in items {
        let Value::Str(name) = k else {
            return Err(cx.malformed("a state dict key is not a string"));
        };
        let Value::Tensor(t) = v else {
            return Err(cx.malformed(format!(
                "{name} is not a tensor; only flat state dicts are supported"
            )));
        };
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == t) {
            dict.aliases.push((name, first.clone()));
            continue;
        }
        let data = storages
            .get(&t.storage.key)
            .ok_or_else(|| cx.malformed(format!("the storage of {name} is missing")))?;
        let raw = copy_strided(cx, &name, &t, data)?;
        seen.push((t, name.clone()));
        dict.tensors.push((name, raw));
    }
    Ok(dict)
}

/// Copies a (possibly strided) view out of its storage into row-major bytes.
fn copy_strided(cx: &Cx, name: &str, t: &TensorRef, data: &[u8]) -> Result<RawTensor, PickleError> {
    let es = elem_size(t.storage.dtype);
    let numel: usize = t.shape.iter().product();
    let start = t.storage.offset + t.offset;
    let last = t
        .shape
        .iter()
        .zip(&t.stride)
        .map(|(&d, &s)| d.saturating_sub(1) * s)
        .sum::<usize>();
    if numel > 0 && (start + last + 1) * es > data.len() {
        return Err(cx.malformed(format!("{name} reaches past the end of its storage")));
    }
    let mut contiguous = vec![0usize; t.shape.len()];
    let mut acc = 1;
    for i in (0..t.shape.len()).rev() {
        contiguous[i] = acc;
        acc *= t.shape[i];
    }
    let out = if numel == 0 {
        Vec::new()
    } else if t.stride == contiguous || t.shape.iter().filter(|&&d| d != 1).count() == 0 {
        data[start * es..(start + numel) * es].to_vec()
    } else {
        let mut out = Vec::with_capacity(numel * es);
        let mut index = vec![0usize; t.shape.len()];
        for _ in 0..numel {
            let at = start
                + index
                    .iter()
                    .zip(&t.stride)
                    .map(|(i, s)| i * s)
                    .sum::<usize>();
            out.extend_from_slice(&data[at * es..(at + 1) * es]);
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < t.shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        out
    };
    Ok(RawTensor {
        dtype: t.storage.dtype,
        shape: t.shape.clone(),
        data: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-assembled protocol-2 pickle of `{"w": tensor}` in the zip layout.
    fn state_dict_pickle(global_module: &str, global_name: &str) -> Vec<u8> {
        let mut p = vec![0x80, 2, b'}', b'q', 0, b'(', b'X'];
        p.extend(1u32.to_le_bytes());
        p.push(b'w');
        p.push(b'c');
        p.extend(format!("{global_module}\n{global_name}\n").as_bytes());
        // (('storage', torch.FloatStorage, '0', 'cpu', 6), 0, (2, 3), (1, 2), False, OrderedDict())
        p.push(b'(');
        p.push(b'(');
        let s = "storage";
        p.push(b'X');
        p.extend((s.len() as u32).to_le_bytes());
        p.extend(s.as_bytes());
        p.extend(b"ctorch\nFloatStorage\n");
        for s in ["0", "cpu"] {
            p.push(b'X');
            p.extend((s.len() as u32).to_le_bytes());
            p.extend(s.as_bytes());
        }
        p.extend([
            b'K', 6, b't', b'Q', b'K', 0, b'K', 2, b'K', 3, 0x86, b'K', 1, b'K', 2, 0x86,
        ]);
        p.push(0x89);
        p.extend(b"ccollections\nOrderedDict\n)R");
        p.extend([b't', b'R', b'u', b'.']);
        p
    }

    fn zip_with(pickle: &[u8], storage: &[f32]) -> Vec<u8> {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            z.start_file("archive/data.pkl", o).unwrap();
            z.write_all(pickle).unwrap();
            z.start_file("archive/byteorder", o).unwrap();
            z.write_all(b"little").unwrap();
            z.start_file("archive/data/0", o).unwrap();
            for v in storage {
                z.write_all(&v.to_le_bytes()).unwrap();
            }
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn reads_a_strided_tensor_from_a_zip_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pytorch_model.bin");
        let values = [0f32, 1., 2., 3., 4., 5.];
        let pickle = state_dict_pickle("torch._utils", "_rebuild_tensor_v2");
        std::fs::write(&path, zip_with(&pickle, &values)).unwrap();
        let dict = read_state_dict(&path).unwrap();
        let t = dict.get("w").unwrap();
        assert_eq!(t.shape, vec![2, 3]);
        // Stride (1, 2): a transposed view of the storage, copied out in row-major order.
        let got: Vec<f32> = t
            .data
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(got, vec![0., 2., 4., 1., 3., 5.]);
    }

    /// `{"params": {"w": tensor}}`, as Real-ESRGAN saves its weights.
    #[test]
    fn reads_a_state_dict_kept_under_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.pth");
        let inner = state_dict_pickle("torch._utils", "_rebuild_tensor_v2");
        let mut pickle = vec![0x80, 2, b'}', b'X'];
        pickle.extend(6u32.to_le_bytes());
        pickle.extend(b"params");
        // The inner pickle without its protocol header and STOP: its dict is the value.
        pickle.extend(&inner[2..inner.len() - 1]);
        pickle.extend([b's', b'.']);
        let values = [0f32, 1., 2., 3., 4., 5.];
        std::fs::write(&path, zip_with(&pickle, &values)).unwrap();
        let dict = read_state_dict_under(&path, &["params_ema", "params"]).unwrap();
        assert_eq!(dict.get("w").unwrap().shape, vec![2, 3]);
        // Without the key the top level is no state dict, and says so.
        let err = read_state_dict(&path).unwrap_err();
        assert!(err.to_string().contains("params is not a tensor"), "{err}");
    }

    #[test]
    fn refuses_any_other_global_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pytorch_model.bin");
        let pickle = state_dict_pickle("posix", "system");
        std::fs::write(&path, zip_with(&pickle, &[0.; 6])).unwrap();
        let err = read_state_dict(&path).unwrap_err();
        assert!(
            matches!(&err, PickleError::RefusedGlobal { global, .. } if global == "posix.system"),
            "{err}"
        );
        assert!(err.to_string().contains("posix.system"), "{err}");
    }

    #[test]
    fn refuses_object_building_opcodes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pytorch_model.bin");
        // INST: build an object from a class named inline.
        let pickle = b"\x80\x02(ios\nsystem\n.".to_vec();
        std::fs::write(&path, zip_with(&pickle, &[])).unwrap();
        let err = read_state_dict(&path).unwrap_err();
        assert!(
            matches!(err, PickleError::RefusedOpcode { opcode: b'i', .. }),
            "{err}"
        );
    }

    #[test]
    fn names_a_file_that_is_no_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pytorch_model.bin");
        std::fs::write(&path, b"hello").unwrap();
        let err = read_state_dict(&path).unwrap_err();
        assert!(matches!(err, PickleError::Malformed { .. }), "{err}");
    }
}
