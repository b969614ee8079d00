package drivers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/sakersec/saker/drivers/syscalls"
	"github.com/sakersec/saker/sensor/event"
)

// Mode names the kind of programs a [Driver] runs.
type Mode string

// Program kinds, in order of preference.
const (
	ModeTPBTF         Mode = "tp_btf"
	ModeRawTracepoint Mode = "raw_tracepoint"
)

// Defaults of [LoadOptions].
const (
	DefaultRingBufferSize = 32 << 20
	DefaultWakeupBytes    = 256 << 10
)

// LoadOptions configure [Load]. The zero value is usable: embedded object,
// default ring buffer, every event type, the calling process ignored.
type LoadOptions struct {
	// RingBufferSize is the ring buffer size in bytes: a power of two and
	// a multiple of the page size. 0 means DefaultRingBufferSize.
	RingBufferSize int
	// WakeupBytes wakes the reader when this much data is pending; below
	// it the reader finds records by polling (see sensor/capture). A
	// negative value wakes the reader for every record. 0 means
	// DefaultWakeupBytes.
	WakeupBytes int
	// IgnorePID is a process (tgid) whose syscalls are not captured; 0
	// means the calling process, -1 captures everything.
	IgnorePID int
	// Types is the initial interest (see [Driver.SetInterest]); nil means
	// every type Saker captures.
	Types []event.Type
	// Object is an alternative eBPF object (an ELF built from
	// bpf/saker.bpf.c); ObjectPath reads one from a file. Empty means the
	// object embedded at build time.
	Object     []byte
	ObjectPath string
	// Mode forces a program kind; empty picks tp_btf and falls back to
	// raw_tracepoint when tp_btf programs fail to load or attach.
	Mode Mode
	// GenericSysEnter hooks every syscall's entry (sys_enter) instead of
	// the syscalls:sys_enter_* tracepoints of the few syscalls that need
	// entry state (execs and clones). Load uses it by itself when those
	// tracepoints are unavailable (no tracefs); forcing it is for tests.
	GenericSysEnter bool
	// Logger receives the fallback decisions; nil means slog.Default().
	Logger *slog.Logger
}

// maps are the object's maps, shared by both program kinds.
type maps struct {
	Drops        *ebpf.Map `ebpf:"drops"`
	Entries      *ebpf.Map `ebpf:"entries"`
	Events       *ebpf.Map `ebpf:"events"`
	ScratchMap   *ebpf.Map `ebpf:"scratch_map"`
	SyscallTypes *ebpf.Map `ebpf:"syscall_types"`
	TypeEnabled  *ebpf.Map `ebpf:"type_enabled"`
}

func (m *maps) close() {
	for _, mp := range []*ebpf.Map{m.Drops, m.Entries, m.Events, m.ScratchMap, m.SyscallTypes, m.TypeEnabled} {
		if mp != nil {
			mp.Close()
		}
	}
}

func (m *maps) replacements() map[string]*ebpf.Map {
	return map[string]*ebpf.Map{
		"drops": m.Drops, "entries": m.Entries, "events": m.Events, "scratch_map": m.ScratchMap,
		"syscall_types": m.SyscallTypes, "type_enabled": m.TypeEnabled,
	}
}

type btfPrograms struct {
	SysEnter  *ebpf.Program `ebpf:"btf_sys_enter"`
	SysExit   *ebpf.Program `ebpf:"btf_sys_exit"`
	SchedExec *ebpf.Program `ebpf:"btf_sched_exec"`
	SchedFork *ebpf.Program `ebpf:"btf_sched_fork"`
	SchedExit *ebpf.Program `ebpf:"btf_sched_exit"`
}

type rawPrograms struct {
	SysEnter  *ebpf.Program `ebpf:"raw_sys_enter"`
	SysExit   *ebpf.Program `ebpf:"raw_sys_exit"`
	SchedExec *ebpf.Program `ebpf:"raw_sched_exec"`
	SchedFork *ebpf.Program `ebpf:"raw_sched_fork"`
	SchedExit *ebpf.Program `ebpf:"raw_sched_exit"`
}

// hook pairs a program with its tracepoint.
type hook struct {
	tp   string
	prog *ebpf.Program
}

// programs are one kind's programs: the hooks attached in that kind's way,
// the generic sys_enter hook (the fallback for entry state) and the
// syscalls:sys_enter_* program.
type programs struct {
	hooks    []hook
	sysEnter *ebpf.Program
	entry    *ebpf.Program
}

func (p *programs) close() {
	for _, prog := range append([]*ebpf.Program{p.sysEnter, p.entry}, hookPrograms(p.hooks)...) {
		if prog != nil {
			prog.Close()
		}
	}
}

func hookPrograms(hs []hook) []*ebpf.Program {
	out := make([]*ebpf.Program, 0, len(hs))
	for _, h := range hs {
		out = append(out, h.prog)
	}
	return out
}

