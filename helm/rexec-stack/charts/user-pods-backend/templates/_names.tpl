{{- define "user-pods-backend.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}{{ .Values.serviceAccount.name | default "user-pods-backend" }}{{ else }}{{ .Values.serviceAccount.name | default "default" }}{{ end -}}
{{- end }}

{{- define "user-pods-backend.podsNamespace" -}}
{{- .Values.podsNamespace | default .Release.Namespace -}}
{{- end }}
