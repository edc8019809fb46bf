// helm-render renders a Helm chart directory the way `helm template` does, for checks on
// machines without helm: Go's text/template with sprig's functions and Helm's own (include,
// tpl, required, toYaml, fromYaml, toJson, fromJson, lookup, fail; .Files.Get), subcharts in charts/
// enabled by their dependency conditions, values coalesced parent over subchart, and
// `global` handed down to every subchart.
//
//	helm-render [--name RELEASE] [--namespace NS] [-f values.yaml]... [--set-string k=v]... CHART_DIR
//
// Output: the manifests as one YAML stream, each document headed `# Source: <path>`, as
// helm prints them; with --notes, the rendered NOTES.txt instead.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"gopkg.in/yaml.v3"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// chart is one chart directory, loaded with its enabled subcharts.
type chart struct {
	name       string
	dir        string // the chart's directory, for .Files
	path       string // e.g. rexec-stack/charts/rexec-broker
	metadata   map[string]interface{}
	values     map[string]interface{}
	templates  map[string]string // file name under templates/ -> text
	subcharts  []*chart
	isLibrary  bool
	dependency map[string]string // subchart name -> condition
}

func readYAML(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]interface{}{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return normalize(out).(map[string]interface{}), nil
}

// normalize turns yaml.v3's map[string]interface{} trees into plain ones (it already does)
// and makes sure nested maps are map[string]interface{}.
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, e := range t {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []interface{}:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	default:
		return v
	}
}

