package main

// KEDA's keda.sh/v1alpha1 ScaledObject, ScaledJob and TriggerAuthentication: the spec fields of KEDA 2.17+ (its
// apis/keda/v1alpha1 types), declared here because KEDA's Go module drags in its controllers. Decoding is strict,
// so a misspelt field is an error; the fields of TriggerAuthentication that cfm does not use are accepted unchecked.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ScaledObjectSpec `json:"spec"`
}

type ScaledObjectSpec struct {
	ScaleTargetRef        *ScaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`
	Advanced              *AdvancedConfig `json:"advanced,omitempty"`
	Triggers              []ScaleTriggers `json:"triggers"`
	Fallback              *Fallback       `json:"fallback,omitempty"`
}

type ScaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type AdvancedConfig struct {
	HorizontalPodAutoscalerConfig *HorizontalPodAutoscalerConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool                           `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              *ScalingModifiers              `json:"scalingModifiers,omitempty"`
}

type HorizontalPodAutoscalerConfig struct {
	Name     string                                         `json:"name,omitempty"`
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

type ScalingModifiers struct {
	Formula          string                         `json:"formula,omitempty"`
	Target           string                         `json:"target,omitempty"`
	ActivationTarget string                         `json:"activationTarget,omitempty"`
	MetricType       autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type ScaleTriggers struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *AuthenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type AuthenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

type Fallback struct {
	FailureThreshold int32  `json:"failureThreshold"`
	Replicas         int32  `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"`
}

type ScaledJob struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ScaledJobSpec `json:"spec"`
}

type ScaledJobSpec struct {
	JobTargetRef               *batchv1.JobSpec `json:"jobTargetRef"`
	PollingInterval            *int32           `json:"pollingInterval,omitempty"`
	SuccessfulJobsHistoryLimit *int32           `json:"successfulJobsHistoryLimit,omitempty"`
	FailedJobsHistoryLimit     *int32           `json:"failedJobsHistoryLimit,omitempty"`
	EnvSourceContainerName     string           `json:"envSourceContainerName,omitempty"`
	MinReplicaCount            *int32           `json:"minReplicaCount,omitempty"`
	MaxReplicaCount            *int32           `json:"maxReplicaCount,omitempty"`
	RolloutStrategy            string           `json:"rolloutStrategy,omitempty"`
	Rollout                    *struct {
		Strategy          string `json:"strategy,omitempty"`
		PropagationPolicy string `json:"propagationPolicy,omitempty"`
	} `json:"rollout,omitempty"`
	ScalingStrategy *struct {
		Strategy                          string   `json:"strategy,omitempty"`
		CustomScalingQueueLengthDeduction *int32   `json:"customScalingQueueLengthDeduction,omitempty"`
		CustomScalingRunningJobPercentage string   `json:"customScalingRunningJobPercentage,omitempty"`
		PendingPodConditions              []string `json:"pendingPodConditions,omitempty"`
		MultipleScalersCalculation        string   `json:"multipleScalersCalculation,omitempty"`
	} `json:"scalingStrategy,omitempty"`
	Triggers []ScaleTriggers `json:"triggers"`
}

type TriggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              TriggerAuthenticationSpec `json:"spec"`
}

type TriggerAuthenticationSpec struct {
	SecretTargetRef          []AuthSecretTargetRef `json:"secretTargetRef,omitempty"`
	Env                      []AuthEnvironment     `json:"env,omitempty"`
	ConfigMapTargetRef       json.RawMessage       `json:"configMapTargetRef,omitempty"`
	PodIdentity              json.RawMessage       `json:"podIdentity,omitempty"`
	HashiCorpVault           json.RawMessage       `json:"hashiCorpVault,omitempty"`
	AzureKeyVault            json.RawMessage       `json:"azureKeyVault,omitempty"`
	AwsSecretManager         json.RawMessage       `json:"awsSecretManager,omitempty"`
	GCPSecretManager         json.RawMessage       `json:"gcpSecretManager,omitempty"`
	BoundServiceAccountToken json.RawMessage       `json:"boundServiceAccountToken,omitempty"`
}

