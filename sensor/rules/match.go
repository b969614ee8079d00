package rules

import "unicode/utf8"

// String matching helpers for the operators. All work on ASCII case
// folding like Falco's, and none allocates.

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// containsFold reports whether s contains sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lowerASCII(s[i+j]) == lowerASCII(sub[j]) {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

// pathPrefix reports whether path equals prefix or lies under it, comparing
// whole components: /etc matches /etc and /etc/passwd, not /etcd.
func pathPrefix(path, prefix string) bool {
	for len(prefix) > 1 && prefix[len(prefix)-1] == '/' {
		prefix = prefix[:len(prefix)-1]
	}
	if prefix == "/" {
		return len(path) > 0 && path[0] == '/'
	}
	if len(path) < len(prefix) || path[:len(prefix)] != prefix {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/'
}

// glob matches s against an fnmatch pattern without FNM_PATHNAME: '*'
// matches any run of characters including '/', '?' one character, [...] a
// class ([!...] or [^...] negated, a-z ranges), and '\' escapes.
func glob(pattern, s string, fold bool) bool {
	var starP, starS = -1, -1
	p, i := 0, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starS = p, i
				p++
				continue
			case '?':
				_, w := utf8.DecodeRuneInString(s[i:])
				p++
				i += w
				continue
			case '[':
				if ok, np, matched := matchClass(pattern, p, s[i], fold); ok {
					if matched {
						p = np
						i++
						continue
					}
				} else if eqByte(c, s[i], fold) { // unterminated class: literal [
					p++
					i++
					continue
				}
			case '\\':
				if p+1 < len(pattern) && eqByte(pattern[p+1], s[i], fold) {
					p += 2
					i++
					continue
				}
			default:
				if eqByte(c, s[i], fold) {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		p, i = starP+1, starS
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func eqByte(a, b byte, fold bool) bool {
	if fold {
		return lowerASCII(a) == lowerASCII(b)
	}
	return a == b
}

// matchClass matches c against the class starting at pattern[p] == '['.
// ok is false when the class is not terminated.
func matchClass(pattern string, p int, c byte, fold bool) (ok bool, next int, matched bool) {
	i := p + 1
	neg := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		neg = true
		i++
	}
	first := true
	for i < len(pattern) {
		if pattern[i] == ']' && !first {
			return true, i + 1, matched != neg
		}
		first = false
		lo := pattern[i]
		if lo == '\\' && i+1 < len(pattern) {
			i++
			lo = pattern[i]
		}
		hi := lo
		if i+2 < len(pattern) && pattern[i+1] == '-' && pattern[i+2] != ']' {
			hi = pattern[i+2]
			i += 2
		}
		if (c >= lo && c <= hi) || (fold && lowerASCII(c) >= lowerASCII(lo) && lowerASCII(c) <= lowerASCII(hi)) {
			matched = true
		}
		i++
	}
	return false, 0, false
}
