// tools/helm-render renders helm/rexec-stack as `helm template` does, with Go's
// text/template and sprig: the chart checks run it where no helm binary exists.
//
// Offline (CI, `make test`), it builds in GOPATH mode against Debian's packaged sources
// (golang-go, golang-github-masterminds-sprig-dev 3.2.3, golang-gopkg-yaml.v3-dev 3.0.1),
// with one extra GOPATH entry linking `…/sprig/v3` to Debian's `…/sprig`: see the
// `renderer` fixture of e2e/test_helm_chart.py. With access to a module proxy,
// `go mod tidy && go build` builds the same versions in module mode.
module github.com/rexec-stack/rexec-stack/tools/helm-render

go 1.19

require (
	github.com/Masterminds/sprig/v3 v3.2.3
	gopkg.in/yaml.v3 v3.0.1
)
