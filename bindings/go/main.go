// An omnimodel host in Go, written from bindings/ABI.md alone: it runs omnimodel.wasm with
// wazero (pure Go, no cgo), drives an index job over a local file, prints the index, then reads
// tensors through read jobs and prints their first values.
//
//	go run . [-facts] omnimodel.wasm MODEL [TENSOR]
//
// With -facts it prints one JSON document for tests/hosts/native.mjs: the index plus, per
// tensor, the sha256 of the stored bytes and of the values read as F32, and the first values.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Job statuses (ABI.md "Statuses").
const (
	statusDone       = 0
	statusNeedBytes  = 1
	statusNeedSource = 2
	statusOutput     = 3
	statusCopy       = 4
)

const dtypeF32 = 2

var errorNames = []string{"ERROR", "TRUNCATED", "UNKNOWN_FORMAT", "HEADER_TOO_SMALL", "HEADER_TOO_LARGE",
	"INVALID_HEADER_LENGTH", "INVALID_HEADER", "INVALID_JSON", "INVALID_OFFSET", "OVERFLOW", "MISALIGNED",
	"SIZE_MISMATCH", "INCOMPLETE_BUFFER", "DUPLICATE", "UNSUPPORTED", "LIMIT", "BAD_DTYPE", "BAD_SHAPE",
	"CHECKSUM", "DECOMPRESS", "SOURCE_MISSING", "PATH_VIOLATION", "NOT_FOUND", "NO_MEMORY", "BAD_ARGUMENT",
	"IO", "UNREADABLE", "CORRUPT"}

// CoreError is a failed job: the core's error name, message and byte offset.
type CoreError struct {
	Code    string
	Message string
	Offset  float64
}

func (e *CoreError) Error() string {
	return fmt.Sprintf("%s: %s (offset %.0f)", e.Code, e.Message, e.Offset)
}

// Core wraps one instance. wazero passes every parameter and result as uint64: i32 values are
// truncated with uint32 (pointers and lengths are unsigned), f64 values go through math.Float64bits.
type Core struct {
	ctx context.Context
	mod api.Module
	fns map[string]api.Function
}

func NewCore(ctx context.Context, wasm []byte) (*Core, error) {
	cfg := wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2)
	// Compiling the core to machine code takes about a second; a cache directory (set
	// OMNIMODEL_WAZERO_CACHE) makes later starts cheap.
	if dir := os.Getenv("OMNIMODEL_WAZERO_CACHE"); dir != "" {
		if cache, err := wazero.NewCompilationCacheWithDir(dir); err == nil {
			cfg = cfg.WithCompilationCache(cache)
		}
	}
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	compiled, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, err
	}
	if n := len(compiled.ImportedFunctions()) + len(compiled.ImportedMemories()); n != 0 {
		return nil, fmt.Errorf("omnimodel.wasm must have no imports, it has %d", n)
	}
	mod, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig())
	if err != nil {
		return nil, err
	}
	c := &Core{ctx: ctx, mod: mod, fns: map[string]api.Function{}}
	if v := c.u32("abi_version"); v>>16 != 1 {
		return nil, fmt.Errorf("omnimodel.wasm speaks ABI %d.%d; this host needs 1.x", v>>16, v&0xffff)
	}
	return c, nil
}

func (c *Core) call(name string, args ...uint64) uint64 {
	f, ok := c.fns[name]
	if !ok {
		f = c.mod.ExportedFunction(name)
		if f == nil {
			panic("omnimodel.wasm has no export " + name)
		}
		c.fns[name] = f
	}
	res, err := f.Call(c.ctx, args...)
	if err != nil {
		panic(fmt.Sprintf("%s trapped: %v", name, err)) // the core never traps on bad input
	}
	if len(res) == 0 {
		return 0
	}
	return res[0]
}

