package k8saudit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sakersec/saker/internal/testutil"
	"github.com/sakersec/saker/sensor/fields"
)

// extract resolves a field as rules write it and extracts it from e. It
// returns the value (string or []string) and whether it has one.
func extract(t testing.TB, e *Event, field string) (any, bool) {
	t.Helper()
	src := Source()
	ref, err := src.Resolve(field)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", field, err)
	}
	x, err := src.Extractors().NewExtractor(ref)
	if err != nil {
		t.Fatalf("NewExtractor(%s): %v", field, err)
	}
	var v fields.Value
	if !x.Extract(e, &v) {
		return nil, false
	}
	if ref.Multi() == fields.List {
		return append([]string(nil), v.List...), true
	}
	if ref.Field.Type == fields.TypeAbsTime {
		return v.Uint, true
	}
	return v.Str, true
}

func decodeOne(t testing.TB, body string) *Event {
	t.Helper()
	r, err := Decode([]byte(body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(r.Invalid) > 0 || len(r.Events) != 1 {
		t.Fatalf("Decode: %d events, invalid %v; want one event", len(r.Events), r.Invalid)
	}
	return r.Events[0]
}

func TestEveryDeclaredFieldHasAnExtractor(t *testing.T) {
	src := Source()
	for _, f := range src.Fields() {
		text := f.Name
		switch {
		case f.ArgRequired && f.Name == "jevt.value" || f.Name == "json.value":
			text += "[/stage]"
		case f.ArgRequired:
			text += "[x]"
		}
		ref, err := src.Resolve(text)
		if err != nil {
			t.Errorf("Resolve(%s): %v", text, err)
			continue
		}
		if _, err := src.Extractors().NewExtractor(ref); err != nil {
			t.Errorf("field %s: %v", f.Name, err)
		}
	}
}

const pod = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","auditID":"a-1",
 "stageTimestamp":"2026-11-23T10:00:00.123456Z","verb":"create",
 "requestURI":"/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&container=c%201",
 "user":{"username":"alice","groups":["dev","system:authenticated"]},
 "impersonatedUser":{"username":"bob"},
 "userAgent":"kubectl/v1.31","sourceIPs":["10.0.0.1","::1"],
 "annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC"},
 "objectRef":{"resource":"pods","namespace":"default","name":"p","subresource":"exec"},
 "responseStatus":{"code":201,"reason":"Created"},
 "responseObject":{"metadata":{"name":"p-xyz"}},
 "requestObject":{"kind":"Pod","spec":{
   "hostNetwork":true,"hostPID":false,
   "securityContext":{"runAsUser":1000,"supplementalGroups":[5,6]},
   "containers":[
     {"name":"a","image":"nginx:1.27","command":["sh","-c"],"ports":[{"containerPort":80},{"containerPort":81,"hostPort":8081}]},
     {"name":"b","image":"registry:5000/team/app@sha256:abc","securityContext":{"privileged":true,"runAsUser":0,"capabilities":{"add":["NET_ADMIN","SYS_TIME"]}}}],
   "initContainers":[{"name":"i","image":"busybox","securityContext":{"privileged":false}}],
   "volumes":[{"name":"v1","hostPath":{"path":"/etc"}},{"name":"v2","emptyDir":{}},{"name":"v3","flexVolume":{"driver":"x/y"}}]}}}`

func TestExtractPod(t *testing.T) {
	e := decodeOne(t, pod)
	for field, want := range map[string]any{
		"ka.auditid":                             "a-1",
		"ka.stage":                               "ResponseComplete",
		"ka.verb":                                "create",
		"ka.user.name":                           "alice",
		"ka.user.groups":                         []string{"dev", "system:authenticated"},
		"ka.impuser.name":                        "bob",
		"ka.useragent":                           "kubectl/v1.31",
		"ka.sourceips":                           []string{"10.0.0.1", "::1"},
		"ka.sourceips[1]":                        []string{"::1"},
		"ka.auth.decision":                       "allow",
		"ka.auth.reason":                         "RBAC",
		"ka.uri.param[command]":                  "sh",
		"ka.uri.param[container]":                "c 1",
		"ka.target.resource":                     "pods",
		"ka.target.subresource":                  "exec",
		"ka.target.name":                         "p",
		"ka.target.pod.name":                     "p",
		"ka.target.namespace":                    "default",
		"ka.response.code":                       "201",
		"ka.response.reason":                     "Created",
		"ka.resp.name":                           "p-xyz",
		"ka.req.pod.host_network":                "true",
		"ka.req.container.host_network":          "true",
		"ka.req.pod.host_pid":                    "false",
		"ka.req.pod.containers.image":            []string{"nginx:1.27", "registry:5000/team/app@sha256:abc"},
		"ka.req.pod.containers.image[1]":         []string{"registry:5000/team/app@sha256:abc"},
		"ka.req.pod.containers.image.repository": []string{"nginx", "registry:5000/team/app"},
		"ka.req.container.image":                 "nginx:1.27",
		"ka.req.container.image.repository":      "nginx",
		"ka.req.pod.containers.privileged":       []string{"true"},
		"ka.req.container.privileged":            "true",
		"ka.req.pod.initContainers.privileged":   []string{"false"},
		"ka.req.pod.initContainers.image":        []string{"busybox"},
		"ka.req.pod.containers.host_port":        []string{"80", "8081"},
		"ka.req.pod.containers.add_capabilities": []string{"NET_ADMIN", "SYS_TIME"},
		"ka.req.pod.containers.run_as_user":      []string{"0"},
		"ka.req.pod.containers.eff_run_as_user":  []string{"1000", "0"},
		"ka.req.pod.containers.eff_run_as_group": []string{"0", "0"},
		"ka.req.pod.run_as_user":                 "1000",
		"ka.req.pod.supplemental_groups":         []string{"5", "6"},
		"ka.req.pod.volumes.hostpath":            []string{"/etc"},
		"ka.req.pod.volumes.flexvolume_driver":   []string{"x/y"},
		"ka.req.pod.volumes.volume_type":         []string{"hostPath", "emptyDir", "flexVolume"},
		"ka.req.volume.hostpath[/etc]":           "true",
		"ka.req.volume.hostpath[/e*]":            "true",
		"ka.req.volume.hostpath[/proc]":          "false",
		"jevt.value[/stage]":                     "ResponseComplete",
		"jevt.value[/responseStatus/code]":       "201",
		"jevt.value[/requestObject/spec/containers/1/securityContext/capabilities/add]": `["NET_ADMIN","SYS_TIME"]`,
		"jevt.rawtime": uint64(e.Time.UnixNano()),
	} {
		got, ok := extract(t, e, field)
		if !ok {
			t.Errorf("%s: no value, want %v", field, want)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", field, got, want)
		}
	}
	for _, field := range []string{
		"ka.req.pod.host_ipc", "ka.req.pod.ephemeralContainers.image", "ka.req.pod.containers.image[7]",
		"ka.uri.param[nope]", "jevt.value[/requestObject/spec/tls]", "ka.req.binding.role",
		"ka.req.role.rules", "ka.req.configmap.obj", "ka.cluster.name",
	} {
		if got, ok := extract(t, e, field); ok {
			t.Errorf("%s = %#v, want no value", field, got)
		}
	}
	obj, _ := extract(t, e, "jevt.obj")
	if s := obj.(string); strings.ContainsAny(s, "\n ") && !strings.Contains(s, `"c 1"`) || !strings.HasPrefix(s, `{"kind":"Event"`) {
		t.Errorf("jevt.obj is not the compact event: %.80s", s)
	}
}

func TestExtractRBACAndConfigmap(t *testing.T) {
	e := decodeOne(t, `{"stageTimestamp":"2026-11-23T10:00:00Z","objectRef":{"resource":"clusterrolebindings","name":"b"},
	 "requestObject":{"roleRef":{"name":"cluster-admin"},"subjects":[{"kind":"User","name":"u"},{"kind":"ServiceAccount","name":"sa","namespace":"ns"}],
	 "rules":[{"verbs":["get","*"],"resources":["pods/exec"]},{"nonResourceURLs":["/x"],"verbs":["get"]}],
	 "data":{"password":"x"}}}`)
	for field, want := range map[string]any{
		"ka.req.binding.role":                 "cluster-admin",
		"ka.req.binding.subjects":             `[{"kind":"User","name":"u"},{"kind":"ServiceAccount","name":"sa","namespace":"ns"}]`,
		"ka.req.binding.subject.has_name[sa]": "true",
		"ka.req.binding.subject.has_name[zz]": "false",
		"ka.req.role.rules.verbs":             []string{"get", "*", "get"},
		"ka.req.role.rules.resources":         []string{"pods/exec"},
		"ka.req.role.rules.nonResourceURLs":   []string{"/x"},
		"ka.req.role.rules":                   []string{`{"verbs":["get","*"],"resources":["pods/exec"]}`, `{"nonResourceURLs":["/x"],"verbs":["get"]}`},
		"ka.req.configmap.obj":                `{"password":"x"}`,
		"ka.req.configmap.name":               "b",
	} {
		got, ok := extract(t, e, field)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v (ok=%v), want %#v", field, got, ok, want)
		}
	}
	// Newer plugin fields, extracted here though not (yet) declared.
	for name, want := range map[string][]string{
		"ka.req.binding.subjects.user_names":              {"u"},
		"ka.req.binding.subjects.serviceaccount_names":    {"sa"},
		"ka.req.binding.subjects.serviceaccount_ns_names": {"ns:sa"},
	} {
		f := fields.Field{Name: name, Multi: fields.List}
		x, err := Extractors{}.NewExtractor(fields.Ref{Field: &f})
		if err != nil {
			t.Fatal(err)
		}
		var v fields.Value
		if !x.Extract(e, &v) || !reflect.DeepEqual(v.List, want) {
			t.Errorf("%s = %#v, want %#v", name, v.List, want)
		}
	}
}

// Extraction runs for every rule on every event: it must not allocate.
// (Compact input: pretty-printed JSON costs one allocation per jevt.obj.)
func TestExtractDoesNotAllocate(t *testing.T) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(pod)); err != nil {
		t.Fatal(err)
	}
	e := decodeOne(t, buf.String())
	src := Source()
	var xs []fields.Extractor
	for _, f := range []string{"ka.user.name", "ka.req.pod.containers.image.repository", "ka.req.pod.containers.privileged",
		"ka.req.pod.volumes.hostpath", "jevt.value[/stage]", "ka.response.code", "ka.uri.param[command]", "ka.req.role.rules.verbs",
		"ka.req.pod.initContainers.privileged", "ka.target.subresource", "jevt.obj", "jevt.rawtime"} {
		ref, err := src.Resolve(f)
		if err != nil {
			t.Fatal(err)
		}
		x, err := src.Extractors().NewExtractor(ref)
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	vals := make([]fields.Value, len(xs))
	for i, x := range xs { // warm the list buffers
		x.Extract(e, &vals[i])
	}
	n := testing.AllocsPerRun(200, func() {
		for i, x := range xs {
			x.Extract(e, &vals[i])
		}
	})
	if n != 0 {
		t.Errorf("extraction allocates %v times per event, want 0", n)
	}
}

func TestImageRepository(t *testing.T) {
	for in, want := range map[string]string{
		"nginx": "nginx", "nginx:1.2": "nginx", "docker.io/falcosecurity/falco:0.39": "docker.io/falcosecurity/falco",
		"registry:5000/app": "registry:5000/app", "registry:5000/app:1@sha256:ab": "registry:5000/app", "app@sha256:ab": "app",
	} {
		if got := ImageRepository(in); got != want {
			t.Errorf("ImageRepository(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeUpstreamEvents(t *testing.T) {
	dir := testutil.Upstream(t, "k8s_audit_events")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatalf("no event files in %s", dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Decode(b)
		if err != nil || len(r.Invalid) > 0 || len(r.Events) == 0 {
			t.Errorf("%s: err=%v invalid=%v events=%d", filepath.Base(f), err, r.Invalid, len(r.Events))
		}
	}
}

func TestDecodeShapes(t *testing.T) {
	ev := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stageTimestamp":"2026-11-23T10:00:00Z"}`
	one := strings.Replace(ev, "%s", "1", 1)
	two := strings.Replace(ev, "%s", "2", 1)
	bare := `{"auditID":"3","stageTimestamp":"2026-11-23T10:00:00.5Z"}`
	v1beta1 := `{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","auditID":"4","stageTimestamp":"2026-11-23T10:00:00Z"}`
	list := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + one + `,` + two + `]}`
	for name, tc := range map[string]struct {
		body    string
		ids     []string
		invalid int
	}{
		"event":           {one, []string{"1"}, 0},
		"no apiVersion":   {bare, []string{"3"}, 0},
		"v1beta1":         {v1beta1, []string{"4"}, 0},
		"EventList":       {list, []string{"1", "2"}, 0},
		"array":           {`[` + one + `,` + bare + `]`, []string{"1", "3"}, 0},
		"array of lists":  {`[` + list + `,` + v1beta1 + `]`, []string{"1", "2", "4"}, 0},
		"empty list":      {`{"kind":"EventList","items":[]}`, nil, 0},
		"empty array":     {`[]`, nil, 0},
		"no timestamp":    {`[{"auditID":"x"},` + one + `]`, []string{"1"}, 1},
		"bad timestamp":   {`{"auditID":"x","stageTimestamp":"yesterday"}`, nil, 1},
		"wrong kind":      {`{"kind":"Pod","stageTimestamp":"2026-11-23T10:00:00Z"}`, nil, 1},
		"wrong api":       {`{"apiVersion":"v1","stageTimestamp":"2026-11-23T10:00:00Z"}`, nil, 1},
		"scalar in array": {`[1,` + one + `]`, []string{"1"}, 1},
	} {
		r, err := Decode([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var ids []string
		for _, e := range r.Events {
			ids = append(ids, e.AuditID())
		}
		if !reflect.DeepEqual(ids, tc.ids) || len(r.Invalid) != tc.invalid {
			t.Errorf("%s: events %v invalid %v, want %v and %d invalid", name, ids, r.Invalid, tc.ids, tc.invalid)
		}
		for _, err := range r.Invalid {
			if !errors.Is(err, ErrInvalidEvent) {
				t.Errorf("%s: %v does not wrap ErrInvalidEvent", name, err)
			}
		}
	}
	for _, body := range []string{``, `{`, `"str"`, `42`, `{"a":}`, `[{"kind":"Event"},]`} {
		if _, err := Decode([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%q) err = %v, want ErrMalformed", body, err)
		}
	}
}

func FuzzDecodeAudit(f *testing.F) {
	f.Add([]byte(pod))
	f.Add([]byte(`{"kind":"EventList","items":[{"stageTimestamp":"2026-11-23T10:00:00Z"}]}`))
	f.Add([]byte(`[{"stageTimestamp":"2026-11-23T10:00:00Z","requestObject":{"spec":{"containers":[{"image":"a:b"}]}}}]`))
	f.Add([]byte(`{"requestURI":"/x?a=%zz&b=+","stageTimestamp":"2026-11-23T10:00:00Z"}`))
	src := Source()
	var xs []fields.Extractor
	for _, fl := range src.Fields() {
		text := fl.Name
		if fl.ArgRequired {
			text += "[/requestObject/spec/containers/0]"
		}
		ref, err := src.Resolve(text)
		if err != nil {
			f.Fatal(err)
		}
		x, err := src.Extractors().NewExtractor(ref)
		if err != nil {
			f.Fatal(err)
		}
		xs = append(xs, x)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var v fields.Value
		for _, e := range r.Events {
			if e.Time.IsZero() {
				t.Fatal("event without time")
			}
			for _, x := range xs {
				x.Extract(e, &v) // must not panic
			}
		}
	})
}
