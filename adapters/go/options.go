package bpplugin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// IntOptions parses "key=N,key=N" (the OPTIONS of --plugin PATH:OPTIONS) into a copy of defaults.
// N is a non-negative integer with an optional binary suffix K, M or G (64K = 65536). Keys not in
// defaults, a missing '=' and values that are not such numbers are errors; "" gives the defaults.
func IntOptions(options string, defaults map[string]int) (map[string]int, error) {
	out := make(map[string]int, len(defaults))
	for k, v := range defaults {
		out[k] = v
	}
	if options == "" {
		return out, nil
	}
	for _, field := range strings.Split(options, ",") {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("option %q: expected key=value", field)
		}
		if _, known := defaults[key]; !known {
			return nil, fmt.Errorf("unknown option %q (known: %s)", key, knownKeys(defaults))
		}
		n, err := parseSize(value)
		if err != nil {
			return nil, fmt.Errorf("option %s=%q: %v", key, value, err)
		}
		out[key] = n
	}
	return out, nil
}

func parseSize(s string) (int, error) {
	shift := 0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K', 'k':
			shift = 10
		case 'M', 'm':
			shift = 20
		case 'G', 'g':
			shift = 30
		}
		if shift != 0 {
			s = s[:n-1]
		}
	}
	n, err := strconv.ParseUint(s, 10, 62)
	if err != nil || n > (1<<62)>>shift {
		return 0, fmt.Errorf("not a size (a non-negative integer, optionally with K, M or G)")
	}
	return int(n << shift), nil
}

func knownKeys(defaults map[string]int) string {
	keys := make([]string, 0, len(defaults))
	for k := range defaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