func (c *Core) u32(name string, args ...uint64) uint32 { return uint32(c.call(name, args...)) }
func (c *Core) i32(name string, args ...uint64) int32  { return int32(uint32(c.call(name, args...))) }
func (c *Core) f64(name string, args ...uint64) float64 {
	return math.Float64frombits(c.call(name, args...))
}
func f(x float64) uint64 { return math.Float64bits(x) }
func i(x int32) uint64   { return uint64(uint32(x)) }

// view is a write-through slice of wasm memory, valid until the next call that may grow memory.
func (c *Core) view(ptr, n uint32) []byte {
	b, ok := c.mod.Memory().Read(ptr, n)
	if !ok {
		panic(fmt.Sprintf("memory range %d+%d out of bounds", ptr, n))
	}
	return b
}

func (c *Core) str(ptr, n uint32) string {
	if n == 0 {
		return ""
	}
	return string(c.view(ptr, n))
}

func (c *Core) jobError(h int32) error {
	code := c.i32("job_error_code", i(h))
	name := "ERROR"
	if code >= 0 && int(code) < len(errorNames) {
		name = errorNames[code]
	}
	msg := c.str(c.u32("job_error_message", i(h)), c.u32("job_error_message_length", i(h)))
	return &CoreError{Code: name, Message: msg, Offset: c.f64("job_error_offset", i(h))}
}

// Model is a finished index job and the files it reads (source 0 is the main file).
type Model struct {
	core    *Core
	handle  int32
	dir     string
	sources map[int32]*os.File
	Index   map[string]any
	Raw     string
	// MaxTensorBytes is the largest tensor Read buffers whole. The size comes from the file, which
	// may claim terabytes, so it is checked before allocating (TOO_LARGE, bindings/ABI.md).
	MaxTensorBytes float64
}

// DefaultMaxTensorBytes is Model.MaxTensorBytes unless OMNIMODEL_MAX_TENSOR_BYTES says otherwise.
const DefaultMaxTensorBytes = 2 << 30

func maxTensorBytesFromEnv() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("OMNIMODEL_MAX_TENSOR_BYTES"), 64); err == nil {
		return v
	}
	return DefaultMaxTensorBytes
}

// run drives a job; output and copy receive what read jobs produce.
func (m *Model) run(h int32, output func(data []byte, off float64), copyFn func(src *os.File, srcOff, n, off float64) error) error {
	c := m.core
	for {
		switch st := c.i32("job_run", i(h)); st {
		case statusDone:
			return nil
		case statusNeedBytes:
			src := m.sources[c.i32("job_need_source", i(h))]
			off, n := c.f64("job_need_offset", i(h)), c.f64("job_need_length", i(h))
			p := c.u32("job_feed", i(h), f(n))
			if p == 0 || src == nil {
				return errors.New("the core refused to take the bytes")
			}
			// Read straight into wasm memory.
			if _, err := src.ReadAt(c.view(p, uint32(n)), int64(off)); err != nil {
				return fmt.Errorf("reading %v bytes at %v: %w", n, off, err)
			}
			if rc := c.i32("job_commit", i(h), f(n)); rc != 0 {
				return fmt.Errorf("the core refused the bytes (code %d)", rc)
			}
		case statusNeedSource:
			id := c.i32("job_need_source", i(h))
			rel := c.str(c.u32("job_need_name", i(h)), c.u32("job_need_name_length", i(h)))
			if err := m.openSibling(id, rel); err != nil {
				msg := []byte(err.Error())
				p := c.u32("alloc", uint64(len(msg)+1))
				copy(c.view(p, uint32(len(msg))), msg)
				c.i32("job_source_failed", i(h), i(id), 20, uint64(p), uint64(len(msg)))
				c.call("free", uint64(p))
			} else {
				st, _ := m.sources[id].Stat()
				c.i32("job_source_found", i(h), i(id), f(float64(st.Size())))
			}
		case statusOutput:
			p, n := c.u32("job_output_ptr", i(h)), c.u32("job_output_length", i(h))
			output(c.view(p, n), c.f64("job_output_offset", i(h)))
		case statusCopy:
			src := m.sources[c.i32("job_need_source", i(h))]
			if err := copyFn(src, c.f64("job_need_offset", i(h)), c.f64("job_need_length", i(h)), c.f64("job_output_offset", i(h))); err != nil {
				return err
			}
		default:
			return c.jobError(h)
		}
	}
}

