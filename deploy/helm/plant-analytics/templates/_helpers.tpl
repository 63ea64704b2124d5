{{/* Names ------------------------------------------------------------------------ */}}

{{- define "pa.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pa.fullname" -}}
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

{{/* Name of one target's objects: <fullname>-<target>. Call with (dict "root" $ "target" "api"). */}}
{{- define "pa.targetName" -}}
{{- printf "%s-%s" (include "pa.fullname" .root) .target | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pa.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pa.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Labels ----------------------------------------------------------------------- */}}

{{- define "pa.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pa.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pa.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pa.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: plant-analytics
{{- end }}

{{/* Selector labels of one target's pods. (dict "root" $ "target" "api") */}}
{{- define "pa.targetSelectorLabels" -}}
{{ include "pa.selectorLabels" .root }}
app.kubernetes.io/component: {{ .target }}
{{- end }}

{{- define "pa.targetLabels" -}}
{{ include "pa.labels" .root }}
app.kubernetes.io/component: {{ .target }}
{{- end }}

{{/* Targets ---------------------------------------------------------------------- */}}

{{/* The targets this release runs, as a space-separated list. */}}
{{- define "pa.targets" -}}
{{- if .Values.monolithic }}all{{ else }}gateway auth api worker scheduler{{ end }}
{{- end }}

{{/* Port each target listens on; fixed by the application. */}}
{{- define "pa.targetPort" -}}
{{- get (dict "all" 8000 "gateway" 8000 "auth" 5001 "api" 3000 "worker" 9100 "scheduler" 9100) . }}
{{- end }}

{{/* Values block of a target: .Values.targets.<t>, or .Values.all when monolithic. */}}
{{- define "pa.targetValues" -}}
{{- if eq .target "all" }}
{{- toYaml .root.Values.all }}
{{- else }}
{{- toYaml (get .root.Values.targets .target) }}
{{- end }}
{{- end }}

{{/* Image and environment ------------------------------------------------------- */}}

{{- define "pa.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "pa.publicUrl" -}}
{{- if .Values.config.publicUrl }}
{{- .Values.config.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (first .Values.ingress.hosts).host }}
{{- else }}
{{- printf "http://%s:8000" (include "pa.targetName" (dict "root" . "target" "gateway")) }}
{{- end }}
{{- end }}

{{/*
The environment every platform container gets. Secrets only ever arrive through
secretKeyRef; connection URLs take their password from one of those variables with
Kubernetes' $(VAR) expansion, so no password is ever written into a manifest.
*/}}
{{- define "pa.env" -}}
{{- $pg := .Values.postgresql }}
{{- $redis := .Values.redis }}
{{- $mq := .Values.rabbitmq }}
{{- $s3 := .Values.s3 -}}
- name: PA_ENV
  value: {{ .Values.environment | quote }}
- name: PA_HOST
  value: "0.0.0.0"
- name: PA_OPS_PORT
  value: "9100"
- name: PA_DATA_DIR
  value: /var/lib/plant-analytics
- name: PA_LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: PA_PUBLIC_URL
  value: {{ include "pa.publicUrl" . | quote }}
- name: PA_ADMIN_EMAIL
  value: {{ .Values.config.adminEmail | quote }}
- name: PA_MAX_UPLOAD_BYTES
  value: {{ .Values.config.maxUploadBytes | int64 | quote }}
- name: PA_SCAN_INTERVAL_SECONDS
  value: {{ .Values.config.scanIntervalSeconds | int64 | quote }}
{{- if .Values.monolithic }}
- name: PA_AUTH_URL
  value: "http://127.0.0.1:5001"
- name: PA_API_URL
  value: "http://127.0.0.1:3000"
{{- else }}
- name: PA_AUTH_URL
  value: {{ printf "http://%s:5001" (include "pa.targetName" (dict "root" . "target" "auth")) | quote }}
- name: PA_API_URL
  value: {{ printf "http://%s:3000" (include "pa.targetName" (dict "root" . "target" "api")) | quote }}
{{- end }}
- name: PA_INTERNAL_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.app.existingSecret | quote }}
      key: {{ .Values.secrets.app.internalSecretKey | quote }}
- name: PA_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.app.existingSecret | quote }}
      key: {{ .Values.secrets.app.adminPasswordKey | quote }}
- name: PA_SIGNING_KEY_FILE
  value: /etc/plant-analytics/jwt/signing-key.pem
- name: PA_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $pg.existingSecret | quote }}
      key: {{ $pg.passwordKey | quote }}
- name: PA_DATABASE_URL
  value: {{ printf "postgresql://%s:$(PA_DATABASE_PASSWORD)@%s:%d/%s?sslmode=%s" $pg.username $pg.host (int $pg.port) $pg.database $pg.sslmode | quote }}
{{- if $redis.existingSecret }}
- name: PA_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $redis.existingSecret | quote }}
      key: {{ $redis.passwordKey | quote }}
- name: PA_REDIS_URL
  value: {{ printf "%s://:$(PA_REDIS_PASSWORD)@%s:%d/%d" (ternary "rediss" "redis" $redis.tls) $redis.host (int $redis.port) (int $redis.database) | quote }}
{{- else }}
- name: PA_REDIS_URL
  value: {{ printf "%s://%s:%d/%d" (ternary "rediss" "redis" $redis.tls) $redis.host (int $redis.port) (int $redis.database) | quote }}
{{- end }}
- name: PA_BROKER_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $mq.existingSecret | quote }}
      key: {{ $mq.passwordKey | quote }}
- name: PA_BROKER_URL
  value: {{ printf "%s://%s:$(PA_BROKER_PASSWORD)@%s:%d/%s" (ternary "amqps" "amqp" $mq.tls) $mq.username $mq.host (int $mq.port) ($mq.vhost | urlquery) | quote }}
- name: PA_STORAGE_URL
  value: {{ printf "s3://%s/%s" $s3.bucket $s3.prefix | trimSuffix "/" | quote }}
{{- if $s3.endpointUrl }}
- name: PA_S3_ENDPOINT_URL
  value: {{ $s3.endpointUrl | quote }}
{{- end }}
- name: AWS_DEFAULT_REGION
  value: {{ $s3.region | quote }}
{{- if $s3.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret | quote }}
      key: {{ $s3.accessKeyIdKey | quote }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret | quote }}
      key: {{ $s3.secretAccessKeyKey | quote }}
{{- end }}
{{- range $name, $value := .Values.config.extraEnv }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* Volumes every platform container mounts: scratch space and the JWT signing key. */}}
{{- define "pa.volumes" -}}
- name: tmp
  emptyDir: {}
- name: data
  emptyDir: {}
- name: jwt-signing-key
  secret:
    secretName: {{ .Values.secrets.signingKey.existingSecret | quote }}
    defaultMode: 0440
    items:
      - key: {{ .Values.secrets.signingKey.key | quote }}
        path: signing-key.pem
{{- end }}

{{- define "pa.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/plant-analytics
- name: jwt-signing-key
  mountPath: /etc/plant-analytics/jwt
  readOnly: true
{{- end }}

{{/* Pod-level fields shared by Deployments and Jobs (each names its service account). */}}
{{- define "pa.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