func (p *btfPrograms) programs() programs {
	return programs{
		hooks: []hook{{"sys_exit", p.SysExit}, {"sched_process_exec", p.SchedExec},
			{"sched_process_fork", p.SchedFork}, {"sched_process_exit", p.SchedExit}},
		sysEnter: p.SysEnter,
	}
}

// The two kinds differ only in their programs' names (the struct tags).
func (p *rawPrograms) programs() programs { return (*btfPrograms)(p).programs() }

// entryProgram is the program for the syscalls:sys_enter_* tracepoints.
// Objects built before it existed lack it; they use the generic hook.
type entryProgram struct {
	Entry *ebpf.Program `ebpf:"tp_sys_enter"`
}

// entryTracepoints are the syscalls whose entry the driver must see (see
// needs_entry in bpf/saker.bpf.c). Architectures without fork and vfork
// (arm64) lack their tracepoints; they are skipped.
var entryTracepoints = []string{
	"sys_enter_execve", "sys_enter_execveat", "sys_enter_clone", "sys_enter_clone3",
	"sys_enter_fork", "sys_enter_vfork",
}

// EntryHook names how the driver sees syscall entries.
type EntryHook string

const (
	// EntrySyscallTracepoints: syscalls:sys_enter_* of the execs and
	// clones only; other syscalls pay nothing at entry.
	EntrySyscallTracepoints EntryHook = "syscall tracepoints"
	// EntryGeneric: the sys_enter hook, which runs for every syscall.
	EntryGeneric EntryHook = "sys_enter"
)

// Driver is the loaded capture object. Methods are safe for concurrent use
// except Close, which must come last.
type Driver struct {
	spec    *ebpf.CollectionSpec
	maps    maps
	progs   programs
	links   []link.Link
	mode    Mode
	forced  bool
	generic bool      // GenericSysEnter was asked for
	entry   EntryHook // how the attached driver sees entries
	active  []hook    // what is attached, for Stats
	table   *syscalls.Table
	log     *slog.Logger
}

