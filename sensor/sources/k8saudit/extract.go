package k8saudit

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/sources/k8saudit/internal/jsontree"
)

// ErrNoExtractor means a declared k8s_audit field has no extraction here;
// it wraps into errors naming the field.
var ErrNoExtractor = errors.New("no extractor for field")

// Source returns the k8s_audit source: the declared fields of
// [fields.K8sAudit] with this package's extraction attached.
func Source() *fields.Source {
	return fields.K8sAudit().WithExtractors(Extractors{})
}

// Extractors compiles ka.* and jevt.* field references into extractors
// over [*Event]. The zero value is ready to use.
type Extractors struct{}

// NewExtractor implements [fields.ExtractorFactory].
func (Extractors) NewExtractor(ref fields.Ref) (fields.Extractor, error) {
	b, ok := builders[ref.Field.Name]
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrNoExtractor, ref)
	}
	return b(ref)
}

type builder func(ref fields.Ref) (fields.Extractor, error)

// getter reads one JSON value from an event.
type getter func(e *Event) jsontree.Value

// lister appends the values of a multi-valued field to dst.
type lister func(e *Event, idx int, dst []string) []string

// noIndex is passed to a lister when the reference has no index argument.
const noIndex = -1

func asEvent(evt fields.Event) *Event {
	e, _ := evt.(*Event)
	return e
}

// scalar extracts the text of one JSON value (a string's contents, the
// JSON text of anything else), as the k8saudit plugin does.
func scalar(get getter) builder {
	return func(ref fields.Ref) (fields.Extractor, error) {
		list := ref.Multi() == fields.List
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			e := asEvent(evt)
			if e == nil {
				return false
			}
			val := get(e)
			if !val.Exists() {
				return false
			}
			if list {
				v.List = append(v.List[:0], val.Text())
			} else {
				v.Str = val.Text()
			}
			return true
		}), nil
	}
}

// multi extracts a list. An index argument selects one element of the
// underlying array (a container, a rule, ...). When the reference is
// single-valued the first element is the value. An empty list has no value,
// so comparisons on it are false.
func multi(l lister) builder {
	return func(ref fields.Ref) (fields.Extractor, error) {
		idx := noIndex
		if ref.HasArg {
			n, err := strconv.Atoi(ref.Arg)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: %s wants a non-negative index, got %q", fields.ErrBadArg, ref.Field.Name, ref.Arg)
			}
			idx = n
		}
		list := ref.Multi() == fields.List
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			e := asEvent(evt)
			if e == nil {
				return false
			}
			v.List = l(e, idx, v.List[:0])
			if len(v.List) == 0 {
				return false
			}
			if !list {
				v.Str = v.List[0]
			}
			return true
		}), nil
	}
}

// arrayTexts lists the texts of the elements of an array value.
func arrayTexts(get getter) lister {
	return func(e *Event, idx int, dst []string) []string {
		arr := get(e)
		if arr.Kind() != jsontree.Array {
			return dst
		}
		i := 0
		for c := arr.First(); c.Exists(); c = c.Next() {
			if idx == noIndex || idx == i {
				dst = append(dst, c.Text())
			}
			i++
		}
		return dst
	}
}

// elements calls fn for each element of arr, or only element idx.
func elements(arr jsontree.Value, idx int, fn func(c jsontree.Value)) {
	if arr.Kind() != jsontree.Array {
		return
	}
	if idx != noIndex {
		if c := arr.Index(idx); c.Exists() {
			fn(c)
		}
		return
	}
	for c := arr.First(); c.Exists(); c = c.Next() {
		fn(c)
	}
}

// each lists, for every element of the array at get, the value at keys
// (skipping elements without it). With flatten, array values contribute
// their elements.
func each(get getter, flatten bool, keys ...string) lister {
	return func(e *Event, idx int, dst []string) []string {
		elements(get(e), idx, func(c jsontree.Value) {
			val := c.Path(keys...)
			switch {
			case !val.Exists():
			case flatten && val.Kind() == jsontree.Array:
				for x := val.First(); x.Exists(); x = x.Next() {
					dst = append(dst, x.Text())
				}
			default:
				dst = append(dst, val.Text())
			}
		})
		return dst
	}
}

