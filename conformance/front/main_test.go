package main

import "testing"

func TestRoute(t *testing.T) {
	for _, c := range []struct {
		rest, granary string
		special       bool
	}{
		{"rsc.io/quote/@v/list", "rsc.io/quote/@v/list", false},
		{"rsc.io/quote/@latest", "rsc.io/quote/@latest", false},
		{"sumdb/localhost.localdev/sumdb/supported", "sumdb/localhost.localdev/sumdb/supported", false},
		{"sumdb-503/rsc.io/quote/@v/list", "rsc.io/quote/@v/list", false},
		{"sumdb-503/sumdb/localhost.localdev/sumdb/supported", "", true},
		{"invalid/rsc.io/quote/@v/list", "", true},
		{"404/rsc.io/quote/@v/list", "", true},
		{"500/rsc.io/quote/@v/list", "", true},
		{"redirect/3/rsc.io/quote/@v/list", "", true},
		{"sumdb-direct/lookup/rsc.io/quote@v1.5.2", "", true},
		{"sumdb-wrong/latest", "", true},
		{"sumdb-redirect/rsc.io/quote@v1.0.0:/lookup/x@v1", "", true},
		{"example.com/100/@v/list", "example.com/100/@v/list", false},
	} {
		g, s := route(c.rest)
		if g != c.granary || s != c.special {
			t.Errorf("route(%q) = %q, %v; want %q, %v", c.rest, g, s, c.granary, c.special)
		}
	}
}
