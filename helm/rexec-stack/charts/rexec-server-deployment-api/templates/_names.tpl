{{- define "rexec-deploy-api.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}{{ .Values.serviceAccount.name | default "rexec-deployment-api" }}{{ else }}{{ .Values.serviceAccount.name | default "default" }}{{ end -}}
{{- end }}
