module granary.dev/gocacheprog

go 1.24
