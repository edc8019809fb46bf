{{/*
Shared helpers. Each takes a dict: "ctx" (the calling chart's root context) and, where
noted, "component" (the binary's name, e.g. rexec-broker) or "name".
*/}}

{{- define "rexec-common.labels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/part-of: rexec-stack
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | default .ctx.Chart.Version | quote }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end }}

{{- define "rexec-common.selectorLabels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end }}

{{/* The image: the chart's own image.repository, else <global.image.registry>/<component>; tag likewise. */}}
{{- define "rexec-common.image" -}}
{{- $values := .ctx.Values -}}
{{- $global := $values.global.image | default dict -}}
{{- $repository := $values.image.repository | default (printf "%s/%s" ($global.registry | default "ghcr.io/rexec-stack") .component) -}}
{{- $tag := $values.image.tag | default $global.tag | default .ctx.Chart.AppVersion -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end }}

{{- define "rexec-common.pullPolicy" -}}
{{- .ctx.Values.image.pullPolicy | default (.ctx.Values.global.image | default dict).pullPolicy | default "IfNotPresent" -}}
{{- end }}

{{- define "rexec-common.imagePullSecrets" -}}
{{- $secrets := .ctx.Values.imagePullSecrets | default .ctx.Values.global.imagePullSecrets -}}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ if kindIs "map" . }}{{ .name }}{{ else }}{{ . }}{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* AUTH_API_URL: the chart's own authApiUrl, else the global one. */}}
{{- define "rexec-common.authApiUrl" -}}
{{- .ctx.Values.authApiUrl | default .ctx.Values.global.authApiUrl | required "global.authApiUrl (the identity provider's validation URL) is required" -}}
{{- end }}

{{/* Pod-level security: non-root, runtime-default seccomp, no service-account token unless asked. */}}
{{- define "rexec-common.podSecurity" -}}
automountServiceAccountToken: {{ .automount | default false }}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{- define "rexec-common.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  runAsNonRoot: true
  capabilities:
    drop: ["ALL"]
{{- end }}

{{/* Liveness and readiness on the service's HTTP port ("http"). */}}
{{- define "rexec-common.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 2
  failureThreshold: 30
{{- end }}

{{/* Scheduling: nodeSelector, tolerations, affinity from the chart's values. */}}
{{- define "rexec-common.scheduling" -}}
{{- with .ctx.Values.nodeSelector }}
nodeSelector:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with .ctx.Values.tolerations }}
tolerations:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- with .ctx.Values.affinity }}
affinity:
{{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A PodDisruptionBudget for an HTTP service with more than one replica (or autoscaling). */}}
{{- define "rexec-common.pdb" -}}
{{- $values := .ctx.Values -}}
{{- if and (not .singleReplica) $values.podDisruptionBudget.enabled (or (gt (int $values.replicaCount) 1) $values.autoscaling.enabled) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  labels:
    {{- include "rexec-common.labels" . | nindent 4 }}
spec:
  minAvailable: {{ $values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "rexec-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{- define "rexec-common.hpa" -}}
{{- $values := .ctx.Values -}}
{{- if and (not .singleReplica) $values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .name }}
  labels:
    {{- include "rexec-common.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .name }}
  minReplicas: {{ $values.autoscaling.minReplicas }}
  maxReplicas: {{ $values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end }}

{{/* A ServiceMonitor (Prometheus Operator) scraping /metrics on the named port, when enabled. */}}
{{- define "rexec-common.serviceMonitor" -}}
{{- $values := .ctx.Values -}}
{{- if $values.serviceMonitor.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .name }}
  labels:
    {{- include "rexec-common.labels" . | nindent 4 }}
    {{- with $values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "rexec-common.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: {{ .port }}
      path: /metrics
      interval: {{ $values.serviceMonitor.interval }}
{{- end }}
{{- end }}

{{/* PDB, HPA and ServiceMonitor of an HTTP service, as one stream (dict: ctx, component, name, port). */}}
{{- define "rexec-common.httpExtras" -}}
{{- $parts := list (include "rexec-common.pdb" .) (include "rexec-common.hpa" .) (include "rexec-common.serviceMonitor" .) -}}
{{- range $parts }}
{{- if trim . }}
---
{{ trim . }}
{{- end }}
{{- end }}
{{- end }}

{{/* The access policy: the umbrella's ConfigMap, mounted as a directory so edits arrive. */}}
{{- define "rexec-common.policyEnv" -}}
- name: POLICY_FILE
  value: /etc/rexec-stack/policy/policy.yaml
{{- end }}

{{- define "rexec-common.policyMount" -}}
- name: access-policy
  mountPath: /etc/rexec-stack/policy
  readOnly: true
{{- end }}

{{- define "rexec-common.policyVolume" -}}
- name: access-policy
  configMap:
    name: {{ printf "%s-access-policy" .ctx.Release.Name }}
{{- end }}
