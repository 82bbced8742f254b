{{/*
The chart name, or nameOverride. Cut to 63 characters: names and label values are DNS labels.
*/}}
{{- define "prs-manager.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of object names: fullnameOverride, else the release name followed by the chart name
unless the release name already contains it. Cut to 63 characters, trailing "-" trimmed.
*/}}
{{- define "prs-manager.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "prs-manager.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of the Role and RoleBinding that let the function read the ConfigMap: the prefix cut so
that the "-config" suffix still fits in 63 characters.
*/}}
{{- define "prs-manager.configReaderName" -}}
{{- printf "%s-config" (include "prs-manager.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/*
The ConfigMap's name is fixed, not derived from the release: the function finds it by name.
*/}}
{{- define "prs-manager.configMapName" -}}
prs-manager
{{- end }}

{{- define "prs-manager.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object; uninstall checks and `kubectl get -l` select on instance and name.
*/}}
{{- define "prs-manager.labels" -}}
helm.sh/chart: {{ include "prs-manager.chart" . }}
app.kubernetes.io/name: {{ include "prs-manager.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Granted namespaces as a JSON list: sorted, without duplicates, empty in allNamespaces mode
(the ClusterRole covers them all). An empty grant would install bindings that allow nothing
and a ConfigMap telling the function that nothing is granted: refuse it.
*/}}
{{- define "prs-manager.grantedNamespaces" -}}
{{- if .Values.allNamespaces }}
{{- list | toJson }}
{{- else }}
{{- $namespaces := default list .Values.namespaces | uniq | sortAlpha }}
{{- if not $namespaces }}
{{- fail (print "namespaces: empty, so the chart would grant nothing; list at least one "
  "namespace, or set allNamespaces: true to grant every namespace") }}
{{- end }}
{{- $namespaces | toJson }}
{{- end }}
{{- end }}

{{/*
Binding subjects. A "system:" group or user is Kubernetes' own (system:authenticated is every
signed-in identity), so binding one would hand the function's access to others: refuse it.
*/}}
{{- define "prs-manager.subjects" -}}
{{- if hasPrefix "system:" .Values.group }}
{{- fail (printf (print "group: %q is a Kubernetes system group; map the function's IAM role "
  "to a group of its own, such as prs-manager") .Values.group) }}
{{- end }}
{{- $user := .Values.user | default "" }}
{{- if hasPrefix "system:" $user }}
{{- fail (printf (print "user: %q is a Kubernetes system user; map the function's IAM role "
  "to a user of its own, or leave user empty") $user) }}
{{- end -}}
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: {{ .Values.group | toJson }}
{{- with $user }}
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: {{ . | toJson }}
{{- end }}
{{- end }}

{{/*
What the sync does with Secrets. list (by label) finds the Secrets it owns and create adds
missing ones; RBAC cannot narrow either by name, so they sit in a rule of their own. get,
update and delete are pinned to secretNames when the owner lists them. Never patch or watch:
the function does not use them.
*/}}
{{- define "prs-manager.secretRules" -}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["create", "list"]
- apiGroups: [""]
  resources: ["secrets"]
  {{- with .Values.secretNames }}
  resourceNames: {{ uniq . | sortAlpha | toJson }}
  {{- end }}
  verbs: ["get", "update", "delete"]
{{- end }}

{{/*
The access the secret rules give, for the comment above each Role and ClusterRole.
*/}}
{{- define "prs-manager.secretAccess" -}}
list and create any Secret; get, update and delete
{{- if .Values.secretNames }} only those named in secretNames{{ else }} any Secret{{ end }}
{{- end }}

{{/*
The grant as the function reads it, compact JSON with a fixed key order.
*/}}
{{- define "prs-manager.grants" -}}
{{- $user := .Values.user | default "" }}
{{- printf "{\"version\":1,\"group\":%s,\"user\":%s,\"allNamespaces\":%t,\"namespaces\":%s}"
  (.Values.group | toJson)
  (ternary ($user | toJson) "null" (ne $user ""))
  (.Values.allNamespaces | default false)
  (include "prs-manager.grantedNamespaces" .) }}
{{- end }}

{{/*
The ConfigMap's fixed name allows one installation per namespace. Helm would refuse a second
release with an ownership error; say plainly what to do instead. lookup is empty in
`helm template` and client-side dry runs, so this only acts against a cluster.
*/}}
{{- define "prs-manager.assertConfigMapFree" -}}
{{- $name := include "prs-manager.configMapName" . }}
{{- $existing := lookup "v1" "ConfigMap" .Release.Namespace $name }}
{{- if $existing }}
{{- $owner := dig "metadata" "annotations" "meta.helm.sh/release-name" "" $existing }}
{{- if ne $owner .Release.Name }}
{{- fail (printf (print "ConfigMap %s/%s already exists (release %q): prs-manager is "
  "installed once per namespace; upgrade that release, or install into another namespace")
  .Release.Namespace $name (default "none" $owner)) }}
{{- end }}
{{- end }}
{{- end }}