// openSibling resolves a file the model refers to: it must stay inside the model's directory
// after symlinks are followed (the core already refused absolute paths and "..").
func (m *Model) openSibling(id int32, rel string) error {
	root, err := filepath.EvalSymlinks(m.dir)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(m.dir, filepath.FromSlash(rel)))
	if err != nil {
		return fmt.Errorf("%q does not exist next to the model", rel)
	}
	if r, err := filepath.Rel(root, real); err != nil || r == ".." || len(r) > 2 && r[:3] == ".."+string(filepath.Separator) {
		return fmt.Errorf("%q leads outside the model's directory", rel)
	}
	fh, err := os.Open(real)
	if err != nil {
		return err
	}
	m.sources[id] = fh
	return nil
}

func Open(c *Core, path string) (*Model, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	h := c.i32("index_open", f(float64(st.Size())))
	if h <= 0 {
		return nil, fmt.Errorf("index_open refused (%d)", h)
	}
	m := &Model{core: c, handle: h, dir: filepath.Dir(path), sources: map[int32]*os.File{0: fh}, MaxTensorBytes: maxTensorBytesFromEnv()}
	name := []byte(filepath.Base(path))
	p := c.u32("alloc", uint64(len(name)+1))
	copy(c.view(p, uint32(len(name))), name)
	c.i32("job_set_name", i(h), uint64(p), uint64(len(name)))
	c.call("free", uint64(p))
	if err := m.run(h, nil, nil); err != nil {
		m.Close()
		return nil, err
	}
	m.Raw = c.str(c.u32("job_result", i(h)), c.u32("job_result_length", i(h)))
	if err := json.Unmarshal([]byte(m.Raw), &m.Index); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// Read streams tensor number t (as dtype, 0 = as stored) into w in order.
func (m *Model) Read(t int32, dtype int32, w io.Writer) error {
	c := m.core
	h := c.i32("read_open", i(m.handle), i(t), i(dtype))
	if h <= 0 {
		return fmt.Errorf("read_open refused (%d)", h)
	}
	defer c.call("job_close", i(h))
	total := c.f64("read_output_length", i(h))
	if total > m.MaxTensorBytes {
		return &CoreError{Code: "TOO_LARGE", Message: fmt.Sprintf("tensor #%d needs %.0f bytes, over the %.0f this host buffers for one read; stream it (read jobs emit windows at offsets) instead", t, total, m.MaxTensorBytes)}
	}
	out := make([]byte, int(total)) // fixtures are small; a streaming host would write at offsets
	err := m.run(h, func(data []byte, off float64) {
		copy(out[int(off):], data)
	}, func(src *os.File, srcOff, n, off float64) error {
		_, err := src.ReadAt(out[int(off):int(off+n)], int64(srcOff))
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func (m *Model) Close() {
	m.core.call("job_close", i(m.handle))
	for _, s := range m.sources {
		s.Close()
	}
}

type tensorFacts struct {
	Name      string    `json:"name"`
	Sha256    string    `json:"sha256,omitempty"`
	F32Sha256 string    `json:"f32_sha256,omitempty"`
	F32Error  string    `json:"f32_error,omitempty"`
	ReadError string    `json:"read_error,omitempty"`
	First     []float32 `json:"first"`
}

type firstValues struct {
	h     hash.Hash
	buf   []byte
	limit int
}

func (fv *firstValues) Write(b []byte) (int, error) {
	fv.h.Write(b)
	if len(fv.buf) < fv.limit*4 {
		fv.buf = append(fv.buf, b[:min(len(b), fv.limit*4-len(fv.buf))]...)
	}
	return len(b), nil
}

func (fv *firstValues) values() []float32 {
	out := []float32{}
	for k := 0; k+4 <= len(fv.buf); k += 4 {
		bits := uint32(fv.buf[k]) | uint32(fv.buf[k+1])<<8 | uint32(fv.buf[k+2])<<16 | uint32(fv.buf[k+3])<<24
		out = append(out, math.Float32frombits(bits))
	}
	return out
}

func errCode(err error) string {
	var ce *CoreError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return "ERROR"
}

func main() {
	start := time.Now()
	factsMode := flag.Bool("facts", false, "print index, hashes and first values as one JSON document")
	benchMode := flag.Bool("bench", false, "time the first inspect and reads of every tensor (as F32 and as stored)")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: gohost [-facts] omnimodel.wasm MODEL [TENSOR]")
		os.Exit(2)
	}
	ctx := context.Background()
	wasm, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	core, err := NewCore(ctx, wasm)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	m, err := Open(core, flag.Arg(1))
	if err != nil {
		if *factsMode {
			json.NewEncoder(os.Stdout).Encode(map[string]string{"error": errCode(err)})
			return
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	defer m.Close()
	tensors, _ := m.Index["tensors"].([]any)
	if *benchMode {
		bench(m, tensors, time.Since(start))
		return
	}
	if !*factsMode {
		fmt.Println(m.Raw)
		for k, t := range tensors {
			name := t.(map[string]any)["name"].(string)
			if flag.NArg() > 2 && name != flag.Arg(2) {
				continue
			}
			fv := &firstValues{h: sha256.New(), limit: 8}
			if err := m.Read(int32(k), dtypeF32, fv); err != nil {
				fmt.Printf("%s: %v\n", name, err)
				continue
			}
			fmt.Printf("%s: %v\n", name, fv.values())
		}
		return
	}
	out := struct {
		Index   json.RawMessage `json:"index"`
		Tensors []tensorFacts   `json:"tensors"`
	}{Index: json.RawMessage(m.Raw), Tensors: []tensorFacts{}}
	for k, t := range tensors {
		tf := tensorFacts{Name: t.(map[string]any)["name"].(string), First: []float32{}}
		stored := sha256.New()
		if err := m.Read(int32(k), 0, stored); err != nil {
			tf.ReadError = errCode(err)
		} else {
			tf.Sha256 = hex.EncodeToString(stored.Sum(nil))
		}
		fv := &firstValues{h: sha256.New(), limit: 4}
		if err := m.Read(int32(k), dtypeF32, fv); err != nil {
			tf.F32Error = errCode(err)
		} else {
			tf.F32Sha256 = hex.EncodeToString(fv.h.Sum(nil))
			tf.First = fv.values()
		}
		out.Tensors = append(out.Tensors, tf)
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(b []byte) (int, error) { c.n += len(b); return len(b), nil }

// bench prints {"cold_ms", "reads": {"NAME/F32": {"bytes", "ms"}, "NAME/stored": ...}}: the best
// of three reads of each tensor, for bench/hosts.
func bench(m *Model, tensors []any, cold time.Duration) {
	reads := map[string]map[string]float64{}
	for k, t := range tensors {
		name := t.(map[string]any)["name"].(string)
		for _, mode := range []struct {
			label string
			dtype int32
		}{{"F32", dtypeF32}, {"stored", 0}} {
			best := math.Inf(1)
			var n int
			for rep := 0; rep < 3; rep++ {
				w := &countingWriter{}
				t0 := time.Now()
				if err := m.Read(int32(k), mode.dtype, w); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				best = math.Min(best, float64(time.Since(t0).Microseconds())/1000)
				n = w.n
			}
			reads[name+"/"+mode.label] = map[string]float64{"bytes": float64(n), "ms": best}
		}
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"cold_ms": float64(cold.Microseconds()) / 1000, "reads": reads})
}
