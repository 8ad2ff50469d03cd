module granary.dev/conformance/front

go 1.21
