// Command pulumi-resource-docker serves the Terraform Docker provider to the Pulumi engine.
package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"flink-checkpointer/toolchain/docker/bridge"
)

// Written by pulumi-tfgen-docker at build time.
//
//go:embed schema.json
var pulumiSchema []byte

func main() {
	if bridge.Version == "" {
		fmt.Fprintln(os.Stderr, "pulumi-resource-docker: built without a version; build it with bash scripts/setup.sh toolchain")
		os.Exit(1)
	}
	tfbridge.Main("docker", bridge.Version, bridge.Provider(), pulumiSchema)
}
