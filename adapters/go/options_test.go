package bpplugin

import (
	"strings"
	"testing"
)

func TestIntOptions(t *testing.T) {
	defaults := map[string]int{"count": 64, "capacity": 65536}
	got, err := IntOptions("capacity=1M,count=3", defaults)
	if err != nil || got["capacity"] != 1<<20 || got["count"] != 3 || defaults["count"] != 64 {
		t.Fatalf("IntOptions: %v %v (defaults %v)", got, err, defaults)
	}
	if got, err := IntOptions("", defaults); err != nil || got["count"] != 64 {
		t.Fatalf("IntOptions(\"\"): %v %v", got, err)
	}
	for _, bad := range []string{"count", "size=1", "count=-1", "count=1X", "count=", "count=99999999999G"} {
		if _, err := IntOptions(bad, defaults); err == nil {
			t.Errorf("IntOptions(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("IntOptions(%q): error of more than one line", bad)
		}
	}
}
