package fields

import (
	"github.com/sakersec/saker/sensor/fields"
)

// examples are hand-written conditions for the fields rules use most;
// the other fields get one built from their type.
var examples = map[string]string{
	"evt.type":                         "evt.type in (open, openat, openat2)",
	"evt.dir":                          "evt.dir = <",
	"evt.arg":                          "evt.arg.flags contains O_TRUNC",
	"evt.rawarg":                       "evt.rawarg.res < 0",
	"evt.res":                          "evt.res = SUCCESS",
	"evt.rawres":                       "evt.rawres >= 0",
	"evt.is_open_read":                 "evt.is_open_read = true",
	"evt.is_open_write":                "evt.is_open_write = true",
	"evt.args":                         "evt.args contains \"O_CREAT\"",
	"evt.type.is":                      "evt.type.is[execve] = true",
	"proc.name":                        "proc.name in (cat, less, more)",
	"proc.pname":                       "proc.pname = nginx",
	"proc.aname":                       "proc.aname[2] = sshd",
	"proc.apid":                        "proc.apid[1] = 1",
	"proc.aexe":                        "proc.aexe endswith /sshd",
	"proc.aexepath":                    "proc.aexepath = /usr/sbin/sshd",
	"proc.acmdline":                    "proc.acmdline contains \"kubectl exec\"",
	"proc.cmdline":                     "proc.cmdline contains \"curl -fsSL\"",
	"proc.args":                        "proc.args contains \"--privileged\"",
	"proc.exe":                         "proc.exe startswith /tmp/",
	"proc.exepath":                     "proc.exepath pmatch (/usr/bin, /usr/sbin)",
	"proc.env":                         "proc.env[LD_PRELOAD] exists",
	"proc.tty":                         "proc.tty != 0",
	"proc.is_exe_from_memfd":           "proc.is_exe_from_memfd = true",
	"proc.cwd":                         "proc.cwd startswith /root",
	"user.name":                        "user.name = root",
	"user.uid":                         "user.uid = 0",
	"user.loginuid":                    "user.loginuid = -1",
	"fd.name":                          "fd.name startswith /etc/",
	"fd.directory":                     "fd.directory in (/etc/sudoers.d, /root/.ssh)",
	"fd.filename":                      "fd.filename glob \"*.pem\"",
	"fd.typechar":                      "fd.typechar = f",
	"fd.type":                          "fd.type in (ipv4, ipv6)",
	"fd.sip":                           "fd.sip = 10.0.0.1",
	"fd.snet":                          "fd.snet in (\"10.0.0.0/8\", \"192.168.0.0/16\")",
	"fd.net":                           "fd.net = \"127.0.0.0/8\"",
	"fd.sport":                         "fd.sport in (22, 443)",
	"fd.l4proto":                       "fd.l4proto = tcp",
	"container.id":                     "container.id != host",
	"container.image.repository":       "container.image.repository = docker.io/library/nginx",
	"container.privileged":             "container.privileged = true",
	"k8s.ns.name":                      "k8s.ns.name = kube-system",
	"ka.verb":                          "ka.verb in (create, update, patch)",
	"ka.target.resource":               "ka.target.resource = pods",
	"ka.target.subresource":            "ka.target.subresource in (exec, attach)",
	"ka.target.namespace":              "ka.target.namespace = kube-system",
	"ka.user.name":                     "ka.user.name startswith system:serviceaccount:",
	"ka.user.groups":                   "ka.user.groups intersects (system:masters)",
	"ka.uri.param":                     "ka.uri.param[command] = sh",
	"ka.req.pod.containers.image":      "ka.req.pod.containers.image.repository in (docker.io/library/nginx)",
	"ka.req.pod.containers.privileged": "ka.req.pod.containers.privileged intersects (true)",
	"ka.req.pod.host_network":          "ka.req.pod.host_network = true",
	"ka.response.code":                 "ka.response.code in (401, 403)",
	"jevt.value":                       "jevt.value[/verb] = create",
}

// example returns an example condition for fd.
func example(fd fields.Field) string {
	if e, ok := examples[fd.Name]; ok {
		return e
	}
	name := fd.Name
	switch {
	case fd.Arg == fields.ArgIndex && fd.ArgRequired:
		name += "[1]"
	case fd.Arg == fields.ArgKey && fd.ArgRequired:
		name += "[KEY]"
	}
	if fd.Multi == fields.List {
		return name + " intersects (a, b)"
	}
	switch fd.Type {
	case fields.TypeBool:
		return name + " = true"
	case fields.TypeInt, fields.TypeUint, fields.TypeAbsTime:
		return name + " > 0"
	case fields.TypeRelTime:
		return name + " > 1000000000"
	case fields.TypePort:
		return name + " = 443"
	case fields.TypeIPAddr:
		return name + " = 10.0.0.1"
	case fields.TypeIPNet:
		return name + " in (\"10.0.0.0/8\")"
	case fields.TypeBytes:
		return name + " bcontains 7f454c46"
	}
	return name + " exists"
}