// Load checks the host (see [Check]), loads the eBPF object and configures
// it; nothing is captured until [Driver.Attach].
func Load(opts LoadOptions) (*Driver, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	table, err := syscalls.Native()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	spec, err := loadSpec(opts)
	if err != nil {
		return nil, err
	}
	if err := configure(spec, opts); err != nil {
		return nil, err
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	_ = rlimit.RemoveMemlock()

	d := &Driver{spec: spec, table: table, log: log, forced: opts.Mode != "", generic: opts.GenericSysEnter}
	if err := spec.LoadAndAssign(&d.maps, nil); err != nil {
		return nil, loadError("maps", err)
	}
	mode := opts.Mode
	if mode == "" {
		mode = ModeTPBTF
	}
	if err := d.loadPrograms(mode); err != nil {
		if d.forced || mode != ModeTPBTF {
			d.maps.close()
			return nil, err
		}
		log.Info("tp_btf programs did not load; using raw tracepoints", "err", err)
		if err2 := d.loadPrograms(ModeRawTracepoint); err2 != nil {
			d.maps.close()
			return nil, err2
		}
	}
	types := opts.Types
	if types == nil {
		types = event.Types()
	}
	if err := d.SetInterest(types); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func loadSpec(opts LoadOptions) (*ebpf.CollectionSpec, error) {
	obj := opts.Object
	if obj == nil && opts.ObjectPath != "" {
		b, err := os.ReadFile(opts.ObjectPath)
		if err != nil {
			return nil, fmt.Errorf("read eBPF object: %w", err)
		}
		obj = b
	}
	if obj == nil {
		return loadSaker()
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(obj))
	if err != nil {
		return nil, fmt.Errorf("parse eBPF object %s: %w (build it from drivers/bpf/saker.bpf.c with make generate)", objectName(opts), err)
	}
	return spec, nil
}

func objectName(opts LoadOptions) string {
	if opts.ObjectPath != "" {
		return opts.ObjectPath
	}
	return "(from LoadOptions.Object)"
}

func configure(spec *ebpf.CollectionSpec, opts LoadOptions) error {
	size := opts.RingBufferSize
	if size == 0 {
		size = DefaultRingBufferSize
	}
	page := os.Getpagesize()
	if size < page || size&(size-1) != 0 {
		return fmt.Errorf("ring buffer size %d: %w", size, ErrBadOption)
	}
	wake := opts.WakeupBytes
	switch {
	case wake == 0:
		wake = DefaultWakeupBytes
	case wake < 0:
		wake = 0
	}
	wake = min(wake, size/2)
	ignore := opts.IgnorePID
	switch {
	case ignore == 0:
		ignore = os.Getpid()
	case ignore < 0:
		ignore = 0
	}
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return fmt.Errorf("count CPUs: %w", err)
	}
	ms := spec.Maps
	if ms["events"] == nil || ms["scratch_map"] == nil {
		return fmt.Errorf("eBPF object %s lacks the events or scratch_map map: %w", objectName(opts), ErrBadObject)
	}
	ms["events"].MaxEntries = uint32(size)
	ms["scratch_map"].MaxEntries = uint32(cpus)
	vars := map[string]any{
		"ignore_tgid":  uint32(ignore),
		"wakeup_bytes": uint64(wake),
		"arch_arm64":   boolU32(runtime.GOARCH == "arm64"),
	}
	for name, v := range vars {
		vs := spec.Variables[name]
		if vs == nil {
			return fmt.Errorf("eBPF object %s lacks variable %s: %w", objectName(opts), name, ErrBadObject)
		}
		if err := vs.Set(v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}

func boolU32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func (d *Driver) loadPrograms(mode Mode) error {
	opts := &ebpf.CollectionOptions{MapReplacements: d.maps.replacements()}
	switch mode {
	case ModeTPBTF:
		var p btfPrograms
		if err := d.spec.LoadAndAssign(&p, opts); err != nil {
			return loadError("tp_btf programs", err)
		}
		d.progs = p.programs()
	case ModeRawTracepoint:
		var p rawPrograms
		if err := d.spec.LoadAndAssign(&p, opts); err != nil {
			return loadError("raw_tracepoint programs", err)
		}
		d.progs = p.programs()
	default:
		return fmt.Errorf("mode %q: %w (want %s or %s)", mode, ErrBadOption, ModeTPBTF, ModeRawTracepoint)
	}
	if err := d.loadEntry(opts); err != nil {
		d.progs.close()
		return err
	}
	d.mode = mode
	return nil
}

func (d *Driver) loadEntry(opts *ebpf.CollectionOptions) error {
	if d.spec.Programs["tp_sys_enter"] == nil {
		return nil
	}
	var p entryProgram
	if err := d.spec.LoadAndAssign(&p, opts); err != nil {
		return loadError("syscall entry program", err)
	}
	d.progs.entry = p.Entry
	return nil
}

func loadError(what string, err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		// The last lines of the verifier log say why.
		return fmt.Errorf("load %s: %w: %-40v", what, ErrLoad, ve)
	}
	return fmt.Errorf("load %s: %w: %v", what, ErrLoad, err)
}

// Mode returns the kind of programs in use.
func (d *Driver) Mode() Mode { return d.mode }

// Events returns the ring buffer map that sensor/capture reads.
func (d *Driver) Events() *ebpf.Map { return d.maps.Events }

// Attach starts capturing. When tp_btf programs fail to attach (and no
// mode was forced), it switches to raw tracepoints.
func (d *Driver) Attach() error {
	if len(d.links) > 0 {
		return nil
	}
	err := d.attach()
	if err == nil || d.forced || d.mode != ModeTPBTF {
		return err
	}
	d.log.Info("tp_btf programs did not attach; using raw tracepoints", "err", err)
	d.progs.close()
	if err := d.loadPrograms(ModeRawTracepoint); err != nil {
		return err
	}
	return d.attach()
}

func (d *Driver) attach() error {
	d.active = nil
	for _, h := range d.progs.hooks {
		if err := d.attachHook(h); err != nil {
			d.detach()
			return err
		}
	}
	if !d.generic && d.progs.entry != nil {
		err := d.attachEntryTracepoints()
		if err == nil {
			d.entry = EntrySyscallTracepoints
			return nil
		}
		d.log.Info("syscall entry tracepoints unavailable; hooking every syscall's entry instead (a little more overhead per syscall)", "err", err)
	}
	if err := d.attachHook(hook{"sys_enter", d.progs.sysEnter}); err != nil {
		d.detach()
		return err
	}
	d.entry = EntryGeneric
	return nil
}

func (d *Driver) attachHook(h hook) error {
	var l link.Link
	var err error
	if d.mode == ModeTPBTF {
		l, err = link.AttachTracing(link.TracingOptions{Program: h.prog, AttachType: ebpf.AttachTraceRawTp})
	} else {
		l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: h.tp, Program: h.prog})
	}
	if err != nil {
		return fmt.Errorf("attach %s to %s: %w: %v", d.mode, h.tp, ErrAttach, err)
	}
	d.links = append(d.links, l)
	d.active = append(d.active, h)
	return nil
}

