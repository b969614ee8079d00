package syscall

import "github.com/sakersec/saker/sensor/fields"

// noValue lists declared fields for which the sensor has no data source
// yet (DNS names, per-thread CPU accounting, Kubernetes objects other than
// the pod, ...). They compile, so rules naming them load, and they never
// have a value: comparisons on them are false and outputs print <NA>.
var noValue = []string{
	"evt.latency", "evt.buffer", "evt.buflen", "evt.io_dir", "evt.wait_latency", "evt.pluginname",
	"evt.plugininfo", "evt.asynctype", "proc.nthreads", "proc.nchilds", "proc.fdlimit", "proc.fdusage",
	"proc.vmsize", "proc.vmrss", "proc.vmswap", "proc.pfmajor", "proc.pfminor",
	"proc.exe_ino.ctime_duration_pidns_start", "proc.pidns_init_start_ts", "thread.exectime",
	"thread.totexectime", "thread.cgroups", "thread.cgroup", "fd.proto", "fd.cproto", "fd.sproto", "fd.lproto",
	"fd.rproto", "fd.cip.name", "fd.sip.name", "fd.lip.name", "fd.rip.name", "container.mount",
	"container.mount.source", "container.mount.dest", "container.mount.mode", "container.mount.rdwr",
	"container.mount.propagation", "container.healthcheck", "container.liveness_probe",
	"container.readiness_probe", "container.cni.json", "k8s.pod.sandbox_id", "k8s.pod.full_sandbox_id",
	"k8s.pod.ip", "k8s.pod.cni.json", "k8s.rc.name", "k8s.rs.name", "k8s.svc.name", "k8s.deployment.name",
}

func init() {
	none := func(*Event, *fields.Value) bool { return false }
	for _, n := range noValue {
		if _, ok := simple[n]; !ok {
			if _, ok := builders[n]; !ok {
				simple[n] = none
			}
		}
	}
	fileErr := func(e *Event, v *fields.Value) bool {
		return u64(b2u(e.Ev.Failed() && category(e.Ev.Type) == "file"), v)
	}
	netErr := func(e *Event, v *fields.Value) bool {
		return u64(b2u(e.Ev.Failed() && category(e.Ev.Type) == "net"), v)
	}
	simple["evt.count.error.file"] = fileErr
	simple["evt.count.error.net"] = netErr
	simple["evt.count.error.memory"] = func(e *Event, v *fields.Value) bool { return u64(0, v) }
	simple["evt.count.error.other"] = func(e *Event, v *fields.Value) bool {
		c := category(e.Ev.Type)
		return u64(b2u(e.Ev.Failed() && c != "file" && c != "net"), v)
	}
}
