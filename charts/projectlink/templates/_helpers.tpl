{{/* Names and labels shared by every template. */}}

{{- define "projectlink.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "projectlink.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "projectlink.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "projectlink.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "projectlink.selectorLabels" -}}
app.kubernetes.io/name: {{ include "projectlink.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "projectlink.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "projectlink.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "projectlink.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicas) 1) -}}true{{- end -}}
{{- end -}}

{{/* The rules for ProjectsIntegration resources, their Secrets and Events. */}}
{{- define "projectlink.watchRules" -}}
- apiGroups: ["projectlink.dev"]
  resources: ["projectsintegrations", "office365integrations"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["projectlink.dev"]
  resources: ["projectsintegrations/status", "office365integrations/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["projectlink.dev"]
  resources: ["projectsintegrations/finalizers", "office365integrations/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
