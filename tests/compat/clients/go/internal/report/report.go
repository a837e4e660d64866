// Package report collects per-feature results of a compat client run and prints them as the
// one JSON line the vitest suites parse (the last line of stdout).
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

type Feature struct {
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
	Unsupported string `json:"unsupported,omitempty"`
	Detail      any    `json:"detail,omitempty"`
}

type Report struct {
	mu       sync.Mutex
	Client   string              `json:"client"`
	Version  string              `json:"version"`
	Features map[string]*Feature `json:"features"`
}

func New(client, version string) *Report {
	return &Report{Client: client, Version: version, Features: map[string]*Feature{}}
}

// Check records err (nil means ok) under name and returns whether it was ok.
func (r *Report) Check(name string, err error, detail any) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := &Feature{OK: err == nil, Detail: detail}
	if err != nil {
		f.Error = err.Error()
	}
	r.Features[name] = f
	fmt.Fprintf(os.Stderr, "[%s] %s ok=%v %v\n", r.Client, name, f.OK, err)
	return f.OK
}

func (r *Report) Unsupported(name, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Features[name] = &Feature{OK: false, Unsupported: why}
}

func (r *Report) Print() {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