func loadChart(dir, path string) (*chart, error) {
	meta, err := readYAML(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	name, _ := meta["name"].(string)
	if name == "" {
		return nil, fmt.Errorf("%s: Chart.yaml has no name", dir)
	}
	values, err := readYAML(filepath.Join(dir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	if path == "" {
		path = name
	}
	c := &chart{name: name, dir: dir, path: path, metadata: meta, values: values, templates: map[string]string{}, dependency: map[string]string{}}
	c.isLibrary = meta["type"] == "library"
	if deps, ok := meta["dependencies"].([]interface{}); ok {
		for _, d := range deps {
			if dm, ok := d.(map[string]interface{}); ok {
				depName, _ := dm["name"].(string)
				if alias, ok := dm["alias"].(string); ok && alias != "" {
					depName = alias
				}
				cond, _ := dm["condition"].(string)
				c.dependency[depName] = cond
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "templates"))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		text, err := os.ReadFile(filepath.Join(dir, "templates", e.Name()))
		if err != nil {
			return nil, err
		}
		c.templates[e.Name()] = string(text)
	}
	subs, _ := os.ReadDir(filepath.Join(dir, "charts"))
	for _, s := range subs {
		if !s.IsDir() {
			continue
		}
		sub, err := loadChart(filepath.Join(dir, "charts", s.Name()), path+"/charts/"+s.Name())
		if err != nil {
			return nil, err
		}
		c.subcharts = append(c.subcharts, sub)
	}
	return c, nil
}

// merge copies src over dst: maps merge key by key, anything else replaces (Helm's coalesce,
// with src taking precedence). A null in src deletes the key, as in Helm.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if v == nil {
			delete(out, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := out[k].(map[string]interface{}); ok {
				out[k] = merge(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func lookupPath(values map[string]interface{}, dotted string) (interface{}, bool) {
	var cur interface{} = values
	for _, part := range strings.Split(dotted, ".") {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, false
		}
		cur, ok = m[part]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func truthy(v interface{}) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return t == "true"
	default:
		return v != nil
	}
}

// resolved is a chart with its final values, ready to render.
type resolved struct {
	c      *chart
	values map[string]interface{}
}

func resolve(c *chart, values map[string]interface{}, out *[]resolved) {
	*out = append(*out, resolved{c, values})
	global, _ := values["global"].(map[string]interface{})
	for _, sub := range c.subcharts {
		if cond, ok := c.dependency[sub.name]; ok && cond != "" {
			enabled := true
			for _, alternative := range strings.Split(cond, ",") {
				if v, found := lookupPath(values, strings.TrimSpace(alternative)); found {
					enabled = truthy(v)
					break
				}
			}
			if !enabled {
				continue
			}
		}
		own, _ := values[sub.name].(map[string]interface{})
		subValues := merge(sub.values, own)
		subGlobal, _ := subValues["global"].(map[string]interface{})
		subValues["global"] = merge(subGlobal, global)
		resolve(sub, subValues, out)
	}
}

func toYAML(v interface{}) string {
	if v == nil {
		return ""
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func main() {
	var valueFiles, setStrings multiFlag
	release := flag.String("name", "rexec", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "print the rendered NOTES.txt instead of the manifests")
	kubeVersion := flag.String("kube-version", "v1.30.0", "Capabilities.KubeVersion")
	flag.Var(&valueFiles, "f", "values file (repeatable; later wins)")
	flag.Var(&setStrings, "set-string", "key.path=value (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: helm-render [--name R] [--namespace NS] [-f values.yaml]... CHART_DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	root, err := loadChart(dir, "")
	if err != nil {
		fail(err)
	}
	user := map[string]interface{}{}
	for _, f := range valueFiles {
		v, err := readYAML(f)
		if err != nil {
			fail(err)
		}
		user = merge(user, v)
	}
	for _, s := range setStrings {
		kv := strings.SplitN(s, "=", 2)
		if len(kv) != 2 {
			fail(fmt.Errorf("--set-string %q: expected key=value", s))
		}
		parts := strings.Split(kv[0], ".")
		node := map[string]interface{}{parts[len(parts)-1]: kv[1]}
		for i := len(parts) - 2; i >= 0; i-- {
			node = map[string]interface{}{parts[i]: node}
		}
		user = merge(user, node)
	}
	var charts []resolved
	resolve(root, merge(root.values, user), &charts)

	// One template set for the whole tree: Helm's defines are visible everywhere.
	tpl := template.New("root").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := tpl.ExecuteTemplate(&buf, name, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := tpl.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["required"] = func(message string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, fmt.Errorf("required: %s", message)
		}
		return v, nil
	}
	funcs["fail"] = func(message string) (string, error) { return "", fmt.Errorf("fail: %s", message) }
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = func(text string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromJson"] = funcs["fromYaml"]
	// `helm template` has no cluster: lookup finds nothing, as there.
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) map[string]interface{} { return map[string]interface{}{} }
	tpl.Funcs(funcs)

	type job struct {
		name string
		data map[string]interface{}
	}
	var jobs []job
	var notesJobs []job
	for _, r := range charts {
		names := make([]string, 0, len(r.c.templates))
		for n := range r.c.templates {
			names = append(names, n)
		}
		sort.Strings(names)
		chartMeta := map[string]interface{}{}
		for k, v := range r.c.metadata {
			chartMeta[strings.ToUpper(k[:1])+k[1:]] = v
		}
		for _, n := range names {
			full := r.c.path + "/templates/" + n
			if _, err := tpl.New(full).Parse(r.c.templates[n]); err != nil {
				fail(err)
			}
			data := map[string]interface{}{
				"Values":  r.values,
				"Chart":   chartMeta,
				"Release": map[string]interface{}{"Name": *release, "Namespace": *namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
				"Capabilities": map[string]interface{}{
					"KubeVersion": map[string]interface{}{"Version": *kubeVersion, "GitVersion": *kubeVersion},
					"APIVersions": apiVersions{},
				},
				"Template": map[string]interface{}{"Name": full, "BasePath": r.c.path + "/templates"},
				"Files":    chartFiles{dir: r.c.dir},
			}
			switch {
			case n == "NOTES.txt":
				if r.c == root {
					notesJobs = append(notesJobs, job{full, data})
				}
			case strings.HasPrefix(n, "_") || r.c.isLibrary:
			case strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".tpl"):
				jobs = append(jobs, job{full, data})
			}
		}
	}
	if *notes {
		jobs = notesJobs
	}
	var out bytes.Buffer
	for _, j := range jobs {
		var buf bytes.Buffer
		if err := tpl.ExecuteTemplate(&buf, j.name, j.data); err != nil {
			fail(err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if *notes {
			out.WriteString(text)
			continue
		}
		for _, doc := range splitDocuments(text) {
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", j.name, doc)
		}
	}
	os.Stdout.Write(out.Bytes())
}

// chartFiles answers `.Files.Get`: a file of the chart by its path inside the chart, "" when
// there is none (as helm).
type chartFiles struct{ dir string }

func (f chartFiles) Get(name string) string {
	data, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(name)))
	if err != nil {
		return ""
	}
	return string(data)
}

// apiVersions answers `.Capabilities.APIVersions.Has` for the kinds a 1.30 cluster serves.
type apiVersions struct{}

func (apiVersions) Has(version string) bool {
	return !strings.HasPrefix(version, "monitoring.coreos.com")
}

func splitDocuments(text string) []string {
	var docs []string
	for _, part := range strings.Split("\n"+text, "\n---") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		docs = append(docs, strings.Trim(part, "\n"))
	}
	return docs
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "helm-render:", err)
	os.Exit(1)
}
