package validate

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/zegl/kube-score/config"
	ks "github.com/zegl/kube-score/domain"
	"github.com/zegl/kube-score/parser"
	"github.com/zegl/kube-score/score"
	"github.com/zegl/kube-score/score/checks"
	"github.com/zegl/kube-score/scorecard"
)

// Checks switched off for the whole render, each with its reason in
// k8s/README.md ("kube-score"). Keep this empty unless a finding is wrong for
// this project.
var ignoredKubeScoreChecks = map[string]string{}

// Optional checks that this project meets and wants to keep meeting.
var enabledOptionalKubeScoreChecks = []string{
	"container-seccomp-profile",
	"container-ports-check",
}

type namedReader struct {
	io.Reader
	name string
}

func (reader namedReader) Name() string { return reader.name }

// TestKubeScore runs kube-score (its Go API, pinned in go.mod) over the
// production render and fails on any CRITICAL finding. Warnings are logged.
func TestKubeScore(t *testing.T) {
	renderAll(t)
	stream, err := RenderYAML(filepath.Join(copyRoot, "overlays", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	critical, warnings, objects, scored, err := kubeScore(stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, warning := range warnings {
		t.Logf("WARNING %s", warning)
	}
	for _, finding := range critical {
		t.Errorf("CRITICAL %s", finding)
	}
	if scored < 100 {
		t.Errorf("kube-score graded only %d checks; the render looks empty", scored)
	}
	t.Logf("kube-score: %d objects, %d graded checks, %d critical, %d warnings", objects, scored, len(critical), len(warnings))
}

// TestKubeScoreCatchesProblems proves the harness above would notice: the
// same render with one container on a "latest" tag must be CRITICAL.
func TestKubeScoreCatchesProblems(t *testing.T) {
	renderAll(t)
	stream, err := RenderYAML(filepath.Join(copyRoot, "overlays", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(stream, []byte("cryptotracker.azurecr.io/gateway:0.1.0"), []byte("cryptotracker.azurecr.io/gateway:latest"), 1)
	if bytes.Equal(broken, stream) {
		t.Fatal("the prod render has no gateway image to break")
	}
	critical, _, _, _, err := kubeScore(broken)
	if err != nil {
		t.Fatal(err)
	}
	if len(critical) != 1 || !strings.Contains(critical[0], "container-image-tag") {
		t.Errorf("want exactly one container-image-tag finding, got %v", critical)
	}
}

func kubeScore(stream []byte) (critical, warnings []string, objects, scored int, err error) {
	var readers []ks.NamedReader
	for i, document := range SplitDocuments(stream) {
		readers = append(readers, namedReader{Reader: bytes.NewReader(document), name: fmt.Sprintf("prod[%d]", i)})
	}
	kubeScoreParser, err := parser.New(nil)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	parsed, err := kubeScoreParser.ParseFiles(readers)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	ignored := map[string]struct{}{}
	for check := range ignoredKubeScoreChecks {
		ignored[check] = struct{}{}
	}
	optional := map[string]struct{}{}
	for _, check := range enabledOptionalKubeScoreChecks {
		optional[check] = struct{}{}
	}
	kubernetesVersion, err := config.ParseSemver("v1.33")
	if err != nil {
		return nil, nil, 0, 0, err
	}
	runConfig := &config.RunConfiguration{
		EnabledOptionalTests:        optional,
		UseIgnoreChecksAnnotation:   false, // every exception must be in ignoredKubeScoreChecks
		UseOptionalChecksAnnotation: true,
		KubernetesVersion:           kubernetesVersion,
		MinReplicasDeployment:       2,
		MinReplicasHPA:              2,
	}
	allChecks := score.RegisterAllChecks(parsed, &checks.Config{IgnoredTests: ignored}, runConfig)
	card, err := score.Score(parsed, allChecks, runConfig)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	for _, object := range *card {
		for _, result := range object.Checks {
			if result.Skipped {
				continue
			}
			scored++
			line := fmt.Sprintf("%s: %s [%s]%s", object.HumanFriendlyRef(), result.Check.Name, result.Check.ID, describe(result.Comments))
			switch {
			case result.Grade <= scorecard.GradeCritical:
				critical = append(critical, line)
			case result.Grade < scorecard.GradeAllOK:
				warnings = append(warnings, line)
			}
		}
	}
	sort.Strings(critical)
	sort.Strings(warnings)
	return critical, warnings, len(*card), scored, nil
}

func describe(comments []scorecard.TestScoreComment) string {
	var parts []string
	for _, comment := range comments {
		text := comment.Summary
		if comment.Path != "" {
			text = comment.Path + ": " + text
		}
		parts = append(parts, text)
	}
	if len(parts) == 0 {
		return ""
	}
	return " — " + strings.Join(parts, "; ")
}
