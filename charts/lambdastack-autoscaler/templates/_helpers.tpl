{{/* The release's name for every object, DNS-1123 and at most 63 characters. */}}
{{- define "lsa.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "lsa.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "lsa.labels" -}}
{{ include "lsa.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "lsa.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lsa.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the GitHub token: an existing one, or the one the chart creates. */}}
{{- define "lsa.tokenSecret" -}}
{{- if .Values.github.token.existingSecret -}}
{{- .Values.github.token.existingSecret -}}
{{- else -}}
{{- printf "%s-github" (include "lsa.fullname" .) -}}
{{- end -}}
{{- end -}}
