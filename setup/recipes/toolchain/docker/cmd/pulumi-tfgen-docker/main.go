// Command pulumi-tfgen-docker writes the Pulumi schema of the bridged Docker provider
// (`pulumi-tfgen-docker schema --out DIR`), which pulumi-resource-docker embeds.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"flink-checkpointer/toolchain/docker/bridge"
)

func main() {
	tfgen.Main("docker", bridge.Version, bridge.Provider())
}
