package drivers

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// maxCombinedStack is the verifier's limit on the BPF stack of a whole call
// chain (program, subprograms, bpf_loop callbacks; each frame rounded up to
// 32 bytes). Kernels whose BPF JIT has private stacks (x86_64 since 6.13;
// arm64 only from patches of 2025) give large frames their own stack and
// skip it; the others (every kernel before 6.13, Debian 12's arm64 6.1)
// enforce it, so an object that loads on a new x86_64 CI host can still be
// refused there ("combined stack size of N calls is M. Too large"): see
// docs/drivers.md, arm64.
const maxCombinedStack = 512

func TestObjectStackFitsWithoutPrivateStack(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(_SakerBytes))
	if err != nil {
		t.Fatal(err)
	}
	for name, prog := range spec.Programs {
		depth, chain := combinedStack(prog.Instructions)
		t.Logf("%s: %d bytes (%s)", name, depth, strings.Join(chain, " -> "))
		if depth > maxCombinedStack {
			t.Errorf("%s: combined stack %d bytes (%s) > %d; move large locals into struct scratch",
				name, depth, strings.Join(chain, " -> "), maxCombinedStack)
		}
	}
}

// The analysis itself: it must see stack use through derived pointers and
// through bpf_loop callbacks, and round frames as the verifier does.
func TestCombinedStackAnalysis(t *testing.T) {
	insns := asm.Instructions{
		asm.StoreImm(asm.R10, -8, 0, asm.Word).WithSymbol("main"), // 8 -> 32
		asm.Call.Label("sub"),
		asm.Return(),
		asm.Mov.Reg(asm.R1, asm.R10).WithSymbol("sub"),
		asm.Add.Imm(asm.R1, -100), // a buffer passed to a helper: 100 -> 128
		asm.Instruction{OpCode: asm.LoadImmOp(asm.DWord), Dst: asm.R2, Src: asm.PseudoFunc}.WithReference("cb"),
		asm.Return(),
		asm.StoreImm(asm.R10, -40, 0, asm.Word).WithSymbol("cb"), // 40 -> 64
		asm.Return(),
	}
	depth, chain := combinedStack(insns)
	if depth != 32+128+64 || strings.Join(chain, ",") != "main,sub,cb" {
		t.Errorf("combinedStack = %d via %v, want 224 via main,sub,cb", depth, chain)
	}
}

// combinedStack returns the deepest stack of any call chain that starts at
// the first function of insns, and that chain.
func combinedStack(insns asm.Instructions) (int, []string) {
	frame := map[string]int{}      // function -> bytes below r10 it uses
	calls := map[string][]string{} // function -> functions it calls or passes as callbacks
	var fn string
	derived := map[asm.Register]int{} // registers holding r10+offset
	for _, ins := range insns {
		if s := ins.Symbol(); s != "" {
			fn = s
			clear(derived)
			frame[fn] = 0
		}
		use := func(off int) {
			if off < 0 && -off > frame[fn] {
				frame[fn] = -off
			}
		}
		switch {
		case ins.IsFunctionCall() || ins.IsLoadOfFunctionPointer():
			calls[fn] = append(calls[fn], ins.Reference())
		case ins.OpCode.Class().IsALU() && ins.OpCode.ALUOp() == asm.Mov && ins.OpCode.Source() == asm.RegSource && ins.Src == asm.R10:
			derived[ins.Dst] = 0
			continue
		case ins.OpCode.Class().IsALU() && ins.OpCode.ALUOp() == asm.Add && ins.OpCode.Source() == asm.ImmSource:
			if off, ok := derived[ins.Dst]; ok {
				derived[ins.Dst] = off + int(ins.Constant)
				use(derived[ins.Dst])
				continue
			}
		case ins.OpCode.Class().IsStore():
			if ins.Dst == asm.R10 {
				use(int(ins.Offset))
			} else if off, ok := derived[ins.Dst]; ok {
				use(off + int(ins.Offset))
			}
		case ins.OpCode.Class().IsLoad():
			if ins.Src == asm.R10 {
				use(int(ins.Offset))
			} else if off, ok := derived[ins.Src]; ok {
				use(off + int(ins.Offset))
			}
		}
		// Any other write to a register ends what it held.
		if ins.OpCode.Class().IsALU() || ins.OpCode.Class().IsLoad() {
			delete(derived, ins.Dst)
		}
		if ins.IsFunctionCall() || ins.IsBuiltinCall() {
			for r := asm.R0; r <= asm.R5; r++ {
				delete(derived, r)
			}
		}
	}
	var walk func(f string, seen map[string]bool) (int, []string)
	walk = func(f string, seen map[string]bool) (int, []string) {
		if seen[f] {
			return 0, nil // recursion is refused by the verifier anyway
		}
		seen[f] = true
		defer delete(seen, f)
		best, bestChain := 0, []string(nil)
		for _, c := range calls[f] {
			if d, ch := walk(c, seen); d > best {
				best, bestChain = d, ch
			}
		}
		own := (max(frame[f], 1) + 31) / 32 * 32
		return own + best, append([]string{f}, bestChain...)
	}
	if len(insns) == 0 {
		return 0, nil
	}
	return walk(insns[0].Symbol(), map[string]bool{})
}
