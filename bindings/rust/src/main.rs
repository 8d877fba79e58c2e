//! An omnimodel host in Rust, written from bindings/ABI.md alone: it runs omnimodel.wasm with
//! wasmi (a pure-Rust interpreter with SIMD), drives an index job over a local file, prints the
//! index, then reads tensors with read jobs and prints their first values.
//!
//!     omnimodel-host [--facts | --bench] omnimodel.wasm MODEL
//!
//! With --facts it prints one JSON document for tests/hosts/native.mjs: the index and, per
//! tensor position, the sha256 of the stored bytes and of the values read as F32, and the first
//! values. The host never parses the index: it reads tensors by position until the core says
//! there are no more.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use wasmi::{Engine, Instance, Linker, Memory, Module, Store, TypedFunc};

const DONE: i32 = 0;
const NEED_BYTES: i32 = 1;
const NEED_SOURCE: i32 = 2;
const OUTPUT: i32 = 3;
const COPY: i32 = 4;
const F32: i32 = 2;

const ERROR_NAMES: [&str; 28] = [
    "ERROR", "TRUNCATED", "UNKNOWN_FORMAT", "HEADER_TOO_SMALL", "HEADER_TOO_LARGE", "INVALID_HEADER_LENGTH",
    "INVALID_HEADER", "INVALID_JSON", "INVALID_OFFSET", "OVERFLOW", "MISALIGNED", "SIZE_MISMATCH",
    "INCOMPLETE_BUFFER", "DUPLICATE", "UNSUPPORTED", "LIMIT", "BAD_DTYPE", "BAD_SHAPE", "CHECKSUM",
    "DECOMPRESS", "SOURCE_MISSING", "PATH_VIOLATION", "NOT_FOUND", "NO_MEMORY", "BAD_ARGUMENT", "IO",
    "UNREADABLE", "CORRUPT",
];

#[derive(Debug)]
struct CoreError {
    code: String,
    message: String,
}

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

fn err(code: &str, message: impl Into<String>) -> CoreError {
    CoreError { code: code.into(), message: message.into() }
}

/// The exports this host uses. Pointers and lengths are u32 (wasm i32 reinterpreted); file
/// offsets and sizes are f64.
struct Core {
    store: Store<()>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<u32, ()>,
    index_open: TypedFunc<f64, i32>,
    job_set_name: TypedFunc<(i32, u32, u32), i32>,
    read_open: TypedFunc<(i32, i32, i32), i32>,
    read_output_length: TypedFunc<i32, f64>,
    job_run: TypedFunc<i32, i32>,
    job_need_source: TypedFunc<i32, i32>,
    job_need_offset: TypedFunc<i32, f64>,
    job_need_length: TypedFunc<i32, f64>,
    job_need_name: TypedFunc<i32, u32>,
    job_need_name_length: TypedFunc<i32, u32>,
    job_feed: TypedFunc<(i32, f64), u32>,
    job_commit: TypedFunc<(i32, f64), i32>,
    job_source_found: TypedFunc<(i32, i32, f64), i32>,
    job_source_failed: TypedFunc<(i32, i32, i32, u32, u32), i32>,
    job_output_ptr: TypedFunc<i32, u32>,
    job_output_length: TypedFunc<i32, u32>,
    job_output_offset: TypedFunc<i32, f64>,
    job_result: TypedFunc<i32, u32>,
    job_result_length: TypedFunc<i32, u32>,
    job_error_code: TypedFunc<i32, i32>,
    job_error_message: TypedFunc<i32, u32>,
    job_error_message_length: TypedFunc<i32, u32>,
    job_close: TypedFunc<i32, ()>,
}

fn func<P: wasmi::WasmParams, R: wasmi::WasmResults>(inst: &Instance, store: &Store<()>, name: &str) -> TypedFunc<P, R> {
    inst.get_typed_func::<P, R>(store, name).unwrap_or_else(|e| panic!("export {name}: {e}"))
}