func top(f func(e *Event) jsontree.Value, keys ...string) getter {
	return func(e *Event) jsontree.Value { return f(e).Path(keys...) }
}

func reqObj(e *Event) jsontree.Value  { return e.requestObject }
func objRef(e *Event) jsontree.Value  { return e.objectRef }
func podSpec(e *Event) jsontree.Value { return e.requestObject.Get("spec") }

// ImageRepository strips the tag and digest from an image reference. The
// k8saudit plugin cuts at the first ':', which breaks registries with a
// port (registry:5000/app:1 → "registry"); a ':' counts as a tag separator
// here only after the last '/'.
func ImageRepository(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i >= 0 && i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

// containerFields adds the per-container fields of one container list
// (containers, initContainers, ephemeralContainers) under prefix.
func containerFields(m map[string]builder, prefix, key string) {
	arr := top(podSpec, key)
	m[prefix+".image"] = multi(each(arr, false, "image"))
	m[prefix+".image.repository"] = multi(func(e *Event, idx int, dst []string) []string {
		elements(arr(e), idx, func(c jsontree.Value) {
			if img := c.Get("image"); img.Exists() {
				dst = append(dst, ImageRepository(img.Text()))
			}
		})
		return dst
	})
	m[prefix+".name"] = multi(each(arr, false, "name"))
	m[prefix+".args"] = multi(each(arr, true, "args"))
	m[prefix+".command"] = multi(each(arr, true, "command"))
	m[prefix+".privileged"] = multi(each(arr, false, "securityContext", "privileged"))
	m[prefix+".allow_privilege_escalation"] = multi(each(arr, false, "securityContext", "allowPrivilegeEscalation"))
	m[prefix+".read_only_fs"] = multi(each(arr, false, "securityContext", "readOnlyRootFilesystem"))
	m[prefix+".run_as_user"] = multi(each(arr, false, "securityContext", "runAsUser"))
	m[prefix+".run_as_group"] = multi(each(arr, false, "securityContext", "runAsGroup"))
	m[prefix+".proc_mount"] = multi(each(arr, false, "securityContext", "procMount"))
	m[prefix+".add_capabilities"] = multi(each(arr, true, "securityContext", "capabilities", "add"))
	m[prefix+".eff_run_as_user"] = multi(effective(arr, "runAsUser"))
	m[prefix+".eff_run_as_group"] = multi(effective(arr, "runAsGroup"))
	m[prefix+".host_port"] = multi(func(e *Event, idx int, dst []string) []string {
		elements(arr(e), idx, func(c jsontree.Value) {
			for p := c.Get("ports").First(); p.Exists(); p = p.Next() {
				if hp := p.Get("hostPort"); hp.Exists() {
					dst = append(dst, hp.Text())
				} else if cp := p.Get("containerPort"); cp.Exists() {
					// With hostNetwork the container port is the host port.
					dst = append(dst, cp.Text())
				}
			}
		})
		return dst
	})
}

// effective lists the id each container starts with: its own security
// context's, else the pod's, else 0 (root).
func effective(arr getter, key string) lister {
	return func(e *Event, idx int, dst []string) []string {
		def := podSpec(e).Path("securityContext", key)
		elements(arr(e), idx, func(c jsontree.Value) {
			switch v := c.Path("securityContext", key); {
			case v.Exists():
				dst = append(dst, v.Text())
			case def.Exists():
				dst = append(dst, def.Text())
			default:
				dst = append(dst, "0")
			}
		})
		return dst
	}
}

// boolText returns the shared "true"/"false" strings, so no allocation.
func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// keyed builds an extractor for a field that requires a key argument.
func keyed(fn func(key string) func(e *Event, v *fields.Value) bool) builder {
	return func(ref fields.Ref) (fields.Extractor, error) {
		if !ref.HasArg || ref.Arg == "" {
			return nil, fmt.Errorf("%w: %s needs an argument in brackets", fields.ErrBadArg, ref.Field.Name)
		}
		f := fn(ref.Arg)
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			e := asEvent(evt)
			return e != nil && f(e, v)
		}), nil
	}
}

