package rules

import (
	"sort"

	"gopkg.in/yaml.v3"
)

// srcFile is one loaded rules file, kept to map offsets in conditions back
// to file positions.
type srcFile struct {
	name  string
	data  []byte
	lines []int // byte offset of the start of each line
}

func newSrcFile(name string, data []byte) *srcFile {
	f := &srcFile{name: name, data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	return f
}

// offset returns the byte offset of a 1-based line and column.
func (f *srcFile) offset(line, col int) int {
	if line < 1 || line > len(f.lines) {
		return -1
	}
	o := f.lines[line-1] + col - 1
	if o > len(f.data) {
		return len(f.data)
	}
	return o
}

// lineCol returns the 1-based line and column of a byte offset.
func (f *srcFile) lineCol(off int) (int, int) {
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - f.lines[i] + 1
}

// pos is a position in a rules file.
type pos struct {
	file      *srcFile
	line, col int
}

func nodePos(f *srcFile, n *yaml.Node) pos {
	if n == nil {
		return pos{file: f}
	}
	return pos{file: f, line: n.Line, col: n.Column}
}

func (p pos) diag(kind, item, msg string) Diagnostic {
	d := Diagnostic{Line: p.line, Col: p.col, Kind: kind, Item: item, Message: msg}
	if p.file != nil {
		d.File = p.file.name
	}
	return d
}

// span is one piece of a condition or output text and the YAML scalar it
// came from; appends concatenate spans.
type span struct {
	off  int // offset of the piece in the combined text
	file *srcFile
	node *yaml.Node
}

// text is a condition or output assembled from one or more YAML scalars.
type text struct {
	s     string
	spans []span
	// fixed, when set, is the position of every offset: texts the loader
	// synthesises (exceptions) locate at their definition.
	fixed *pos
}

func newText(f *srcFile, n *yaml.Node) text {
	return text{s: n.Value, spans: []span{{file: f, node: n}}}
}

// appendText joins two texts with a space, as Falco appends conditions.
func (t text) appendText(o text) text {
	if t.s == "" {
		return o
	}
	out := text{s: t.s + " " + o.s, spans: append([]span(nil), t.spans...)}
	for _, sp := range o.spans {
		sp.off += len(t.s) + 1
		out.spans = append(out.spans, sp)
	}
	return out
}

// locate maps a byte offset of the text to its file position. It follows
// the scalar's characters through the source, skipping the whitespace YAML
// folding changes; if the source differs (escapes), it falls back to the
// scalar's own position.
func (t text) locate(off int) pos {
	if t.fixed != nil {
		return *t.fixed
	}
	if len(t.spans) == 0 {
		return pos{}
	}
	sp := t.spans[0]
	for _, s := range t.spans[1:] {
		if s.off <= off {
			sp = s
		}
	}
	fallback := nodePos(sp.file, sp.node)
	if sp.file == nil || sp.node == nil {
		return fallback
	}
	local := off - sp.off
	val := sp.node.Value
	if local < 0 || local > len(val) {
		return fallback
	}
	src := sp.file.data
	j := sp.file.offset(sp.node.Line, sp.node.Column)
	if j < 0 {
		return fallback
	}
	switch sp.node.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		for j < len(src) && src[j] != '\n' {
			j++
		}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		j++
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	skip := func() {
		for j < len(src) && isSpace(src[j]) {
			j++
		}
	}
	for i := 0; i < local; i++ {
		c := val[i]
		if isSpace(c) {
			continue
		}
		skip()
		if j >= len(src) || src[j] != c {
			return fallback
		}
		j++
	}
	if local < len(val) && !isSpace(val[local]) {
		skip()
	}
	line, col := sp.file.lineCol(j)
	return pos{file: sp.file, line: line, col: col}
}