type AuthSecretTargetRef struct {
	Parameter string `json:"parameter"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}

type AuthEnvironment struct {
	Parameter     string `json:"parameter"`
	Name          string `json:"name"`
	ContainerName string `json:"containerName,omitempty"`
}

func (o *ScaledObject) DeepCopyObject() runtime.Object          { c := *o; return &c }
func (o *ScaledJob) DeepCopyObject() runtime.Object             { c := *o; return &c }
func (o *ScaledJob) GetObjectKind() schema.ObjectKind           { return &o.TypeMeta }
func (o *TriggerAuthentication) DeepCopyObject() runtime.Object { c := *o; return &c }
func (o *ScaledObject) GetObjectKind() schema.ObjectKind        { return &o.TypeMeta }
func (o *TriggerAuthentication) GetObjectKind() schema.ObjectKind {
	return &o.TypeMeta
}

func decodeKeda(apiVersion, kind string, chunk []byte) (runtime.Object, error) {
	if apiVersion != "keda.sh/v1alpha1" {
		return nil, fmt.Errorf("unknown KEDA apiVersion %q (keda.sh/v1alpha1)", apiVersion)
	}
	var obj runtime.Object
	switch kind {
	case "ScaledObject":
		obj = &ScaledObject{}
	case "ScaledJob":
		obj = &ScaledJob{}
	case "TriggerAuthentication":
		obj = &TriggerAuthentication{}
	default:
		return nil, fmt.Errorf("no schema for keda.sh/v1alpha1 %s here (ScaledObject, ScaledJob, TriggerAuthentication)", kind)
	}
	if err := yaml.UnmarshalStrict(chunk, obj); err != nil {
		return nil, fmt.Errorf("strict decoding error: %v", err)
	}
	if ta, ok := obj.(*TriggerAuthentication); ok {
		for i, r := range ta.Spec.SecretTargetRef {
			if r.Parameter == "" || r.Name == "" || r.Key == "" {
				return nil, fmt.Errorf("spec.secretTargetRef[%d]: parameter, name and key are required", i)
			}
		}
	}
	return obj, nil
}

// The temporal scaler's trigger metadata (KEDA 2.17+ docs) and its TriggerAuthentication parameters.
var temporalMetadata = map[string]bool{
	"endpoint": true, "endpointFromEnv": true, "namespace": true, "taskQueue": true, "targetQueueSize": true,
	"activationTargetQueueSize": true, "queueTypes": true, "buildId": true, "selectAllActive": true,
	"selectUnversioned": true, "workerDeploymentName": true, "workerDeploymentBuildId": true,
	"minConnectTimeout": true, "unsafeSsl": true, "tlsServerName": true,
}
var temporalAuth = map[string]bool{"apiKey": true, "ca": true, "cert": true, "key": true, "keyPassword": true}

func checkScaledObject(d doc, o *ScaledObject, deployments map[string]*appsv1.Deployment, auths map[string]*TriggerAuthentication) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, d.String()+": "+fmt.Sprintf(format, a...)) }
	if o.Spec.ScaleTargetRef == nil || o.Spec.ScaleTargetRef.Name == "" {
		bad("spec.scaleTargetRef.name is required")
	} else if k := o.Spec.ScaleTargetRef.Kind; (k == "" || k == "Deployment") && deployments[o.Spec.ScaleTargetRef.Name] == nil {
		bad("spec.scaleTargetRef: no Deployment %s among the manifests", o.Spec.ScaleTargetRef.Name)
	}
	if o.Spec.MinReplicaCount != nil && o.Spec.MaxReplicaCount != nil && *o.Spec.MinReplicaCount > *o.Spec.MaxReplicaCount {
		bad("spec.minReplicaCount %d > spec.maxReplicaCount %d", *o.Spec.MinReplicaCount, *o.Spec.MaxReplicaCount)
	}
	problems = append(problems, checkTriggers(d, o.Spec.Triggers, auths)...)
	return problems
}

// checkScaledJob: a job template that runs, limits in order, triggers that resolve.
func checkScaledJob(d doc, o *ScaledJob, auths map[string]*TriggerAuthentication) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, d.String()+": "+fmt.Sprintf(format, a...)) }
	if o.Spec.JobTargetRef == nil {
		bad("spec.jobTargetRef is required")
	} else {
		if p := o.Spec.JobTargetRef.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
			bad("spec.jobTargetRef.template.spec.restartPolicy must be Never or OnFailure, got %q", p)
		}
		problems = append(problems, checkPod(d, &o.Spec.JobTargetRef.Template.Spec)...)
	}
	if o.Spec.MinReplicaCount != nil && o.Spec.MaxReplicaCount != nil && *o.Spec.MinReplicaCount > *o.Spec.MaxReplicaCount {
		bad("spec.minReplicaCount %d > spec.maxReplicaCount %d", *o.Spec.MinReplicaCount, *o.Spec.MaxReplicaCount)
	}
	return append(problems, checkTriggers(d, o.Spec.Triggers, auths)...)
}

func checkTriggers(d doc, triggers []ScaleTriggers, auths map[string]*TriggerAuthentication) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, d.String()+": "+fmt.Sprintf(format, a...)) }
	if len(triggers) == 0 {
		bad("spec.triggers: at least one")
	}
	for i, t := range triggers {
		var auth *TriggerAuthentication
		if t.AuthenticationRef != nil && (t.AuthenticationRef.Kind == "" || t.AuthenticationRef.Kind == "TriggerAuthentication") {
			if auth = auths[t.AuthenticationRef.Name]; auth == nil {
				bad("spec.triggers[%d].authenticationRef: no TriggerAuthentication %s among the manifests", i, t.AuthenticationRef.Name)
			}
		}
		if t.Type != "temporal" {
			continue
		}
		if auth != nil {
			problems = append(problems, checkTemporalAuth(d, i, auth)...)
		}
		var unknown []string
		for k := range t.Metadata {
			if !temporalMetadata[k] {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		if len(unknown) > 0 {
			bad("spec.triggers[%d].metadata: unknown temporal scaler parameter(s) %s", i, strings.Join(unknown, ", "))
		}
		if t.Metadata["taskQueue"] == "" || (t.Metadata["endpoint"] == "" && t.Metadata["endpointFromEnv"] == "") {
			bad("spec.triggers[%d].metadata: taskQueue and endpoint are required", i)
		}
		for _, k := range []string{"targetQueueSize", "activationTargetQueueSize", "minConnectTimeout"} {
			if v, ok := t.Metadata[k]; ok {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					bad("spec.triggers[%d].metadata.%s: %q is not an integer", i, k, v)
				}
			}
		}
		for _, q := range strings.Split(t.Metadata["queueTypes"], ",") {
			if q != "" && q != "workflow" && q != "activity" && q != "nexus" {
				bad("spec.triggers[%d].metadata.queueTypes: %q (workflow, activity, nexus)", i, q)
			}
		}
	}
	return problems
}

// checkTemporalAuth: the parameters a temporal trigger's TriggerAuthentication hands to the scaler.
func checkTemporalAuth(d doc, trigger int, ta *TriggerAuthentication) []string {
	var problems []string
	for i, r := range ta.Spec.SecretTargetRef {
		if !temporalAuth[r.Parameter] {
			problems = append(problems, fmt.Sprintf("%s: spec.triggers[%d] uses TriggerAuthentication %s whose secretTargetRef[%d].parameter %q is not a temporal scaler parameter (apiKey, ca, cert, key, keyPassword)", d, trigger, ta.Name, i, r.Parameter))
		}
	}
	return problems
}