impl Core {
    fn new(wasm: &[u8]) -> Result<Core, String> {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).map_err(|e| e.to_string())?;
        if module.imports().len() != 0 {
            return Err("omnimodel.wasm must have no imports".into());
        }
        let mut store = Store::new(&engine, ());
        let inst = Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module).map_err(|e| e.to_string())?;
        let memory = inst.get_memory(&store, "memory").ok_or("no memory export")?;
        let abi: TypedFunc<(), u32> = func(&inst, &store, "abi_version");
        let v = abi.call(&mut store, ()).map_err(|e| e.to_string())?;
        if v >> 16 != 1 {
            return Err(format!("omnimodel.wasm speaks ABI {}.{}; this host needs 1.x", v >> 16, v & 0xffff));
        }
        let s = &store;
        Ok(Core {
            alloc: func(&inst, s, "alloc"),
            free: func(&inst, s, "free"),
            index_open: func(&inst, s, "index_open"),
            job_set_name: func(&inst, s, "job_set_name"),
            read_open: func(&inst, s, "read_open"),
            read_output_length: func(&inst, s, "read_output_length"),
            job_run: func(&inst, s, "job_run"),
            job_need_source: func(&inst, s, "job_need_source"),
            job_need_offset: func(&inst, s, "job_need_offset"),
            job_need_length: func(&inst, s, "job_need_length"),
            job_need_name: func(&inst, s, "job_need_name"),
            job_need_name_length: func(&inst, s, "job_need_name_length"),
            job_feed: func(&inst, s, "job_feed"),
            job_commit: func(&inst, s, "job_commit"),
            job_source_found: func(&inst, s, "job_source_found"),
            job_source_failed: func(&inst, s, "job_source_failed"),
            job_output_ptr: func(&inst, s, "job_output_ptr"),
            job_output_length: func(&inst, s, "job_output_length"),
            job_output_offset: func(&inst, s, "job_output_offset"),
            job_result: func(&inst, s, "job_result"),
            job_result_length: func(&inst, s, "job_result_length"),
            job_error_code: func(&inst, s, "job_error_code"),
            job_error_message: func(&inst, s, "job_error_message"),
            job_error_message_length: func(&inst, s, "job_error_message_length"),
            job_close: func(&inst, s, "job_close"),
            memory,
            store,
        })
    }

    /// The core never traps on bad input (ABI.md): a trap is a bug, so it aborts the host.
    fn call<P: wasmi::WasmParams, R: wasmi::WasmResults>(&mut self, f: TypedFunc<P, R>, p: P) -> R {
        f.call(&mut self.store, p).expect("the core trapped")
    }

    /// A view of wasm memory, valid until the next call (memory may grow during any call).
    fn bytes(&self, ptr: u32, len: u32) -> &[u8] {
        &self.memory.data(&self.store)[ptr as usize..ptr as usize + len as usize]
    }

    fn bytes_mut(&mut self, ptr: u32, len: u32) -> &mut [u8] {
        &mut self.memory.data_mut(&mut self.store)[ptr as usize..ptr as usize + len as usize]
    }

    fn string(&self, ptr: u32, len: u32) -> String {
        String::from_utf8_lossy(self.bytes(ptr, len)).into_owned()
    }

    fn with_string<T>(&mut self, s: &str, f: impl FnOnce(&mut Core, u32, u32) -> T) -> T {
        let alloc = self.alloc;
        let p = self.call(alloc, s.len().max(1) as u32);
        assert!(p != 0, "the core could not allocate {} bytes", s.len());
        self.bytes_mut(p, s.len() as u32).copy_from_slice(s.as_bytes());
        let r = f(self, p, s.len() as u32);
        let free = self.free;
        self.call(free, p);
        r
    }

    fn job_error(&mut self, h: i32) -> CoreError {
        let (c, m, ml) = (self.job_error_code, self.job_error_message, self.job_error_message_length);
        let code = self.call(c, h);
        let (p, n) = (self.call(m, h), self.call(ml, h));
        err(ERROR_NAMES.get(code as usize).copied().unwrap_or("ERROR"), self.string(p, n))
    }
}

/// The largest tensor `read` allocates whole. The size comes from the file, which may claim
/// terabytes, so it is checked before allocating (TOO_LARGE, bindings/ABI.md); set
/// OMNIMODEL_MAX_TENSOR_BYTES or `Model::max_tensor_bytes` to change it.
const DEFAULT_MAX_TENSOR_BYTES: f64 = 2.0 * 1024.0 * 1024.0 * 1024.0;

fn max_tensor_bytes_from_env() -> f64 {
    std::env::var("OMNIMODEL_MAX_TENSOR_BYTES").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(DEFAULT_MAX_TENSOR_BYTES)
}

/// A finished index job and its files (source 0 = the main file).
struct Model {
    handle: i32,
    dir: PathBuf,
    sources: Vec<Option<File>>,
    index: String,
    max_tensor_bytes: f64,
}

enum Sink<'a> {
    None,
    Buffer(&'a mut Vec<u8>),
}

fn read_exact_at(f: &File, buf: &mut [u8], off: u64) -> Result<(), CoreError> {
    f.read_exact_at(buf, off).map_err(|e| err("IO", format!("{e} reading {} bytes at {off}", buf.len())))
}

impl Model {
    fn source(&self, id: i32) -> Result<&File, CoreError> {
        self.sources.get(id as usize).and_then(|s| s.as_ref()).ok_or_else(|| err("BAD_ARGUMENT", format!("unknown source {id}")))
    }

