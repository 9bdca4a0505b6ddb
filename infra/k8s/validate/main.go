// k8s-validate: offline schema check of the cfm manifests (infra/k8s/*.yaml).
//
// Built-in kinds are decoded strictly into the Go types of k8s.io/api (the API server's own types): an unknown or
// duplicate field, a wrong type or a bad quantity is an error. KEDA's ScaledObject and TriggerAuthentication are
// decoded strictly into the fields of keda.sh/v1alpha1 declared in keda.go, and a temporal trigger's metadata keys
// are checked against the scaler's parameters. Then a few checks across documents: names, selectors that select
// the pod template, probe ports that exist, references (scale target, PDB, trigger authentication) that resolve.
//
//	k8s-validate [-q] <file or directory>...   (directories: their *.yaml / *.yml, not recursive)
//
// Exit 0 when every document passes, 1 with one line per problem otherwise, 2 on bad usage.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type doc struct {
	file string
	obj  runtime.Object
	kind string
	name string
}

func (d doc) String() string { return fmt.Sprintf("%s: %s %s", d.file, d.kind, d.name) }

func main() {
	quiet := flag.Bool("q", false, "print problems only")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: k8s-validate [-q] <file or directory>...")
		os.Exit(2)
	}
	files, err := expand(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	docs, problems := decodeAll(files)
	problems = append(problems, crossCheck(docs)...)
	if !*quiet {
		for _, d := range docs {
			fmt.Printf("ok   %s\n", d)
		}
	}
	for _, p := range problems {
		fmt.Println("FAIL " + p)
	}
	fmt.Printf("k8s-validate: %d documents in %d files, %d problems\n", len(docs), len(files), len(problems))
	if len(problems) > 0 {
		os.Exit(1)
	}
}

func expand(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				files = append(files, filepath.Join(a, e.Name()))
			}
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, errors.New("k8s-validate: no manifest files")
	}
	return files, nil
}

func newDecoder() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, rbacv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	// EnableStrict: unknown and duplicate fields are errors, as with kubectl's --validate=strict
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

func decodeAll(files []string) ([]doc, []string) {
	dec := newDecoder()
	var docs []doc
	var problems []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
		for i := 1; ; i++ {
			chunk, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: document %d: %v", f, i, err))
				break
			}
			if len(bytes.TrimSpace(stripComments(chunk))) == 0 {
				continue
			}
			d, err := decodeOne(dec, chunk)
			d.file = f
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: document %d (%s %s): %v", f, i, d.kind, d.name, err))
				continue
			}
			docs = append(docs, d)
		}
	}
	return docs, problems
}

func stripComments(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

func decodeOne(dec runtime.Decoder, chunk []byte) (doc, error) {
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(chunk, &head); err != nil {
		return doc{}, err
	}
	d := doc{kind: head.Kind, name: head.Metadata.Name}
	if head.APIVersion == "" || head.Kind == "" {
		return d, errors.New("apiVersion and kind are required")
	}
	var err error
	if strings.HasPrefix(head.APIVersion, "keda.sh/") {
		d.obj, err = decodeKeda(head.APIVersion, head.Kind, chunk)
	} else {
		d.obj, _, err = dec.Decode(chunk, nil, nil)
	}
	if err != nil {
		return d, err
	}
	for _, msg := range validation.IsDNS1123Subdomain(head.Metadata.Name) {
		return d, fmt.Errorf("metadata.name %q: %s", head.Metadata.Name, msg)
	}
	return d, nil
}

// crossCheck: what a schema cannot say but the API server or the controllers would refuse or silently ignore.
func crossCheck(docs []doc) []string {
	var problems []string
	bad := func(d doc, format string, a ...any) {
		problems = append(problems, d.String()+": "+fmt.Sprintf(format, a...))
	}
	deployments := map[string]*appsv1.Deployment{}
	auths := map[string]*TriggerAuthentication{}
	for _, d := range docs {
		switch o := d.obj.(type) {
		case *appsv1.Deployment:
			deployments[o.Name] = o
		case *TriggerAuthentication:
			auths[o.Name] = o
		}
	}
	for _, d := range docs {
		switch o := d.obj.(type) {
		case *appsv1.Deployment:
			if o.Spec.Selector == nil {
				bad(d, "spec.selector is required")
				break
			}
			sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
			if err != nil || !sel.Matches(labels.Set(o.Spec.Template.Labels)) {
				bad(d, "spec.selector does not select spec.template.metadata.labels")
			}
			problems = append(problems, checkPod(d, &o.Spec.Template.Spec)...)
		case *batchv1.Job:
			if p := o.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
				bad(d, "spec.template.spec.restartPolicy must be Never or OnFailure, got %q", p)
			}
			problems = append(problems, checkPod(d, &o.Spec.Template.Spec)...)
		case *policyv1.PodDisruptionBudget:
			sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
			if err != nil || o.Spec.Selector == nil {
				bad(d, "spec.selector is required")
				break
			}
			if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
				bad(d, "exactly one of spec.minAvailable and spec.maxUnavailable")
			}
			matched := false
			for _, dep := range deployments {
				matched = matched || sel.Matches(labels.Set(dep.Spec.Template.Labels))
			}
			if !matched {
				bad(d, "spec.selector selects no Deployment's pods")
			}
		case *ScaledObject:
			problems = append(problems, checkScaledObject(d, o, deployments, auths)...)
		case *ScaledJob:
			problems = append(problems, checkScaledJob(d, o, auths)...)
		}
	}
	return problems
}

func checkPod(d doc, spec *corev1.PodSpec) []string {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, d.String()+": "+fmt.Sprintf(format, a...)) }
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	for _, c := range spec.Containers {
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
			ports[fmt.Sprint(p.ContainerPort)] = true
		}
		for i, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.HTTPGet != nil && !ports[p.HTTPGet.Port.String()] {
				bad("container %s: %s.httpGet.port %s is not one of its ports", c.Name, []string{"livenessProbe", "readinessProbe", "startupProbe"}[i], p.HTTPGet.Port.String())
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				bad("container %s: volumeMount %s has no volume", c.Name, m.Name)
			}
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			bad("container %s: resources.requests needs cpu and memory", c.Name)
		}
	}
	return problems
}
