package state

// appendClean appends the lexically cleaned absolute form of dir joined
// with raw (raw alone when absolute), as path.Clean(path.Join(dir, raw))
// would, without allocating when dst has room.
func appendClean(dst []byte, dir string, raw []byte) []byte {
	start := len(dst)
	dst = append(dst, '/')
	// Feed the components of dir (unless raw is absolute), then raw.
	addComponents := func(p []byte) {
		for i := 0; i < len(p); {
			for i < len(p) && p[i] == '/' {
				i++
			}
			j := i
			for j < len(p) && p[j] != '/' {
				j++
			}
			comp := p[i:j]
			i = j
			switch {
			case len(comp) == 0, len(comp) == 1 && comp[0] == '.':
			case len(comp) == 2 && comp[0] == '.' && comp[1] == '.':
				// Drop the last component, never above the root.
				k := len(dst)
				for k > start+1 && dst[k-1] != '/' {
					k--
				}
				if k > start+1 {
					k-- // the slash before it
				}
				dst = dst[:max(k, start+1)]
			default:
				if len(dst) > start+1 {
					dst = append(dst, '/')
				}
				dst = append(dst, comp...)
			}
		}
	}
	if len(raw) == 0 || raw[0] != '/' {
		addComponents([]byte(dir))
	}
	addComponents(raw)
	return dst
}

// isClean reports whether p is an absolute path that appendClean leaves
// as it is (no empty, "." or ".." component, no trailing slash), which
// one pass over it tells without building the cleaned copy.
func isClean(p []byte) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	if len(p) == 1 {
		return true
	}
	start := 1 // of the current component
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		switch n := i - start; {
		case n == 0:
			return false // "//" or a trailing slash
		case n == 1 && p[start] == '.', n == 2 && p[start] == '.' && p[start+1] == '.':
			return false
		}
		start = i + 1
	}
	return true
}
