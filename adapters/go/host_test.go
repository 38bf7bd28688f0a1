package bpplugin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The C side end to end: testdata/countpool built with -buildmode=c-shared, driven by
// testdata/host.c as bpstress drives a plugin: workers through bp_pool_run_threads, then threads
// of the host's own, each holding a few buffers, writing them and checking them at put, under
// GODEBUG=cgocheck=2. Every put must have reached the pool when bp_pool_run_threads returns (puts
// of its workers are passed to Go late, with the next get).
func TestCHostRunsThePlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a shared object and a C program")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go in PATH")
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no cc in PATH")
	}
	// The package's real directory: the include directory is two levels up in the source tree
	// (the package may be reached through a symlink in GOPATH).
	here, err := os.Getwd()
	if err == nil {
		here, err = filepath.EvalSymlinks(here)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gopath := filepath.Join(dir, "gopath")
	if err := os.MkdirAll(filepath.Join(gopath, "src", "bpstress"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(here, filepath.Join(gopath, "src", "bpstress", "bpplugin")); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libcount.so")
	build := exec.Command(gobin, "build", "-buildmode=c-shared", "-o", lib,
		"bpstress/bpplugin/testdata/countpool")
	build.Env = append(os.Environ(), "GOPATH="+gopath, "GO111MODULE=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	host := filepath.Join(dir, "host")
	if out, err := exec.Command(cc, "-O1", "-I", filepath.Join(here, "..", "..", "include"),
		filepath.Join(here, "testdata", "host.c"), "-o", host, "-ldl", "-lpthread").CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	run := exec.Command(host, lib, "4", "20000")
	run.Env = append(os.Environ(), "GODEBUG=cgocheck=2")
	out, err := run.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("host: %v\n%s", err, out)
	}
}
