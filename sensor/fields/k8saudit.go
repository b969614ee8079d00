package fields

// K8sAuditSourceName is the source name of Kubernetes audit events.
const K8sAuditSourceName = "k8s_audit"

// K8sAudit returns the declared k8s_audit source, without extraction. It has
// no event types: every k8s_audit rule is a candidate for every event.
func K8sAudit() *Source {
	return MustSource(SourceOptions{Name: K8sAuditSourceName, Fields: K8sAuditFields})
}

// ka.* fields are strings (the JSON value as text), as in Falco's k8saudit
// plugin, which is why rules write `ka.req.pod.host_network intersects (true)`.
// List fields take an optional index selecting one element.
func kalist(name, desc string) Field { return indexed(list(name, desc), false) }

// K8sAuditFields declares the fields of Kubernetes audit events (jevt.* from
// the json plugin, ka.* from the k8saudit plugin).
var K8sAuditFields = []Field{
	str("jevt.time", "event time as a local time string"),
	str("jevt.time.iso8601", "event time in ISO 8601"),
	abstime("jevt.rawtime", "event time, nanoseconds since the epoch"),
	keyed(str("jevt.value", "value at a JSON pointer, jevt.value[/user/username]"), true),
	str("jevt.obj", "the whole event as JSON"),

	str("ka.auditid", "audit id"),
	str("ka.stage", "audit stage"),
	str("ka.auth.decision", "authorization decision: allow or forbid"),
	str("ka.auth.reason", "authorization reason"),
	str("ka.auth.openshift.decision", "OpenShift authorization decision"),
	str("ka.auth.openshift.username", "OpenShift user name"),
	str("ka.user.name", "user name"),
	kalist("ka.user.groups", "user groups"),
	str("ka.impuser.name", "impersonated user name"),
	str("ka.verb", "action: create, get, update, patch, delete, ..."),
	str("ka.uri", "request URI"),
	keyed(str("ka.uri.param", "one query parameter of the request URI"), true),
	str("ka.target.name", "target object name"),
	str("ka.target.namespace", "target object namespace"),
	str("ka.target.resource", "target object resource"),
	str("ka.target.subresource", "target object subresource"),
	str("ka.target.pod.name", "target pod name"),
	str("ka.req.binding.subjects", "subjects of a role binding"),
	str("ka.req.binding.role", "role of a role binding"),
	keyed(str("ka.req.binding.subject.has_name", "true when a binding subject has this name"), true),
	str("ka.req.configmap.name", "configmap name"),
	str("ka.req.configmap.obj", "configmap object as JSON"),
	kalist("ka.req.pod.containers.image", "images of the pod's containers"),
	indexed(str("ka.req.container.image", "image of the pod's first container (deprecated)"), false),
	kalist("ka.req.pod.containers.image.repository", "image repositories of the pod's containers"),
	indexed(str("ka.req.container.image.repository", "image repository of the pod's first container (deprecated)"), false),
	str("ka.req.pod.host_ipc", "hostIPC of the pod"),
	str("ka.req.pod.host_network", "hostNetwork of the pod"),
	indexed(str("ka.req.container.host_network", "hostNetwork of the pod (deprecated)"), false),
	str("ka.req.pod.host_pid", "hostPID of the pod"),
	kalist("ka.req.pod.containers.host_port", "host ports of the pod's containers"),
	kalist("ka.req.pod.containers.privileged", "privileged flags of the pod's containers"),
	indexed(str("ka.req.container.privileged", "privileged flag of the pod's first container (deprecated)"), false),
	kalist("ka.req.pod.containers.allow_privilege_escalation", "allowPrivilegeEscalation of the pod's containers"),
	kalist("ka.req.pod.containers.read_only_fs", "readOnlyRootFilesystem of the pod's containers"),
	str("ka.req.pod.run_as_user", "runAsUser of the pod"),
	kalist("ka.req.pod.containers.run_as_user", "runAsUser of the pod's containers"),
	kalist("ka.req.pod.containers.eff_run_as_user", "effective runAsUser of the pod's containers"),
	str("ka.req.pod.run_as_group", "runAsGroup of the pod"),
	kalist("ka.req.pod.containers.run_as_group", "runAsGroup of the pod's containers"),
	kalist("ka.req.pod.containers.eff_run_as_group", "effective runAsGroup of the pod's containers"),
	kalist("ka.req.pod.containers.proc_mount", "procMount of the pod's containers"),
	kalist("ka.req.role.rules", "rules of a role"),
	kalist("ka.req.role.rules.apiGroups", "API groups of a role's rules"),
	kalist("ka.req.role.rules.nonResourceURLs", "non-resource URLs of a role's rules"),
	kalist("ka.req.role.rules.verbs", "verbs of a role's rules"),
	kalist("ka.req.role.rules.resources", "resources of a role's rules"),
	str("ka.req.pod.fs_group", "fsGroup of the pod"),
	kalist("ka.req.pod.supplemental_groups", "supplementalGroups of the pod"),
	kalist("ka.req.pod.containers.add_capabilities", "added capabilities of the pod's containers"),
	str("ka.req.service.type", "service type"),
	kalist("ka.req.service.ports", "service ports"),
	kalist("ka.req.pod.volumes.hostpath", "hostPath volumes of the pod"),
	keyed(str("ka.req.volume.hostpath", "true when the pod mounts this host path (deprecated)"), true),
	kalist("ka.req.pod.volumes.flexvolume_driver", "flexVolume drivers of the pod"),
	kalist("ka.req.pod.volumes.volume_type", "volume types of the pod"),
	kalist("ka.req.pod.ephemeralContainers.image", "images of the pod's ephemeral containers"),
	kalist("ka.req.pod.ephemeralContainers.image.repository", "image repositories of the pod's ephemeral containers"),
	kalist("ka.req.pod.ephemeralContainers.privileged", "privileged flags of the pod's ephemeral containers"),
	kalist("ka.req.pod.ephemeralContainers.host_port", "host ports of the pod's ephemeral containers"),
	kalist("ka.req.pod.ephemeralContainers.allow_privilege_escalation", "allowPrivilegeEscalation of the pod's ephemeral containers"),
	kalist("ka.req.pod.ephemeralContainers.add_capabilities", "added capabilities of the pod's ephemeral containers"),
	kalist("ka.req.pod.initContainers.image", "images of the pod's init containers"),
	kalist("ka.req.pod.initContainers.image.repository", "image repositories of the pod's init containers"),
	kalist("ka.req.pod.initContainers.privileged", "privileged flags of the pod's init containers"),
	kalist("ka.req.pod.initContainers.host_port", "host ports of the pod's init containers"),
	kalist("ka.req.pod.initContainers.allow_privilege_escalation", "allowPrivilegeEscalation of the pod's init containers"),
	kalist("ka.req.pod.initContainers.add_capabilities", "added capabilities of the pod's init containers"),
	str("ka.resp.name", "name of the object in the response"),
	str("ka.response.code", "response code"),
	str("ka.response.reason", "response reason"),
	str("ka.useragent", "user agent of the client"),
	kalist("ka.sourceips", "source addresses of the request"),
	str("ka.cluster.name", "cluster name"),
}