    /// Runs a job to the end (bindings/ABI.md "Driving a job").
    fn drive(&mut self, core: &mut Core, h: i32, mut sink: Sink) -> Result<(), CoreError> {
        loop {
            let run = core.job_run;
            match core.call(run, h) {
                DONE => return Ok(()),
                NEED_BYTES => {
                    let (s, o, l) = (core.job_need_source, core.job_need_offset, core.job_need_length);
                    let (src, off, len) = (core.call(s, h), core.call(o, h), core.call(l, h));
                    let feed = core.job_feed;
                    let p = core.call(feed, (h, len));
                    if p == 0 {
                        return Err(err("NO_MEMORY", format!("the core refused {len} bytes")));
                    }
                    // Straight into wasm memory: no intermediate buffer.
                    let file = self.source(src)?.try_clone().map_err(|e| err("IO", e.to_string()))?;
                    read_exact_at(&file, core.bytes_mut(p, len as u32), off as u64)?;
                    let commit = core.job_commit;
                    let rc = core.call(commit, (h, len));
                    if rc != 0 {
                        return Err(err(ERROR_NAMES.get(rc as usize).copied().unwrap_or("ERROR"), "the core refused the bytes"));
                    }
                }
                NEED_SOURCE => {
                    let (s, n, nl) = (core.job_need_source, core.job_need_name, core.job_need_name_length);
                    let id = core.call(s, h);
                    let (p, l) = (core.call(n, h), core.call(nl, h));
                    let rel = core.string(p, l);
                    match self.open_sibling(&rel) {
                        Ok(f) => {
                            let size = f.metadata().map(|m| m.len()).unwrap_or(0) as f64;
                            if self.sources.len() <= id as usize {
                                self.sources.resize_with(id as usize + 1, || None);
                            }
                            self.sources[id as usize] = Some(f);
                            let found = core.job_source_found;
                            core.call(found, (h, id, size));
                        }
                        Err((code, msg)) => {
                            let failed = core.job_source_failed;
                            core.with_string(&msg, |c, p, l| c.call(failed, (h, id, code, p, l)));
                        }
                    }
                }
                OUTPUT => {
                    let (p, l, o) = (core.job_output_ptr, core.job_output_length, core.job_output_offset);
                    let (ptr, len, off) = (core.call(p, h), core.call(l, h), core.call(o, h) as usize);
                    if let Sink::Buffer(out) = &mut sink {
                        out[off..off + len as usize].copy_from_slice(core.bytes(ptr, len));
                    }
                }
                COPY => {
                    let (s, o, l, oo) = (core.job_need_source, core.job_need_offset, core.job_need_length, core.job_output_offset);
                    let (src, soff, len, off) = (core.call(s, h), core.call(o, h), core.call(l, h) as usize, core.call(oo, h) as usize);
                    if let Sink::Buffer(out) = &mut sink {
                        read_exact_at(self.source(src)?, &mut out[off..off + len], soff as u64)?;
                    }
                }
                _ => return Err(core.job_error(h)),
            }
        }
    }

    /// A sibling must stay inside the model's directory after symlinks (the core has already
    /// refused absolute paths and "..").
    fn open_sibling(&self, rel: &str) -> Result<File, (i32, String)> {
        let root = self.dir.canonicalize().map_err(|e| (20, e.to_string()))?;
        let real = self.dir.join(rel).canonicalize().map_err(|_| (20, format!("\"{rel}\" does not exist next to the model")))?;
        if !real.starts_with(&root) || real == root {
            return Err((21, format!("\"{rel}\" leads outside the model's directory")));
        }
        File::open(real).map_err(|e| (20, e.to_string()))
    }

