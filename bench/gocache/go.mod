module granary.dev/bench/gocache

go 1.19