// queryParam returns the first value of key in the query of uri.
func queryParam(uri, key string) (string, bool) {
	q := strings.IndexByte(uri, '?')
	if q < 0 {
		return "", false
	}
	rest := uri[q+1:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	for rest != "" {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		k, val, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			uk, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = uk
		}
		if k != key {
			continue
		}
		if strings.ContainsAny(val, "%+") {
			uv, err := url.QueryUnescape(val)
			if err != nil {
				return "", false
			}
			val = uv
		}
		return val, true
	}
	return "", false
}

var builders = map[string]builder{}

func init() {
	m := builders
	ann := func(k string) getter { return top(func(e *Event) jsontree.Value { return e.annotations }, k) }
	m["ka.auditid"] = scalar(func(e *Event) jsontree.Value { return e.auditID })
	m["ka.stage"] = scalar(func(e *Event) jsontree.Value { return e.stage })
	m["ka.auth.decision"] = scalar(ann("authorization.k8s.io/decision"))
	m["ka.auth.reason"] = scalar(ann("authorization.k8s.io/reason"))
	m["ka.auth.openshift.decision"] = scalar(ann("authentication.openshift.io/decision"))
	m["ka.auth.openshift.username"] = scalar(ann("authentication.openshift.io/username"))
	m["ka.user.name"] = scalar(func(e *Event) jsontree.Value { return e.user.Get("username") })
	m["ka.user.groups"] = multi(arrayTexts(func(e *Event) jsontree.Value { return e.user.Get("groups") }))
	m["ka.impuser.name"] = scalar(func(e *Event) jsontree.Value { return e.impUser.Get("username") })
	m["ka.verb"] = scalar(func(e *Event) jsontree.Value { return e.verb })
	m["ka.uri"] = scalar(func(e *Event) jsontree.Value { return e.uri })
	m["ka.uri.param"] = keyed(func(key string) func(*Event, *fields.Value) bool {
		return func(e *Event, v *fields.Value) bool {
			s, ok := queryParam(e.uri.Str(), key)
			v.Str = s
			return ok
		}
	})
	m["ka.target.name"] = scalar(top(objRef, "name"))
	m["ka.target.namespace"] = scalar(top(objRef, "namespace"))
	m["ka.target.resource"] = scalar(top(objRef, "resource"))
	m["ka.target.subresource"] = scalar(top(objRef, "subresource"))
	m["ka.target.pod.name"] = scalar(func(e *Event) jsontree.Value {
		if e.objectRef.Get("resource").Str() != "pods" {
			return jsontree.Value{}
		}
		return e.objectRef.Get("name")
	})
	subjects := top(reqObj, "subjects")
	m["ka.req.binding.subjects"] = func(ref fields.Ref) (fields.Extractor, error) {
		if ref.Multi() == fields.List {
			return multi(arrayTexts(subjects))(ref)
		}
		return scalar(subjects)(ref) // the subjects array as JSON text
	}
	subjectNames := func(kind string, withNS bool) builder {
		return multi(func(e *Event, idx int, dst []string) []string {
			elements(subjects(e), idx, func(c jsontree.Value) {
				if c.Get("kind").Str() != kind {
					return
				}
				if withNS {
					// Joining allocates; this field is rare and output-only in practice.
					dst = append(dst, c.Get("namespace").Text()+":"+c.Get("name").Text())
					return
				}
				dst = append(dst, c.Get("name").Text())
			})
			return dst
		})
	}
	m["ka.req.binding.subjects.user_names"] = subjectNames("User", false)
	m["ka.req.binding.subjects.serviceaccount_names"] = subjectNames("ServiceAccount", false)
	m["ka.req.binding.subjects.serviceaccount_ns_names"] = subjectNames("ServiceAccount", true)
	m["ka.req.binding.subjects.group_names"] = subjectNames("Group", false)
	m["ka.req.binding.role"] = scalar(top(reqObj, "roleRef", "name"))
	m["ka.req.binding.subject.has_name"] = keyed(func(name string) func(*Event, *fields.Value) bool {
		return func(e *Event, v *fields.Value) bool {
			s := subjects(e)
			if s.Kind() != jsontree.Array {
				return false
			}
			found := false
			for c := s.First(); c.Exists(); c = c.Next() {
				found = found || c.Get("name").Str() == name
			}
			v.Str = boolText(found)
			return true
		}
	})
	m["ka.req.configmap.name"] = scalar(top(objRef, "name"))
	m["ka.req.configmap.obj"] = scalar(top(reqObj, "data"))

	containerFields(m, "ka.req.pod.containers", "containers")
	containerFields(m, "ka.req.pod.initContainers", "initContainers")
	containerFields(m, "ka.req.pod.ephemeralContainers", "ephemeralContainers")
	// Deprecated single-container forms: the first container (or the one
	// an index argument names).
	m["ka.req.container.image"] = firstOf(m["ka.req.pod.containers.image"])
	m["ka.req.container.image.repository"] = firstOf(m["ka.req.pod.containers.image.repository"])
	m["ka.req.container.privileged"] = func(ref fields.Ref) (fields.Extractor, error) {
		arr := top(podSpec, "containers")
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			e := asEvent(evt)
			if e == nil || arr(e).Kind() != jsontree.Array {
				return false
			}
			any := false
			elements(arr(e), noIndex, func(c jsontree.Value) {
				any = any || c.Path("securityContext", "privileged").Bool()
			})
			v.Str = boolText(any)
			if ref.Multi() == fields.List {
				v.List = append(v.List[:0], v.Str)
			}
			return true
		}), nil
	}
	m["ka.req.pod.host_ipc"] = scalar(top(podSpec, "hostIPC"))
	m["ka.req.pod.host_network"] = scalar(top(podSpec, "hostNetwork"))
	m["ka.req.container.host_network"] = func(ref fields.Ref) (fields.Extractor, error) {
		ref.HasArg, ref.Arg = false, "" // the deprecated form accepted and ignored an index
		return scalar(top(podSpec, "hostNetwork"))(ref)
	}
	m["ka.req.pod.host_pid"] = scalar(top(podSpec, "hostPID"))
	m["ka.req.pod.run_as_user"] = scalar(top(podSpec, "securityContext", "runAsUser"))
	m["ka.req.pod.run_as_group"] = scalar(top(podSpec, "securityContext", "runAsGroup"))
	m["ka.req.pod.fs_group"] = scalar(top(podSpec, "securityContext", "fsGroup"))
	m["ka.req.pod.supplemental_groups"] = multi(arrayTexts(top(podSpec, "securityContext", "supplementalGroups")))

	rules := top(reqObj, "rules")
	m["ka.req.role.rules"] = multi(arrayTexts(rules))
	m["ka.req.role.rules.apiGroups"] = multi(each(rules, true, "apiGroups"))
	m["ka.req.role.rules.nonResourceURLs"] = multi(each(rules, true, "nonResourceURLs"))
	m["ka.req.role.rules.verbs"] = multi(each(rules, true, "verbs"))
	m["ka.req.role.rules.resources"] = multi(each(rules, true, "resources"))

	m["ka.req.service.type"] = scalar(top(podSpec, "type"))
	m["ka.req.service.ports"] = multi(arrayTexts(top(podSpec, "ports")))

	volumes := top(podSpec, "volumes")
	m["ka.req.pod.volumes.hostpath"] = multi(each(volumes, false, "hostPath", "path"))
	m["ka.req.pod.volumes.flexvolume_driver"] = multi(each(volumes, false, "flexVolume", "driver"))
	m["ka.req.pod.volumes.volume_type"] = multi(func(e *Event, idx int, dst []string) []string {
		elements(volumes(e), idx, func(c jsontree.Value) {
			for k := c.First(); k.Exists(); k = k.Next() {
				if k.Key() != "name" {
					dst = append(dst, k.Key())
				}
			}
		})
		return dst
	})
	m["ka.req.volume.hostpath"] = keyed(func(path string) func(*Event, *fields.Value) bool {
		prefix, isPrefix := strings.CutSuffix(path, "*")
		return func(e *Event, v *fields.Value) bool {
			vols := volumes(e)
			if vols.Kind() != jsontree.Array {
				return false
			}
			found := false
			for c := vols.First(); c.Exists(); c = c.Next() {
				p := c.Path("hostPath", "path")
				if p.Exists() && (p.Str() == path || isPrefix && strings.HasPrefix(p.Str(), prefix)) {
					found = true
				}
			}
			v.Str = boolText(found)
			return true
		}
	})

	m["ka.resp.name"] = scalar(func(e *Event) jsontree.Value { return e.responseObject.Path("metadata", "name") })
	m["ka.response.code"] = scalar(func(e *Event) jsontree.Value { return e.responseStatus.Get("code") })
	m["ka.response.reason"] = scalar(func(e *Event) jsontree.Value { return e.responseStatus.Get("reason") })
	m["ka.useragent"] = scalar(func(e *Event) jsontree.Value { return e.userAgent })
	m["ka.sourceips"] = multi(arrayTexts(func(e *Event) jsontree.Value { return e.sourceIPs }))
	m["ka.cluster.name"] = func(fields.Ref) (fields.Extractor, error) {
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			e := asEvent(evt)
			if e == nil || e.Cluster == "" {
				return false
			}
			v.Str = e.Cluster
			return true
		}), nil
	}

	// jevt.* (and json.*): the json plugin's view of the event.
	for _, p := range []string{"jevt", "json"} {
		m[p+".value"] = func(ref fields.Ref) (fields.Extractor, error) {
			ptr, err := jsontree.ParsePointer(ref.Arg)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", fields.ErrBadArg, ref, err)
			}
			return scalar(func(e *Event) jsontree.Value { return ptr.Resolve(e.root) })(ref)
		}
		m[p+".obj"] = scalar(func(e *Event) jsontree.Value { return e.root })
		m[p+".rawtime"] = func(fields.Ref) (fields.Extractor, error) {
			return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
				e := asEvent(evt)
				if e == nil {
					return false
				}
				v.Uint = uint64(e.Time.UnixNano())
				v.Str = ""
				return true
			}), nil
		}
		// The formatted times allocate; rules use them in outputs only.
		m[p+".time"] = timeText(func(t time.Time) string { return t.Local().Format("15:04:05.000000000") })
		m[p+".time.iso8601"] = timeText(func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") })
	}
}

func timeText(format func(time.Time) string) builder {
	return func(fields.Ref) (fields.Extractor, error) {
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			e := asEvent(evt)
			if e == nil {
				return false
			}
			v.Str = format(e.Time)
			return true
		}), nil
	}
}

// firstOf turns a list builder into the deprecated single-valued form.
func firstOf(b builder) builder {
	return func(ref fields.Ref) (fields.Extractor, error) {
		inner, err := b(ref)
		if err != nil {
			return nil, err
		}
		return fields.ExtractorFunc(func(evt fields.Event, v *fields.Value) bool {
			if !inner.Extract(evt, v) {
				return false
			}
			v.Str = v.List[0]
			return true
		}), nil
	}
}