    fn open(core: &mut Core, path: &Path) -> Result<Model, CoreError> {
        let f = File::open(path).map_err(|e| err("SOURCE_MISSING", e.to_string()))?;
        let size = f.metadata().map_err(|e| err("IO", e.to_string()))?.len() as f64;
        let open = core.index_open;
        let h = core.call(open, size);
        if h <= 0 {
            return Err(err("BAD_ARGUMENT", format!("index_open refused ({h})")));
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let mut m = Model { handle: h, dir, sources: vec![Some(f)], index: String::new(), max_tensor_bytes: max_tensor_bytes_from_env() };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let set_name = core.job_set_name;
        core.with_string(&name, |c, p, l| c.call(set_name, (h, p, l)));
        if let Err(e) = m.drive(core, h, Sink::None) {
            let close = core.job_close;
            core.call(close, h);
            return Err(e);
        }
        let (r, rl) = (core.job_result, core.job_result_length);
        let (p, l) = (core.call(r, h), core.call(rl, h));
        m.index = core.string(p, l);
        Ok(m)
    }

    /// Reads tensor number `t` as `dtype` (0 = as stored). Ok(None) when there is no such tensor.
    fn read(&mut self, core: &mut Core, t: i32, dtype: i32) -> Result<Option<Vec<u8>>, CoreError> {
        let open = core.read_open;
        let h = core.call(open, (self.handle, t, dtype));
        if h == -22 {
            return Ok(None); // NOT_FOUND: past the last tensor
        }
        if h <= 0 {
            return Err(err(ERROR_NAMES.get((-h) as usize).copied().unwrap_or("ERROR"), format!("read_open refused ({h})")));
        }
        let len = core.read_output_length;
        let total = core.call(len, h);
        if total > self.max_tensor_bytes {
            let close = core.job_close;
            core.call(close, h);
            return Err(err(
                "TOO_LARGE",
                format!("tensor #{t} needs {total} bytes, over the {} this host allocates for one read; stream it (read jobs emit windows at offsets) instead", self.max_tensor_bytes),
            ));
        }
        let mut out = vec![0u8; total as usize];
        let r = self.drive(core, h, Sink::Buffer(&mut out));
        let close = core.job_close;
        core.call(close, h);
        r.map(|_| Some(out))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn first_f32(b: &[u8], n: usize) -> Vec<f32> {
    b.chunks_exact(4).take(n).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn json_floats(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().map(|x| if x.is_finite() { format!("{x:?}") } else { "null".into() }).collect();
    format!("[{}]", items.join(","))
}

/// --bench: the first inspect's time since start, then the best of three reads of every tensor
/// (as F32 and as stored), as JSON for bench/hosts.
fn bench(core: &mut Core, model: &mut Model, cold_ms: f64) {
    let mut reads = Vec::new();
    for t in 0.. {
        let mut done = false;
        for (label, dtype) in [("F32", F32), ("stored", 0)] {
            let mut best = f64::INFINITY;
            let mut bytes = 0;
            for _ in 0..3 {
                let t0 = std::time::Instant::now();
                match model.read(core, t, dtype) {
                    Ok(Some(b)) => bytes = b.len(),
                    Ok(None) => {
                        done = true;
                        break;
                    }
                    Err(e) => panic!("{e}"),
                }
                best = best.min(t0.elapsed().as_secs_f64() * 1000.0);
            }
            if done {
                break;
            }
            reads.push(format!("\"#{t}/{label}\":{{\"bytes\":{bytes},\"ms\":{best:.3}}}"));
        }
        if done {
            break;
        }
    }
    println!("{{\"cold_ms\":{cold_ms:.3},\"reads\":{{{}}}}}", reads.join(","));
}

fn main() {
    let start = std::time::Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let facts = args.first().map(|a| a == "--facts").unwrap_or(false);
    let bench_mode = args.first().map(|a| a == "--bench").unwrap_or(false);
    let rest = if facts || bench_mode { &args[1..] } else { &args[..] };
    if rest.len() < 2 {
        eprintln!("usage: omnimodel-host [--facts] omnimodel.wasm MODEL");
        std::process::exit(2);
    }
    let wasm = std::fs::read(&rest[0]).unwrap_or_else(|e| panic!("{}: {e}", rest[0]));
    let mut core = Core::new(&wasm).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let mut model = match Model::open(&mut core, Path::new(&rest[1])) {
        Ok(m) => m,
        Err(e) if facts => {
            println!("{{\"error\":\"{}\"}}", e.code);
            return;
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    };
    if bench_mode {
        let cold = start.elapsed().as_secs_f64() * 1000.0;
        bench(&mut core, &mut model, cold);
        return;
    }
    let mut tensors = Vec::new();
    for t in 0.. {
        let stored = match model.read(&mut core, t, 0) {
            Ok(None) => break,
            Ok(Some(b)) => Ok(b),
            Err(e) => Err(e),
        };
        let f32s = model.read(&mut core, t, F32).map(|o| o.unwrap_or_default());
        if facts {
            let mut o = format!("{{\"position\":{t}");
            match &stored {
                Ok(b) => o += &format!(",\"sha256\":\"{}\"", hex(&Sha256::digest(b))),
                Err(e) => o += &format!(",\"read_error\":\"{}\"", e.code),
            }
            match &f32s {
                Ok(b) => o += &format!(",\"f32_sha256\":\"{}\",\"first\":{}", hex(&Sha256::digest(b)), json_floats(&first_f32(b, 4))),
                Err(e) => o += &format!(",\"f32_error\":\"{}\",\"first\":[]", e.code),
            }
            tensors.push(o + "}");
        } else {
            match f32s {
                Ok(b) => tensors.push(format!("tensor #{t}: {:?}", first_f32(&b, 8))),
                Err(e) => tensors.push(format!("tensor #{t}: {e}")),
            }
        }
    }
    if facts {
        println!("{{\"index\":{},\"tensors\":[{}]}}", model.index, tensors.join(","));
    } else {
        println!("{}", model.index);
        for line in tensors {
            println!("{line}");
        }
    }
    let close = core.job_close;
    core.call(close, model.handle);
}
