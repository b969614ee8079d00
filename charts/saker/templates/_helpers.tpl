{{/* Names, labels and the generated configuration files shared by the templates. */}}

{{- define "saker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "saker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "saker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "saker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "saker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "saker.labels" -}}
helm.sh/chart: {{ include "saker.chart" . }}
{{ include "saker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "saker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "saker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "saker.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}
{{- $repo = printf "%s/%s" .Values.image.registry .Values.image.repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding registry credentials, or "" when there is none. */}}
{{- define "saker.registrySecretName" -}}
{{- if .Values.registry.existingSecret }}
{{- .Values.registry.existingSecret }}
{{- else if .Values.registry.auth }}
{{- printf "%s-registry" (include "saker.fullname" .) }}
{{- end }}
{{- end }}

{{/* Where the registry credentials are mounted (a docker config.json). */}}
{{- define "saker.registryCredsDir" -}}/var/run/secrets/saker/registry{{- end }}

{{/* The refs to install: artifacts.install.refs plus the audit rules when the webhook is on. */}}
{{- define "saker.installRefs" -}}
{{- $refs := .Values.artifacts.install.refs | default list }}
{{- if and .Values.auditWebhook.enabled .Values.auditWebhook.rulesRef }}
{{- $refs = append $refs .Values.auditWebhook.rulesRef | uniq }}
{{- end }}
{{- toJson $refs }}
{{- end }}

{{- define "saker.followRefs" -}}
{{- $refs := .Values.artifacts.follow.refs }}
{{- if $refs }}
{{- if and .Values.auditWebhook.enabled .Values.auditWebhook.rulesRef }}
{{- $refs = append $refs .Values.auditWebhook.rulesRef | uniq }}
{{- end }}
{{- toJson $refs }}
{{- else }}
{{- include "saker.installRefs" . }}
{{- end }}
{{- end }}

{{- define "saker.followEnabled" -}}
{{- if and .Values.artifacts.follow.enabled (fromJsonArray (include "saker.followRefs" .)) }}true{{ end }}
{{- end }}

{{/*
sakerctl.yaml: the user's falcoctl-layout config with the keys the pod layout
depends on (directories, state, credentials) set by the chart, so the files
land where the sensor reads them.
*/}}
{{- define "saker.sakerctlConfig" -}}
{{- $cfg := deepCopy (.Values.sakerctl.config | default dict) }}
{{- $dirs := dict "rulesfilesDir" .Values.paths.rulesfilesDir "pluginsDir" .Values.paths.pluginsDir "stateDir" .Values.paths.stateDir }}
{{- $follow := merge (dict "every" .Values.artifacts.follow.every "startupBehavior" .Values.artifacts.follow.startupBehavior) $dirs }}
{{- $gen := dict "artifact" (dict "install" $dirs "follow" $follow) }}
{{- if include "saker.registrySecretName" . }}
{{- $_ := set $gen "registry" (dict "creds" (dict "config" (printf "%s/config.json" (include "saker.registryCredsDir" .)))) }}
{{- end }}
{{- $cfg = mergeOverwrite $cfg $gen }}
{{- toYaml $cfg }}
{{- end }}

{{/*
falco.yaml: the user's sensor config, plus the k8saudit plugin when the
audit webhook is enabled.
*/}}
{{- define "saker.falcoConfig" -}}
{{- $cfg := deepCopy (.Values.falco | default dict) }}
{{- if .Values.auditWebhook.enabled }}
{{- $load := without ($cfg.load_plugins | default list) "k8saudit" "json" }}
{{- $_ := set $cfg "load_plugins" (concat $load (list "k8saudit" "json")) }}
{{- $plugins := list }}
{{- range ($cfg.plugins | default list) }}
{{- if not (has .name (list "k8saudit" "json")) }}{{ $plugins = append $plugins . }}{{ end }}
{{- end }}
{{- $audit := dict "name" "k8saudit" "open_params" (printf "http://:%d%s" (int .Values.auditWebhook.port) .Values.auditWebhook.path) }}
{{- $_ := set $cfg "plugins" (concat $plugins (list $audit (dict "name" "json"))) }}
{{- with .Values.auditWebhook.rulesFile }}
{{- $files := $cfg.rules_files | default list }}
{{- /*
The sensor skips absent entries only in Falco's default list; any other list
must name files that exist. The default list plus the audit rules would not
be default any more, so it becomes the two files the init container installs.
*/}}
{{- if eq (toJson $files) (toJson (list "/etc/falco/falco_rules.yaml" "/etc/falco/falco_rules.local.yaml" "/etc/falco/rules.d")) }}
{{- $files = list "/etc/falco/falco_rules.yaml" }}
{{- end }}
{{- $_ := set $cfg "rules_files" (append (without $files .) .) }}
{{- end }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{- define "saker.webserverPort" -}}
{{- $ws := .Values.falco.webserver | default dict }}
{{- $ws.listen_port | default 8765 | int }}
{{- end }}

{{- define "saker.webserverEnabled" -}}
{{- $ws := .Values.falco.webserver | default dict }}
{{- if $ws.enabled }}true{{ end }}
{{- end }}

{{/* Mounts of the artifact init and sidecar containers. */}}
{{- define "saker.artifactMounts" -}}
- name: sakerctl-config
  mountPath: /etc/sakerctl
  readOnly: true
- name: rulesfiles
  mountPath: {{ .Values.paths.rulesfilesDir }}
- name: plugins
  mountPath: {{ .Values.paths.pluginsDir }}
- name: state
  mountPath: {{ .Values.paths.stateDir }}
- name: tmp
  mountPath: /tmp
{{- if include "saker.registrySecretName" . }}
- name: registry-creds
  mountPath: {{ include "saker.registryCredsDir" . }}
  readOnly: true
{{- end }}
{{- end }}
