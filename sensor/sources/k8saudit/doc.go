// Package k8saudit is Saker's built-in Kubernetes audit event source
// (source name "k8s_audit"). It serves what Falco gets from the k8saudit
// and json plugins together: a webhook that the kube-apiserver's audit
// webhook backend posts to, the decoding of audit.k8s.io events, and
// extraction of the ka.* and jevt.* fields declared in [fields.K8sAudit].
//
// Each event is parsed once into a read-only JSON tree; the extractors the
// rules engine compiles from [Source] then read that tree without
// allocating. [Server] receives events over HTTP and hands them to a
// consumer through a bounded queue.
package k8saudit