// attachEntryTracepoints attaches the entry program to the syscalls that
// need entry state. On failure nothing of it stays attached.
func (d *Driver) attachEntryTracepoints() error {
	if err := ensureTracefs(); err != nil {
		return err
	}
	var links []link.Link
	for _, name := range entryTracepoints {
		l, err := link.Tracepoint("syscalls", name, d.progs.entry, nil)
		if errors.Is(err, os.ErrNotExist) {
			continue // not a syscall of this architecture
		}
		if err != nil {
			for _, l := range links {
				l.Close()
			}
			return fmt.Errorf("attach to syscalls:%s: %w", name, err)
		}
		links = append(links, l)
	}
	if len(links) == 0 {
		return fmt.Errorf("no syscalls:sys_enter_exec*/clone* tracepoint exists: %w", os.ErrNotExist)
	}
	d.links = append(d.links, links...)
	d.active = append(d.active, hook{"syscalls:sys_enter_*", d.progs.entry})
	return nil
}

// tracefsDirs are where the kernel's tracing file system is looked for
// (the order of cilium/ebpf's lookup).
var tracefsDirs = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// ensureTracefs mounts tracefs at /sys/kernel/tracing when it is mounted
// nowhere (containers and minimal hosts): the syscall tracepoints' ids are
// read from it. It must run before the first link.Tracepoint, which caches
// the lookup.
func ensureTracefs() error {
	for _, dir := range tracefsDirs {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) == nil && (st.Type == unix.TRACEFS_MAGIC || st.Type == unix.DEBUGFS_MAGIC) {
			if _, err := os.Stat(dir + "/events"); err == nil {
				return nil
			}
		}
	}
	if err := unix.Mount("tracefs", tracefsDirs[0], "tracefs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("tracefs is not mounted and mounting it on %s failed: %w", tracefsDirs[0], err)
	}
	return nil
}

func (d *Driver) detach() {
	for _, l := range d.links {
		l.Close()
	}
	d.links = nil
	d.entry = ""
}

// Entry says how the attached driver sees syscall entries ("" while
// detached).
func (d *Driver) Entry() EntryHook { return d.entry }

// Detach stops capturing; Attach may start again.
func (d *Driver) Detach() { d.detach() }

// SetInterest replaces the set of captured event types. Syscalls of other
// types return from the hooks after one array lookup. Scheduler-side
// events (procexit) follow their type; the child side of clone/fork
// follows the clone types.
func (d *Driver) SetInterest(types []event.Type) error {
	var nrTypes [512]uint16
	var enabled [maxTypes]uint8
	for _, t := range types {
		if t == event.TypeUnknown || t >= event.NumTypes {
			return fmt.Errorf("interest: event type %d: %w", t, ErrBadOption)
		}
		enabled[t] = 1
		for _, nr := range d.table.Numbers(t) {
			nrTypes[nr] = uint16(t)
		}
	}
	for nr, t := range nrTypes {
		if err := d.maps.SyscallTypes.Put(uint32(nr), t); err != nil {
			return fmt.Errorf("interest: write syscall %d: %w", nr, err)
		}
	}
	for t, on := range enabled {
		if err := d.maps.TypeEnabled.Put(uint32(t), on); err != nil {
			return fmt.Errorf("interest: write type %d: %w", t, err)
		}
	}
	return nil
}

// maxTypes is the size of the driver's type_enabled map.
const maxTypes = 128

// The map must hold every event type.
var _ [maxTypes - int(event.NumTypes)]struct{}

// Drops returns how many records were lost because the ring buffer was
// full, summed over CPUs, since Load.
func (d *Driver) Drops() (uint64, error) {
	var per []uint64
	if err := d.maps.Drops.Lookup(uint32(0), &per); err != nil {
		return 0, fmt.Errorf("read drops: %w", err)
	}
	var sum uint64
	for _, v := range per {
		sum += v
	}
	return sum, nil
}

// Close detaches and frees the programs and maps.
func (d *Driver) Close() error {
	d.detach()
	d.progs.close()
	d.maps.close()
	return nil
}

// HookStats is the kernel's accounting of one program: how often it ran and
// for how long in total. The kernel counts only while statistics are
// enabled (see [EnableStats]).
type HookStats struct {
	Tracepoint string
	RunCount   uint64
	RunTime    time.Duration
}

// Stats returns per-hook run counts and times of the hooks attached last.
func (d *Driver) Stats() ([]HookStats, error) {
	out := make([]HookStats, 0, len(d.active))
	for _, h := range d.active {
		st, err := h.prog.Stats()
		if err != nil {
			return nil, fmt.Errorf("stats of %s: %w", h.tp, err)
		}
		out = append(out, HookStats{Tracepoint: h.tp, RunCount: st.RunCount, RunTime: st.Runtime})
	}
	return out, nil
}

// EnableStats turns on the kernel's BPF run-time accounting (system wide,
// it costs a little per program run) until the returned Closer is closed.
func EnableStats() (io.Closer, error) {
	c, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return nil, fmt.Errorf("enable BPF statistics: %w", err)
	}
	return c, nil
}
